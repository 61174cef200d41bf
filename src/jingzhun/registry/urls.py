from django.urls import path

from jingzhun.registry import views

app_name = "registry"
urlpatterns: list = []
