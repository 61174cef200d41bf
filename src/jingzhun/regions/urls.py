from django.urls import path

from jingzhun.regions import views

app_name = "regions"
urlpatterns = [
    path("", views.index, name="index"),
]
