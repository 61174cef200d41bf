from django.urls import path

from jingzhun.policy import views

app_name = "policy"
urlpatterns = [
    path("", views.parameter_list, name="parameter_list"),
    path("new/", views.parameter_create, name="parameter_create"),
    path("<int:pk>/", views.parameter_detail, name="parameter_detail"),
    path("<int:pk>/edit/", views.parameter_edit, name="parameter_edit"),
    path("households/<int:pk>/evaluate", views.household_evaluate, name="household_evaluate"),
]
