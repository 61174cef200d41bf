"""The officers of bench/load_bench.py as locust users (run by load_bench.py, not on its own).

Each user is one officer of the plan (``JINGZHUN_LOAD_PLAN``, JSON written by load_bench.py): a web session
for the pages, an API token for the writes, households and doubts of their own. Requests are named by page
(search, household page, edit, case step, doubt verification); the reads that a write needs first (the
record's version) are named "… (read)" and reported apart.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random

from locust import HttpUser, between, task

PLAN = json.loads(open(os.environ["JINGZHUN_LOAD_PLAN"], encoding="utf-8").read())
THINK = float(os.environ.get("JINGZHUN_LOAD_THINK", "1.0"))
NEXT = itertools.count()


class Officer(HttpUser):
    wait_time = between(THINK * 0.5, THINK * 1.5)

    def on_start(self) -> None:
        self.me = PLAN[next(NEXT) % len(PLAN)]
        self.rng = random.Random(self.me["token"])
        self.doubts = list(self.me["doubts"])
        self.fresh = list(self.me["households"])  # households without a case opened here yet
        self.page_headers = {"Cookie": self.me["cookie"]}
        self.api_headers = {"Authorization": f"Bearer {self.me['token']}"}

    def _expect(self, response, *codes: int) -> bool:
        if response.status_code in codes:
            response.success()
            return True
        response.failure(f"{response.status_code}: {response.text[:300]}")
        return False

    @task(3)
    def search(self) -> None:
        name = self.rng.choice(self.me["names"])[: self.rng.choice((1, 2, 3))]
        with self.client.get(
            "/registry/",
            params={"q": name},
            headers=self.page_headers,
            name="search",
            catch_response=True,
            allow_redirects=False,  # a redirect to the login page is an error, not a page
        ) as r:
            self._expect(r, 200)

    @task(5)
    def household_page(self) -> None:
        pk = self.rng.choice(self.me["households"])
        with self.client.get(
            f"/registry/{pk}/",
            headers=self.page_headers,
            name="household page",
            catch_response=True,
            allow_redirects=False,
        ) as r:
            self._expect(r, 200)

    @task(1)
    def edit(self) -> None:
        pk = self.rng.choice(self.me["households"])
        url = f"/api/registry/households/{pk}"
        with self.client.get(url, headers=self.api_headers, name="edit (read)", catch_response=True) as r:
            if not self._expect(r, 200):
                return
            version = r.json()["version"]
        body = {"version": version, "phone": f"1{self.rng.randrange(10**10):010d}"}
        with self.client.patch(
            url, json=body, headers=self.api_headers, name="edit", catch_response=True
        ) as r:
            self._expect(r, 200)

    @task(1)
    def case_step(self) -> None:
        if not self.fresh:
            return
        pk = self.fresh.pop()
        body = {
            "kind": "monitoring",
            "discovered_on": dt.date.today().isoformat(),
            "params": {"monitoring_type": "2"},
        }
        with self.client.post(
            f"/api/procedures/households/{pk}/cases",
            json=body,
            headers=self.api_headers,
            name="case step (open)",
            catch_response=True,
        ) as r:
            # 409/422: this household cannot have a monitoring case now (already monitored, has an open case)
            if r.status_code in (409, 422):
                r.success()
                return
            if not self._expect(r, 200, 201):
                return
            case = r.json()
        step = {**self.me["step"], "version": case["version"]}
        with self.client.post(
            f"/api/procedures/cases/{case['id']}/steps",
            json=step,
            headers=self.api_headers,
            name="case step",
            catch_response=True,
        ) as r:
            self._expect(r, 200, 201)

    @task(1)
    def doubt_verification(self) -> None:
        if not self.doubts:
            return
        pk = self.doubts.pop()
        url = f"/api/comparison/doubts/{pk}"
        with self.client.get(
            url, headers=self.api_headers, name="doubt verification (read)", catch_response=True
        ) as r:
            if not self._expect(r, 200):
                return
            version = r.json()["version"]
        body = {"confirmed": False, "note": "经入户核实，部门数据与实际不符（基准测试）", "version": version}
        with self.client.post(
            f"{url}/verify",
            json=body,
            headers=self.api_headers,
            name="doubt verification",
            catch_response=True,
        ) as r:
            self._expect(r, 200)
