from django.urls import path

from jingzhun.registry import region_views as views

app_name = "regions"
urlpatterns = [
    path("", views.index, name="index"),
]
