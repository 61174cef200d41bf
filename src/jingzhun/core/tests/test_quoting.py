"""``core.quoting``: what it quotes reads back exactly, in DuckDB and in the test database."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.db import connection

from jingzhun.core import quoting

AWKWARD = ["plain", "O'Brien", 'say "hi"', "a\\b", "两 个'字\"", "''", ""]


def test_literals_and_identifiers_read_back_in_duckdb():
    con = duckdb.connect()
    for text in AWKWARD:
        assert con.execute(f"SELECT {quoting.literal(text)}").fetchone()[0] == text
    assert con.execute(f"SELECT {quoting.literal(None)}").fetchone()[0] is None
    doc = quoting.literal({"k": [1, "x'y"]})
    assert con.execute(f"SELECT {doc}::JSON->>'$.k[1]'").fetchone()[0] == "x'y"
    name = "col \"x\" 'y'"
    con.execute(f"CREATE TABLE t ({quoting.identifier(name)} INTEGER)")
    assert [d[0] for d in con.execute("SELECT * FROM t").description] == [name]


@pytest.mark.django_db
def test_literals_read_back_in_the_database():
    with connection.cursor() as cursor:
        for text in AWKWARD:
            column = quoting.identifier('a "b"')
            cursor.execute(f"SELECT {quoting.literal(text)} AS {column}")
            assert cursor.fetchone()[0] == text


def test_paths_with_a_quote_and_a_space(tmp_path):
    folder = tmp_path / "O'Brien data"
    folder.mkdir()
    files = [folder / "one 'a'.parquet", folder / "two.parquet"]
    for i, path in enumerate(files):
        pq.write_table(pa.table({"n": [i]}), path)
    con = duckdb.connect()
    assert con.execute(f"SELECT sum(n) FROM read_parquet({quoting.path_list(files)})").fetchone()[0] == 1
    out = folder / "copy 'out'.parquet"
    con.execute(f"COPY (SELECT 7 AS n) TO {quoting.path(out)} (FORMAT parquet)")
    assert con.execute(f"SELECT n FROM read_parquet({quoting.path(out)})").fetchone()[0] == 7
