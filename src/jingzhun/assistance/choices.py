"""Code lists of assistance (帮扶, domain.md §1.2 "Helper", §4.7)."""

from django.db import models


class UnitLevel(models.TextChoices):
    """单位隶属关系 of a helper's work unit."""

    PROVINCE = "1", "省直"
    CITY = "2", "市直"
    COUNTY = "3", "县直"
    TOWNSHIP = "4", "乡镇"
    VILLAGE = "5", "村级"


class MeasureFamily(models.TextChoices):
    """措施类别: the measure families the national system records (code tables 100A39–100A55, §4.7)."""

    INDUSTRY = "01", "产业"
    EMPLOYMENT = "02", "就业"
    FINANCE = "03", "金融"
    PUBLIC_WELFARE_JOB = "04", "公益岗位"
    HEALTH = "05", "健康"
    COMPULSORY_EDUCATION = "06", "义务教育保障"
    OTHER_EDUCATION = "07", "其他教育"
    SOCIAL_SECURITY = "08", "综合保障"
    HOUSING_SAFETY = "09", "住房安全保障"
    DRINKING_WATER = "10", "饮水安全保障"
    SOCIAL_ASSISTANCE = "11", "社会帮扶"
    RELOCATION = "12", "搬迁"
    LIVING_CONDITIONS = "13", "生产生活条件改善"
    INFRASTRUCTURE = "14", "基础设施建设"
