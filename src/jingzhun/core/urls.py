from django.urls import path

from jingzhun.core import views

urlpatterns = [
    path("", views.home, name="home"),
    path("jobs/<str:job_id>/", views.job_detail, name="job"),
    path("jobs/<str:job_id>/download/", views.job_download, name="job_download"),
]
