from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "jingzhun.analytics"
    label = "analytics"
    verbose_name = "统计指标"

    def ready(self) -> None:
        from jingzhun.analytics import hooks  # connects the refresh receivers

        hooks.register()
