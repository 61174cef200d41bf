from django.urls import path

from jingzhun.core import views as core_views
from jingzhun.site import views

urlpatterns = [
    path("", views.home, name="home"),
    path("jobs/<str:job_id>/", core_views.job_detail, name="job"),
    path("jobs/<str:job_id>/download/", core_views.job_download, name="job_download"),
]
