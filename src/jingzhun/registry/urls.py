from django.urls import path

from jingzhun.registry import views

app_name = "registry"
urlpatterns = [
    path("", views.household_list, name="household_list"),
    path("<int:pk>/", views.household_detail, name="household_detail"),
    path("<int:pk>/edit/", views.household_edit, name="household_edit"),
    path("<int:pk>/member/add/", views.member_add, name="member_add"),
    path("<int:pk>/year/<int:year>/edit/", views.year_edit, name="year_edit"),
    path("member/<int:pk>/edit/", views.member_edit, name="member_edit"),
    path("member/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("member/<int:pk>/years/", views.member_years, name="member_years"),
    path("member/<int:pk>/year/<int:year>/edit/", views.member_year_edit, name="member_year_edit"),
    path("<int:pk>/expense/add/", views.expense_add, name="expense_add"),
    path("expense/<int:pk>/edit/", views.expense_edit, name="expense_edit"),
    path("expense/<int:pk>/delete/", views.expense_delete, name="expense_delete"),
    path("<int:pk>/income/add/", views.income_add, name="income_add"),
    path("income/<int:pk>/edit/", views.income_edit, name="income_edit"),
    path("income/<int:pk>/delete/", views.income_delete, name="income_delete"),
    path("import/", views.import_page, name="import"),
    path("import/<str:batch_id>/", views.import_batch, name="import_batch"),
    path("import/<str:batch_id>/errors/", views.import_errors, name="import_errors"),
    path("template/", views.import_template, name="template"),
    path("export/", views.export, name="export"),
]
