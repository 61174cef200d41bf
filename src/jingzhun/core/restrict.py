"""One way to restrict what a user reaches: ``Model.objects.restrict(user, action)``.

In the spirit of NetBox's ``RestrictedQuerySet.restrict(user, action)``. A model declares where its region
code is (``region_paths``: lookups ending at a region's 12-digit code, e.g. ``"village__code"``; a model
reached through a household declares the path through it, ``"household__village__code"``), and the
manager it gets from ``Restricted`` answers ``restrict(user, action)`` with:

* nothing for an anonymous or inactive user, for a role that does not hold ``action``
  (``accounts.rights.RIGHTS``, read through ``User.rights``), and for a user with no region;
* everything for an unbounded role (the system administrator);
* otherwise the rows whose region code starts with the user's region prefix (``code LIKE '620502%'``; one
  join along each path, never ``IN (subquery)``: SQLite plans that badly). Several paths are alternatives
  (a case is reached through its household or its village).

``covering=True`` adds the rows of the regions that contain the user's (their ancestors' prefixes, and ""
for national rows) through the model's ``region_covering`` lookup: national and provincial policy, a
county's run seen from one of its villages.

``jurisdiction``, ``has_right`` and ``may`` answer the same question for one code or none (a form's
region, a file's scope). No app writes its own jurisdiction filter: a test
(``tests/test_restrict.py``) fails on ``jurisdiction_prefix`` or a prefix ``__startswith`` in any
``access.py``, view or API module.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar, Self, TypeAlias, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from jingzhun.accounts.models import User

UserLike: TypeAlias = "User | AnonymousUser"

# The significant lengths of a region code (province, city, county, township, village); regions.choices
# holds the same figures by level (core sits below regions).
PREFIX_LENGTHS = (2, 4, 6, 9, 12)

_M = TypeVar("_M", bound=models.Model)


def covering_prefixes(prefix: str) -> list[str]:
    """The prefixes of the regions containing ``prefix``, itself included, and "" (national):
    "620502" → ["", "62", "6205", "620502"]."""
    return ["", *(prefix[:n] for n in PREFIX_LENGTHS if n <= len(prefix))]


def signed_in(user: UserLike | None) -> User | None:
    """The user if signed in and active; None for an anonymous or inactive one."""
    if user is None or isinstance(user, AnonymousUser):
        return None
    if not (user.is_authenticated and user.is_active):
        return None
    return user


def has_right(user: UserLike | None, action: str) -> bool:
    """Whether the user's role holds ``action`` (wherever; ``may`` adds the region)."""
    person = signed_in(user)
    return person is not None and action in person.rights


def jurisdiction(user: UserLike | None, action: str | None = None) -> str | None:
    """The region-code prefix inside which ``user`` may take ``action`` ("" = everywhere; None = nowhere).
    Without ``action``: the user's jurisdiction whatever their role may do there."""
    person = signed_in(user)
    if person is None or (action is not None and action not in person.rights):
        return None
    if person.unbounded:
        return ""
    return person.jurisdiction_prefix


def may(user: UserLike | None, action: str, code: str) -> bool:
    """Whether ``user`` may take ``action`` on the region ``code`` (a 12-digit code or a prefix)."""
    prefix = jurisdiction(user, action)
    return prefix is not None and code.startswith(prefix)


def reaches(user: UserLike | None, action: str, code: str) -> bool:
    """Whether ``user`` may take ``action`` on some part of the region ``code``: it lies inside the
    jurisdiction, or contains it (a township officer sees their part of the county's list)."""
    prefix = jurisdiction(user, action)
    return prefix is not None and (code.startswith(prefix) or prefix.startswith(code))


def home_prefix(user: UserLike | None) -> str:
    """The prefix of the user's own region ("" for none): where pages start and breadcrumbs stop. Not a
    filter: what the user may reach is ``jurisdiction``'s answer."""
    if user is None or isinstance(user, AnonymousUser):
        return ""
    return user.jurisdiction_prefix or ""


def _any(conditions: Iterable[Q]) -> Q:
    return functools.reduce(operator.or_, conditions)


class RestrictedQuerySet(models.QuerySet[_M]):
    """A queryset that knows the region of its rows (``Restricted.region_paths``)."""

    def restrict(
        self,
        user: UserLike | None,
        action: str = "view",
        *,
        via: Iterable[str] | None = None,
        covering: bool = False,
    ) -> Self:
        """The rows ``user`` may take ``action`` on. ``via`` keeps only some of the declared paths (the
        cases of households, not of villages); ``covering`` adds the rows of the regions containing the
        user's (``region_covering``)."""
        prefix = jurisdiction(user, action)
        if prefix is None:
            return self.none()
        declared = self._paths()
        paths = declared if via is None else tuple(via)
        unknown = set(paths) - set(declared)
        if unknown or not paths:
            raise ImproperlyConfigured(f"{self.model.__name__}: {sorted(unknown)} are not in region_paths")
        if prefix == "":
            if set(paths) == set(declared):
                return self.all()
            return self.filter(_any(Q(**{f"{path}__isnull": False}) for path in paths))
        condition = _any(Q(**{f"{path}__startswith": prefix}) for path in paths)
        if covering:
            field: str = getattr(self.model, "region_covering", "")
            if not field:
                raise ImproperlyConfigured(f"{self.model.__name__} declares no region_covering")
            condition |= Q(**{f"{field}__in": covering_prefixes(prefix)})
        return self.filter(condition)

    def within(self, prefix: str) -> Self:
        """The rows of the region ``prefix`` (one already reached through ``restrict`` or ``access_*``):
        a page's or report's scope inside what the user may see, never a jurisdiction of its own."""
        return self.filter(_any(Q(**{f"{path}__startswith": prefix}) for path in self._paths()))

    def _paths(self) -> tuple[str, ...]:
        declared: tuple[str, ...] = getattr(self.model, "region_paths", ())
        if not declared:
            raise ImproperlyConfigured(f"{self.model.__name__} declares no region_paths")
        return declared


RestrictedManager = models.Manager.from_queryset(RestrictedQuerySet)


class Restricted(models.Model):
    """Base of every model a user reaches by region: declare ``region_paths`` (and ``region_covering``) and
    ``Model.objects.restrict(user, action)`` follows."""

    region_paths: ClassVar[tuple[str, ...]] = ()
    region_covering: ClassVar[str] = ""

    objects = RestrictedManager()

    class Meta:
        abstract = True
