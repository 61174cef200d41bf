"""The 明白卡: the household's facts, members with masked IDs, the latest income, policy lines and
signature lines; never a full ID number, a phone number or a bank account; only for those who see the
household."""

from __future__ import annotations

import pytest

from jingzhun.core.errors import NotFoundOrForbidden
from jingzhun.registry.models import Household
from jingzhun.reports import exports
from jingzhun.reports.card import household_card, mask_id
from jingzhun.reports.tests.readback import pdf_text

pytestmark = pytest.mark.django_db


def test_an_id_keeps_only_its_first_six_and_last_four_characters():
    assert mask_id("62050219800101001X") == "620502****001X"
    assert mask_id("620502198001010011") == "620502****0011"
    assert mask_id("12345") == "****"
    assert mask_id("") == "****"


def _household_with_everything() -> Household:
    """A monitored household of several members with phones and a bank account, and a data year."""
    households = Household.objects.exclude(monitoring_type="").exclude(phone="").exclude(bank_account="")
    household = next(
        h
        for h in households.order_by("household_number")
        if h.members.filter(left_on__isnull=True).count() > 1 and h.years.exists()
    )
    household.members.filter(left_on__isnull=True).update(phone="13912345678")
    return household


def test_the_card_shows_the_household_and_hides_what_must_not_hang_on_a_wall(county):
    # given a monitored household with members, phones, a bank account and income
    household = _household_with_everything()
    members = list(household.members.filter(left_on__isnull=True))
    latest = household.years.order_by("-year").first()
    # when the village's township officer prints its card
    report = exports.card_file(county.users["leader"], household.pk)
    assert report.content_type == "application/pdf" and report.name.endswith(".pdf")
    pages = pdf_text(report.data)
    text = "".join(pages)
    # then it is one page with the household, its village, status, members and latest income
    assert len(pages) == 1
    assert "监测户明白卡" in text and household.household_number in text and household.head_name in text
    assert household.village.name in text and household.get_monitoring_type_display() in text
    for m in members:
        assert m.name in text and mask_id(m.id_number) in text
    # and no member's health: the card hangs on a wall
    assert "健康状况" not in text and not any(label in text for label in ("长期慢性病", "患有大病", "残疾"))
    assert f"{latest.year}年度收入情况" in text and f"{latest.per_capita_net_income:,.2f}" in text
    assert "国家扶贫标准" in text and "防止返贫监测范围" in text and "12317" in text
    assert "帮扶措施" in text and "户主（签字）" in text and "村委会（盖章）" in text
    # and no full ID number, phone or bank account appears anywhere
    for m in members:
        assert m.id_number[:10] not in text and m.id_number[-8:] not in text
    assert household.phone not in text and "13912345678" not in text and household.bank_account not in text


def test_the_card_goes_only_to_those_who_see_the_household(county):
    inside = Household.objects.filter(village__code__startswith=county.township.prefix).first()
    assert (
        household_card(county.users["township_officer"], inside.pk).household_number
        == inside.household_number
    )
    for user in (county.users["other_officer"], county.users["helper"]):
        with pytest.raises(NotFoundOrForbidden):
            household_card(user, inside.pk)
    with pytest.raises(NotFoundOrForbidden):
        household_card(county.users["leader"], 10**9)
