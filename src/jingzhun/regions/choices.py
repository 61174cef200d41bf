"""Code lists for regions (domain.md §1.4)."""

from django.db import models


class Level(models.IntegerChoices):
    PROVINCE = 1, "省"
    CITY = 2, "市"
    COUNTY = 3, "县"
    TOWNSHIP = 4, "乡镇"
    VILLAGE = 5, "村"


# How many leading digits of the 12-digit statistical code identify a region of each level.
PREFIX_LENGTH: dict[int, int] = {
    Level.PROVINCE: 2,
    Level.CITY: 4,
    Level.COUNTY: 6,
    Level.TOWNSHIP: 9,
    Level.VILLAGE: 12,
}


class UrbanRural(models.TextChoices):
    """城乡分类代码, 国函〔2008〕60号."""

    MAIN_URBAN = "111", "主城区"
    URBAN_FRINGE = "112", "城乡结合区"
    TOWN_CENTRE = "121", "镇中心区"
    TOWN_FRINGE = "122", "镇乡结合区"
    SPECIAL = "123", "特殊区域"
    TOWNSHIP_CENTRE = "210", "乡中心区"
    VILLAGE = "220", "村庄"
