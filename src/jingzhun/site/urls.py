from django.urls import path

from jingzhun.site import views

urlpatterns = [path("", views.home, name="home")]
