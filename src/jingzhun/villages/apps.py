from django.apps import AppConfig


class VillagesConfig(AppConfig):
    name = "jingzhun.villages"
    label = "villages"
    verbose_name = "贫困村"
