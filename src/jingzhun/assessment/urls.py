from django.urls import path

from jingzhun.assessment import views

app_name = "assessment"
urlpatterns = [
    path("", views.survey_list, name="survey_list"),
    path("new/", views.survey_create, name="survey_create"),
    path("surveys/<int:pk>/", views.survey_detail, name="survey_detail"),
    path("surveys/<int:pk>/redraw/", views.survey_redraw, name="survey_redraw"),
    path("surveys/<int:pk>/close/", views.survey_close, name="survey_close"),
    path("surveys/<int:pk>/estimates/", views.survey_estimates, name="survey_estimates"),
    path("surveys/<int:pk>/lists/<str:fmt>/", views.survey_lists, name="survey_lists"),
    path("villages/<int:pk>/", views.village_detail, name="village_detail"),
    path("villages/<int:pk>/add/", views.household_add, name="household_add"),
    path("villages/<int:pk>/list/<str:fmt>/", views.village_list, name="village_list"),
    path("households/<int:pk>/", views.interview, name="interview"),
]
