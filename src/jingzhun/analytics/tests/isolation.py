"""The indicator pages for the isolation meta-tests (tests/test_web_isolation.py, tests/test_api_isolation.py).

The list behind a number takes an indicator code in the path and the region in the query: without a region
it lists the viewer's own region, so everyone who sees figures gets it (their own township included), and
an unknown code is the missing object. Helpers and department users see no figures at all.
"""

from __future__ import annotations

from typing import Any

FIGURE_READERS = {
    "admin",
    "county_admin",
    "township_officer",
    "village_officer",
    "leader",
    "auditor",
    "township_b_officer",
}


def indicator_kwargs(scene: Any, missing: bool) -> dict[str, Any]:
    return {"code": "no_such_indicator" if missing else "households_by_status"}
