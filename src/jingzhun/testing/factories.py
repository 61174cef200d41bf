"""factory_boy factories for tests and benchmarks. IDs are valid and consistent with sex and birth date."""

from __future__ import annotations

import datetime as dt
import itertools

import factory

from jingzhun.accounts.models import User
from jingzhun.registry import idnumbers, income
from jingzhun.registry.choices import Attribute, PovertyStatus, Relation
from jingzhun.registry.models import Household, HouseholdYear, Member

_seq = itertools.count(1)


def next_id(address: str = "620502", birth: dt.date = dt.date(1980, 5, 17), male: bool = True) -> str:
    n = next(_seq)
    seq = (n * 2 + (1 if male else 0)) % 1000
    day = birth + dt.timedelta(days=n // 500)
    return idnumbers.make_id(address, day, seq)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.django.Password("pass-1234")


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    household_number = factory.Sequence(lambda n: f"62050210120{n:07d}")
    head_name = "王建国"
    attribute = Attribute.GENERAL_EXITED
    poverty_status = PovertyStatus.EXITED_ENJOYING
    main_cause = "1"


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    household = factory.SubFactory(HouseholdFactory)
    person_number = factory.Sequence(lambda n: f"P{n:012d}")
    name = "王建国"
    relation = Relation.HEAD
    id_number = factory.LazyFunction(next_id)
    sex = factory.LazyAttribute(lambda m: idnumbers.sex_from_id(m.id_number))
    birth_date = factory.LazyAttribute(lambda m: idnumbers.birth_date_from_id(m.id_number))


class HouseholdYearFactory(factory.django.DjangoModelFactory):
    """Derived totals are computed as the services compute them, never given."""

    class Meta:
        model = HouseholdYear

    household = factory.SubFactory(HouseholdFactory)
    year = 2025
    household_size = 1

    @classmethod
    def _create(cls, model_class: type[HouseholdYear], *args: object, **kwargs: object) -> HouseholdYear:
        obj = model_class(*args, **kwargs)
        for key, value in income.compute(
            {k: getattr(obj, k) for k in income.INPUT_FIELDS}, obj.household_size
        ).items():
            setattr(obj, key, value)
        obj.save()
        return obj


# A data year meeting 两不愁 and safe water (the four indicators and the national yes/no fields agreeing), and a
# member meeting basic medical care: what a household "ready to exit" is given unless a test says otherwise.
YEAR_GUARANTEES_MET = {
    "food_secure": True,
    "clothing_secure": True,
    "water_quantity_ok": True,
    "water_quality_ok": True,
    "water_convenience_ok": True,
    "water_reliability_ok": True,
    "water_safe": True,
    "water_difficult": False,
}
MEMBER_INSURED = {"basic_medical_insurance": True, "serious_illness_insurance": True}
