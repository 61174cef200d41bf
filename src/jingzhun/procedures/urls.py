from django.urls import path

from jingzhun.procedures import views

app_name = "procedures"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("open/<int:household_pk>/", views.case_open, name="case_open"),
    path("villages/<str:code>/", views.village_bulk, name="village_bulk"),
    path("notices/<int:pk>/", views.notice_detail, name="notice_detail"),
    path("notices/<int:pk>.pdf", views.notice_pdf, name="notice_pdf"),
    path("evidence/<int:pk>/", views.evidence_file, name="evidence_file"),
]
