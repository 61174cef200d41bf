from django.apps import AppConfig


class ProceduresConfig(AppConfig):
    name = "jingzhun.procedures"
    label = "procedures"
    verbose_name = "业务程序"
