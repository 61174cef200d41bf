from django.apps import AppConfig


class ComparisonConfig(AppConfig):
    name = "jingzhun.comparison"
    label = "comparison"
    verbose_name = "行业数据比对"

    def ready(self) -> None:
        from jingzhun.comparison import jobs

        jobs.register()
