"""What each role may do, as data: role → the actions it holds inside its jurisdiction.

``jingzhun.core.restrict`` reads this table (through ``User.rights``) for every restricted queryset: an app
names the action (``Household.objects.restrict(user, "change")``) and never tests roles itself. Adding a
role, or giving one an action, is a change to this table only. The system administrator holds every
action and is not bound to a region (``UNBOUNDED``).

Actions:

* ``view`` — read the register of the jurisdiction (households, cases, villages, doubts, runs, figures);
* ``change`` — change the register (households, members, cases, village yearly records);
* ``import`` — import register files and see the import batches of the jurisdiction;
* ``audit`` — read the audit log;
* ``browse`` — see the region tree and the policy parameters that apply (public inside the jurisdiction);
* ``catalogue`` — read the comparison rule catalogue;
* ``department_data`` — a department user's own data and doubts (their department only, ``comparison``);
* ``verify`` / ``resolve`` — verify a doubt; mark a confirmed one resolved;
* ``village_list`` — change a county's 贫困村 list;
* ``surveys`` / ``assess`` — read / draw and enter the assessment surveys (第三方评估);
* ``set_policy`` — set policy parameters of regions inside the jurisdiction;
* ``run`` / ``load`` / ``refresh`` — start comparisons, load department data, refresh the figures;
* ``edit_rules`` — switch comparison rules and thresholds for every county.
"""

from __future__ import annotations

from collections.abc import Mapping

from jingzhun.accounts.choices import Role

ACTIONS = frozenset(
    {
        "view",
        "change",
        "import",
        "audit",
        "browse",
        "catalogue",
        "department_data",
        "verify",
        "resolve",
        "village_list",
        "surveys",
        "assess",
        "set_policy",
        "run",
        "load",
        "refresh",
        "edit_rules",
    }
)
_STAFF = frozenset({"view", "change", "import", "audit", "browse", "catalogue", "verify"})

RIGHTS: Mapping[str, frozenset[str]] = {
    Role.ADMIN: ACTIONS,
    Role.COUNTY_ADMIN: _STAFF
    | {"resolve", "village_list", "surveys", "assess", "set_policy", "run", "load", "refresh"},
    Role.TOWNSHIP_OFFICER: _STAFF | {"resolve"},
    Role.VILLAGE_OFFICER: _STAFF,
    # A helper sees the households paired with them (帮扶结对) once pairing is restricted that way; until
    # then only the region tree and the policy.
    Role.HELPER: frozenset({"browse"}),
    Role.DEPARTMENT: frozenset({"browse", "catalogue", "department_data"}),
    Role.LEADER: frozenset({"view", "browse", "catalogue", "surveys"}),
    Role.AUDITOR: frozenset({"view", "audit", "browse", "catalogue", "surveys"}),
}
# Roles not bound to a region: they act everywhere, with or without a region of their own.
UNBOUNDED = frozenset({Role.ADMIN})


def rights_of(role: str) -> frozenset[str]:
    return RIGHTS.get(role, frozenset())


def roles_with(action: str) -> frozenset[str]:
    """The roles holding ``action`` (for messages and tests)."""
    return frozenset(role for role, rights in RIGHTS.items() if action in rights)
