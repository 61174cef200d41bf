"""Roles (角色). What each may do is data in ``rights.py``, applied by ``core.restrict`` in the data layer."""

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "系统管理员"
    COUNTY_ADMIN = "county_admin", "县级管理员"
    TOWNSHIP_OFFICER = "township_officer", "乡镇干部"
    VILLAGE_OFFICER = "village_officer", "村干部/驻村工作队"
    HELPER = "helper", "帮扶责任人"
    DEPARTMENT = "department", "行业部门用户"
    LEADER = "leader", "领导（只读）"
    AUDITOR = "auditor", "审计/督查（只读）"


# Roles that may change registry records inside their jurisdiction.
EDITOR_ROLES = {Role.ADMIN, Role.COUNTY_ADMIN, Role.TOWNSHIP_OFFICER, Role.VILLAGE_OFFICER}
# Roles that read every household inside their jurisdiction.
JURISDICTION_READERS = EDITOR_ROLES | {Role.LEADER, Role.AUDITOR}
# Roles that may see the audit log.
AUDIT_READERS = {Role.ADMIN, Role.COUNTY_ADMIN, Role.TOWNSHIP_OFFICER, Role.VILLAGE_OFFICER, Role.AUDITOR}
