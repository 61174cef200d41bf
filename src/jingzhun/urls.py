"""URL map: the web app per domain, the REST API under /api/."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from jingzhun.api import api

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="core/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    path("", include("jingzhun.site.urls")),
    path("regions/", include("jingzhun.registry.region_urls")),
    path("registry/", include("jingzhun.registry.urls")),
    path("policy/", include("jingzhun.policy.urls")),
    path("procedures/", include("jingzhun.procedures.urls")),
    path("comparison/", include("jingzhun.comparison.urls")),
    path("assessment/", include("jingzhun.assessment.urls")),
    path("analytics/", include("jingzhun.analytics.urls")),
    path("assistance/", include("jingzhun.assistance.urls")),
    path("reports/", include("jingzhun.reports.urls")),
    path("villages/", include("jingzhun.procedures.village_urls")),
]
