"""Generated department data (行业部门数据) for a registry snapshot, with planted anomalies and their ground truth.

For demos, tests and load tests of the comparison (``comparison.engine``): given a snapshot (``comparison.snapshot``), write
for each of the twelve datasets of ``datasets.py`` the file a department would send, already in the STORED
Parquet format the rules read (typed columns, ``row_number``, ``id_valid``), and ``ground_truth.csv``: the
subjects each department rule of ``data/rules.toml`` must find, no more and no fewer.

What the files hold:

* **The whole population**, not only the register: every register member (registered households and the
  一般农户 in the register), and about ``2 × scale`` as many other residents of each county (valid IDs with
  the county's address code, Chinese names, a village of the county). At ``scale`` 1.0 the twelve files
  hold about ten rows per register member (medical enrolment and expenses ≈ 3× each, employment ≈ 1×, …).
* **Consistent everyday data**: every registered member is enrolled in basic medical insurance for the
  ``as_of`` year under the register's name, every registered child of 6–15 has a latest 在读 record,
  registered 低保/特困 members are in force at 民政, registered disabilities have certificates, household
  heads' houses are assessed, nobody's 12-month medical self-pay reaches the rule's threshold, …
* **Planted anomalies**, for each department rule of the catalogue (``PLANTED_RULES``): about ``PLANT_RATE``
  of the registered members per rule, at least ``MIN_PLANTS`` when the register has that many candidates,
  at most half of a small pool (JC05's monitored 因病 households, SB03's not-exited heads depend on the
  register), and **noise** next to each: rows that look like the anomaly but must not hit (a car bought
  after registration, an ended 低保, a renovated C-grade house, a large bill on the day the 12-month window
  starts, a 三级 certificate, a mistyped ID whose name and birth date match no register member, the
  register's name written in 繁体 or 简体, with another middle dot or a space, an older year's enrolment
  under a mistyped name, …).

Everything is drawn from numpy generators seeded with ``(seed, stream)``, one stream per dataset, and the
work is vectorised (numpy and Arrow; DuckDB only scans the snapshot), so a province of two million members
(20 million department rows) takes about a minute and the same seed gives byte-identical files. Rows are
written in a shuffled order with ``row_number`` = the row in the department's spreadsheet (header = row 1),
as ``loading.py`` numbers CSV rows; loading the .csv/.xlsx gives back exactly the .parquet.

Ground truth (``ground_truth.csv``: rule_code, household_number, person_number, id_number) names each subject
as the rule outputs it: person rules give the member; CT02/SB03 give the household and its head's ID with an
empty person number; JC05 only the household; LP01/LP02 (people not in the register) only the ID. A child
planted for CT01 (exited household, latest 辍学) is also an SB01 subject and is listed under both.

The package: ``common.py`` (what every file shares), ``generator.py`` (the population, the plants, the
entry point), and one module per department file (``medical_enrolment.py``, ``education.py`` …).
"""

from jingzhun.testing.departments.common import (
    FORMATS,
    MIN_PLANTS,
    PLANT_RATE,
    PLANTED_RULES,
    RULES,
    TRUTH_COLUMNS,
    TRUTH_FILE,
    DeptGenError,
    Truth,
    stored_schema,
)
from jingzhun.testing.departments.generator import default_as_of, generate_departments

__all__ = [
    "FORMATS",
    "MIN_PLANTS",
    "PLANTED_RULES",
    "PLANT_RATE",
    "RULES",
    "TRUTH_COLUMNS",
    "TRUTH_FILE",
    "DeptGenError",
    "Truth",
    "default_as_of",
    "generate_departments",
    "stored_schema",
]
