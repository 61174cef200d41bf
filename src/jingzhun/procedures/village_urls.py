from django.urls import path

from jingzhun.procedures import village_views as views

app_name = "villages"
urlpatterns = [
    path("", views.register, name="register"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("counties/<str:code>/import/", views.import_list, name="import_list"),
    path("<str:code>/", views.village_detail, name="village_detail"),
    path("<str:code>/years/<int:year>/", views.record_edit, name="record_edit"),
    path("<str:code>/exit/", views.case_open, name="case_open"),
]
