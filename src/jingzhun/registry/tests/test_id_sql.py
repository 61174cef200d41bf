"""The SQL fast path of the import's ID check agrees with ``idnumbers.parse`` on every value.

Values the SQL accepts must be exactly those ``parse`` accepts as clean 18-character numbers, with the same
canonical number, sex and birth date; everything else must reach ``parse`` and keep its message.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from jingzhun.registry import idnumbers
from jingzhun.registry.staging import Staged
from jingzhun.registry.validation import attach_ids

provinces = st.sampled_from([*sorted(idnumbers.PROVINCE_CODES), "00", "19", "91", "99"])
births = st.dates(min_value=date(1870, 1, 1), max_value=date(2099, 12, 31))
valid_ids = st.builds(
    lambda p, a, b, s: (
        idnumbers.make_id(p + f"{a:04d}", b, s)
        if p in idnumbers.PROVINCE_CODES
        else p + f"{a:04d}" + b.strftime("%Y%m%d") + f"{s:03d}0"
    ),
    provinces,
    st.integers(0, 9999),
    births,
    st.integers(0, 999),
)
damaged = st.builds(
    lambda v, k, c: v[:k] + c + v[k + 1 :], valid_ids, st.integers(0, 17), st.sampled_from("0123456789Xx ")
)
noise = st.text(alphabet="0123456789Xx０１２３ -", min_size=0, max_size=21)
values = st.lists(st.one_of(valid_ids, damaged, noise, st.none()), min_size=1, max_size=40)


def _staged(ids: list[str | None], *, from_text: bool) -> Staged:
    con = duckdb.connect()
    con.register("v", pa.table({"_i": list(range(len(ids))), "id_number": ids}))
    con.execute("CREATE TABLE raw AS SELECT _i, nullif(trim(id_number), '') AS id_number FROM v")
    cleaned = [None if v is None or not v.strip() else v.strip() for v in ids]
    return Staged(con=con, rows=len(ids), id_values=None if from_text else cleaned, columns=[])


@settings(max_examples=300, deadline=None)
@given(values, st.booleans())
def test_sql_and_python_agree(ids: list[str | None], from_text: bool) -> None:
    staged = _staged(ids, from_text=from_text)
    attach_ids(staged)
    got = {
        r[0]: r[1:]
        for r in staged.con.execute(
            "SELECT _i, id_canon, id_sex, id_birth, id_error FROM ids ORDER BY _i"
        ).fetchall()
    }
    assert sorted(got) == list(range(len(ids)))
    cleaned = [None if v is None or not v.strip() else v.strip() for v in ids]
    numbers, sexes, _codes, birth_dates, messages = idnumbers.parse_many(cleaned)
    for i in range(len(ids)):
        assert got[i] == (numbers[i], sexes[i], birth_dates[i], messages[i]), (i, ids[i])
