"""Quoting for the SQL we compose as text: DuckDB (staging, loads, snapshots, comparisons), PostgreSQL and
SQLite read these forms alike.

Bind a parameter (``?`` in DuckDB, ``%s`` in Django) wherever the statement allows one; quote only where it
does not: names of tables and columns, ``COPY … TO`` targets, ``read_parquet([...])`` lists, values inside
a view or a ``SELECT`` that is itself composed. File paths are literals like any other text: a quote or a
space in ``JINGZHUN_HOME`` must not break a statement (issue 15).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable


def identifier(name: str) -> str:
    """A table or column name: ``"name"``, with an inner ``"`` doubled."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: object) -> str:
    """A value as a string literal (``NULL`` for None): ``'text'``, with an inner ``'`` doubled.

    Other values are written as their ``str()``; a list or a dict as its JSON text. Backslashes stay as they
    are: DuckDB, SQLite and PostgreSQL (``standard_conforming_strings``) read them literally."""
    if value is None:
        return "NULL"
    text = json.dumps(value) if isinstance(value, list | dict) else str(value)
    return "'" + text.replace("'", "''") + "'"


def path(value: str | os.PathLike[str]) -> str:
    """A file path or glob as a string literal, for ``read_parquet(…)`` and ``COPY … TO …``."""
    return literal(os.fspath(value))


def path_list(values: Iterable[str | os.PathLike[str]]) -> str:
    """Several file paths as a DuckDB list literal: ``['a.parquet', 'b.parquet']``."""
    return "[" + ", ".join(path(v) for v in values) + "]"
