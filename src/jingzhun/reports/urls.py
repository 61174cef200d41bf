"""/reports/: the reports page, one download URL per statistics table (?region=&year=&format=), the 明白卡."""

from django.urls import path

from jingzhun.reports import views
from jingzhun.reports.statistics import DEFINITIONS

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    # One route per table rather than <kind>: the table is part of the address, the region a query parameter.
    *(path(f"{kind}/", views.download, {"kind": kind}, name=kind) for kind in DEFINITIONS),
    path("card/", views.card_lookup, name="card_lookup"),
    path("card/<int:pk>/", views.card, name="card"),
]
