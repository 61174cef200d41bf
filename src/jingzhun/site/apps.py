from django.apps import AppConfig


class SiteConfig(AppConfig):
    """The site above every app: the home page over the register and the ``demo`` command that sets up a
    whole county. Nothing imports it; it may import any app (the layers in pyproject.toml)."""

    name = "jingzhun.site"
    label = "site"
    verbose_name = "站点"
