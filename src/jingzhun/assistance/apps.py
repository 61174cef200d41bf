from django.apps import AppConfig


class AssistanceConfig(AppConfig):
    name = "jingzhun.assistance"
    label = "assistance"
    verbose_name = "帮扶结对与帮扶措施"
