"""The demo command prepares a county a new user can click through: register, accounts, policy, cases."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from jingzhun.accounts.models import User
from jingzhun.core.models import ObjectChange
from jingzhun.policy import catalogue
from jingzhun.policy.models import Parameter
from jingzhun.procedures.models import Case
from jingzhun.regions.services import load_national
from jingzhun.registry.models import Household

pytestmark = pytest.mark.django_db


def test_demo_prepares_register_accounts_current_policy_and_cases(settings, tmp_path):
    # given the division list of 甘肃 and an empty register
    settings.HOME = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    load_national(["62"])
    out = StringIO()
    # when the demo is prepared for 麦积区 (620503) without starting the server
    call_command("demo", "--no-server", "--county", "620503", "--households", "300", stdout=out)
    # then the county has households, every role has an account inside it
    assert Household.objects.filter(village__code__startswith="620503").count() >= 250
    village_officer = User.objects.get(username="village")
    assert village_officer.region.code.startswith("620503")
    # the province has this year's lines, marked 待确认 and written through the audited service
    year = timezone.localdate().year
    for key in (catalogue.POVERTY_LINE, catalogue.MONITORING_LINE):
        row = Parameter.objects.get(key=key, region_prefix="62", year=year)
        assert row.unconfirmed
        assert ObjectChange.objects.filter(
            object_type="policy.parameter", object_id=str(row.pk), user_name="演示数据"
        ).exists()
    # and the demo village has open cases in the village officer's queue, some past their first step
    cases = Case.objects.filter(household__village=village_officer.region)
    assert cases.filter(kind="monitoring").count() >= 1
    assert cases.filter(steps__isnull=False).exists()
    # department data was loaded and compared: the queue has doubts, the education account its list
    from jingzhun.analytics.models import IndicatorValue
    from jingzhun.comparison.doubt_access import doubts_for
    from jingzhun.comparison.models import ComparisonRun, DatasetLoad, Doubt

    assert DatasetLoad.objects.filter(state__in=["committed", "partial"]).count() == 12
    run = ComparisonRun.objects.get()
    assert run.state == "done" and run.doubts_created == Doubt.objects.count() > 0
    assert doubts_for(User.objects.get(username="education")).exists()
    assert IndicatorValue.objects.filter(region_code="620503000000").exists()
    # preparing it again changes nothing
    before = (
        Household.objects.count(),
        Case.objects.count(),
        Parameter.objects.count(),
        Doubt.objects.count(),
    )
    call_command("demo", "--no-server", "--county", "620503", "--households", "300", stdout=StringIO())
    assert (
        Household.objects.count(),
        Case.objects.count(),
        Parameter.objects.count(),
        Doubt.objects.count(),
    ) == before
