from django.urls import path

from jingzhun.comparison import views

app_name = "comparison"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("runs/<int:pk>/checks/", views.run_checks, name="run_checks"),
    path("runs/<int:pk>/checks.xlsx", views.run_checks_xlsx, name="run_checks_xlsx"),
    path("doubts/", views.doubt_queue, name="queue"),
    path("doubts/<int:pk>/", views.doubt_detail, name="doubt_detail"),
    path("doubts/<int:pk>/file/", views.doubt_file, name="doubt_file"),
    path("rules/", views.rules, name="rules"),
    path("rules/region/", views.region_rules, name="region_rules"),
    path("rules/region/<int:pk>/", views.region_rule, name="region_rule"),
    path("datasets/", views.dataset_loads, name="datasets"),
    path("datasets/template/", views.dataset_template, name="dataset_template"),
    path("datasets/<str:load_id>/errors/", views.load_errors, name="load_errors"),
    path("lists/", views.department_lists, name="lists"),
]
