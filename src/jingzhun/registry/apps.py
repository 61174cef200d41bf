from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "jingzhun.registry"
    label = "registry"
    verbose_name = "建档立卡"

    def ready(self) -> None:
        from jingzhun.core.templatetags.jz import register_multi_code_lists
        from jingzhun.registry.columns import COLUMNS, Kind

        # The labels of 致贫原因, 风险, 健康状况 … for pages that show stored values (core's ``display``).
        register_multi_code_lists(
            {col.key: dict(col.codes.choices) for col in COLUMNS if col.kind == Kind.CODES and col.codes}
        )
        from jingzhun.registry import jobs

        jobs.register()
