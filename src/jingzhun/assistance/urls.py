from django.urls import path

from jingzhun.assistance import views

app_name = "assistance"
urlpatterns = [
    path("import/", views.import_page, name="import"),
    path("template/", views.template_download, name="template"),
]
