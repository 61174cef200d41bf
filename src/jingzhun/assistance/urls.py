from django.urls import path

from jingzhun.assistance import views

app_name = "assistance"
urlpatterns = [
    path("import/", views.import_page, name="import"),
    path("template/", views.template_download, name="template"),
    path("households/<int:pk>/pairings/new/", views.pairing_add, name="pairing_add"),
    path("pairings/<int:pk>/", views.pairing_edit, name="pairing_edit"),
    path("households/<int:pk>/measures/new/", views.measure_add, name="measure_add"),
    path("measures/<int:pk>/", views.measure_edit, name="measure_edit"),
]
