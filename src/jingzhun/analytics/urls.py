from django.urls import path

from jingzhun.analytics import views

app_name = "analytics"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("exit/", views.exit_checks, name="exit"),
    path("refresh/", views.refresh, name="refresh"),
    path("<slug:code>/", views.households, name="households"),
]
