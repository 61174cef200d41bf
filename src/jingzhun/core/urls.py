from django.urls import path

from jingzhun.core import views

urlpatterns = [path("", views.home, name="home")]
