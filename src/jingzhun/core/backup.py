"""Backup and restore of a whole installation: the database and every stored file (issue 16).

A backup is a folder:

* ``database.sqlite3`` (SQLite's online backup API: a consistent copy while the app keeps running) or
  ``database.pgdump`` (``pg_dump -Fc``, taken in the same snapshot as the checksums below);
* ``media/``: a copy of ``MEDIA_ROOT`` (uploaded evidence, import batches' Parquet copies, department
  data, snapshots, comparison findings, error reports);
* ``manifest.json``: the database's vendor and migrations, every table's row count and checksum, every
  file's size and SHA-256.

``restore`` refuses a database or media folder that is not empty, checks the backup's files against the
manifest before writing anything, restores, and checks the restored tables and files against the
manifest again: a restore that does not give the same checksums says so and fails.

Table checksums are computed from each row's text as the database itself renders it (SQLite's
``quote()``, PostgreSQL's ``row::text``), ordered by that text, so they do not depend on the Python
driver and a restored copy is equal when its checksums are byte-equal.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections

from jingzhun.core import quoting
from jingzhun.core.errors import JingzhunError

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
MEDIA = "media"
CHUNK = 1 << 20

Progress = Callable[[str], None]


class BackupError(JingzhunError):
    """A backup or restore that cannot be done; the message says why and what to do, in Chinese."""


@dataclass(frozen=True)
class Target:
    """Where a database lives: the vendor and Django's connection settings."""

    vendor: str
    settings: dict[str, Any]

    @classmethod
    def default(cls, alias: str = "default") -> Target:
        return cls(vendor=connections[alias].vendor, settings=dict(connections[alias].settings_dict))


# --------------------------------------------------------------------------------------------------
# Checksums


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def files_manifest(root: Path) -> dict[str, dict[str, Any]]:
    """Relative path → size and SHA-256 of every file under ``root`` (empty when it does not exist)."""
    if not root.exists():
        return {}
    return {
        path.relative_to(root).as_posix(): {"size": path.stat().st_size, "sha256": file_digest(path)}
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _digest_rows(rows: Iterator[tuple[Any, ...]]) -> tuple[int, str]:
    digest, count = hashlib.sha256(), 0
    for (text,) in rows:
        digest.update(text.encode("utf-8") if isinstance(text, str) else bytes(text))
        digest.update(b"\n")
        count += 1
    return count, digest.hexdigest()


def sqlite_tables(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """Every table of a SQLite database: row count and checksum over ``quote()`` of each column."""
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    result: dict[str, dict[str, Any]] = {}
    for name in names:
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info({quoting.identifier(name)})")]
        row = " || ',' || ".join(f"quote({quoting.identifier(c)})" for c in columns) or "''"
        cursor = conn.execute(f"SELECT {row} AS r FROM {quoting.identifier(name)} ORDER BY r")
        count, digest = _digest_rows(iter(cursor))
        result[name] = {"rows": count, "sha256": digest}
    return result


def postgres_tables(cursor: Any) -> dict[str, dict[str, Any]]:
    """Every table of the public schema: row count and checksum over ``row::text``, ordered by it."""
    cursor.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename COLLATE \"C\""
    )
    names = [r[0] for r in cursor.fetchall()]
    result: dict[str, dict[str, Any]] = {}
    for name in names:
        cursor.execute(
            f'SELECT t::text FROM public.{quoting.identifier(name)} t ORDER BY t::text COLLATE "C"'
        )
        count, digest = _digest_rows(_fetch(cursor))
        result[name] = {"rows": count, "sha256": digest}
    return result


def _fetch(cursor: Any) -> Iterator[tuple[Any, ...]]:
    while rows := cursor.fetchmany(5000):
        yield from rows


def migrations_of(tables: dict[str, Any], read: Callable[[str], list[tuple[Any, ...]]]) -> list[list[str]]:
    if "django_migrations" not in tables:
        return []
    return [[str(a), str(n)] for a, n in read("SELECT app, name FROM django_migrations ORDER BY app, name")]


# --------------------------------------------------------------------------------------------------
# PostgreSQL tools


def pg_tool(name: str) -> str:
    """The newest installed ``pg_dump``/``pg_restore`` (Debian keeps them per version)."""
    versions = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if versions:
        return str(versions[-1])
    found = shutil.which(name)
    if not found:
        raise BackupError(f"找不到 PostgreSQL 的 {name} 程序：请安装与数据库版本一致的 postgresql-client")
    return found


def pg_env(db: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    args = ["--no-password"]
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [""]
        raise BackupError(f"{what}失败（{Path(command[0]).name} 退出码 {done.returncode}）：{detail[0]}")


# --------------------------------------------------------------------------------------------------
# Backup


def backup(
    out: Path,
    *,
    target: Target | None = None,
    media_root: Path | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Write a backup of the database and ``MEDIA_ROOT`` into the new folder ``out``; returns the manifest."""
    target = target or Target.default()
    media_root = Path(media_root or settings.MEDIA_ROOT)
    say = progress or (lambda _text: None)
    if out.exists() and any(out.iterdir()):
        raise BackupError(f"备份目录已存在且不是空的：{out}。请指定一个新的目录")
    out.mkdir(parents=True, exist_ok=True)
    say("备份数据库")
    if target.vendor == "sqlite":
        tables, migrations = _backup_sqlite(target, out / SQLITE_FILE)
        database = SQLITE_FILE
    elif target.vendor == "postgresql":
        tables, migrations = _backup_postgres(target, out / PG_FILE)
        database = PG_FILE
    else:
        raise BackupError(f"不支持备份此类数据库：{target.vendor}")
    say(f"复制文件（{media_root}）")
    if media_root.exists():
        shutil.copytree(media_root, out / MEDIA, symlinks=False)
    else:
        (out / MEDIA).mkdir()
    say("计算校验值")
    files = files_manifest(out / MEDIA)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "vendor": target.vendor,
        "database": {
            "file": database,
            "size": (out / database).stat().st_size,
            "sha256": file_digest(out / database),
        },
        "migrations": migrations,
        "tables": tables,
        "files": files,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    say(f"完成：{len(tables)} 张表，{sum(t['rows'] for t in tables.values())} 行，{len(files)} 个文件")
    return manifest


def _sqlite_path(target: Target) -> str:
    return str(target.settings["NAME"])


def _backup_sqlite(target: Target, dest: Path) -> tuple[dict[str, Any], list[list[str]]]:
    """SQLite's online backup API from the live database (the app may keep writing; the copy is one
    consistent state), then the checksums of that copy."""
    name = _sqlite_path(target)
    conn = connections["default"]
    if conn.vendor == "sqlite" and str(conn.settings_dict["NAME"]) == name:
        conn.ensure_connection()
        source = conn.connection  # also works for an in-memory test database
        close = False
    else:
        source = sqlite3.connect(name)
        close = True
    try:
        with contextlib.closing(sqlite3.connect(dest)) as copy:
            source.backup(copy)
    finally:
        if close:
            source.close()
    with contextlib.closing(sqlite3.connect(dest)) as copy:
        tables = sqlite_tables(copy)
        migrations = migrations_of(tables, lambda sql: copy.execute(sql).fetchall())
    return tables, migrations


def _postgres_connect(db: dict[str, Any], name: str | None = None) -> Any:
    import psycopg

    return psycopg.connect(
        dbname=name or db["NAME"],
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        autocommit=False,
    )


def _backup_postgres(target: Target, dest: Path) -> tuple[dict[str, Any], list[list[str]]]:
    """``pg_dump`` in the snapshot the checksums are read in (``pg_export_snapshot``), so they agree even
    while officers keep working."""
    db = target.settings
    with contextlib.closing(_postgres_connect(db)) as conn:
        with conn.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            args, env = pg_env(db)
            _run(
                [
                    pg_tool("pg_dump"),
                    *args,
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={dest}",
                    str(db["NAME"]),
                ],
                env,
                "导出数据库",
            )
            tables = postgres_tables(cursor)

            def read(sql: str) -> list[tuple[Any, ...]]:
                cursor.execute(sql)
                return list(cursor.fetchall())

            migrations = migrations_of(tables, read)
        conn.rollback()
    return tables, migrations


# --------------------------------------------------------------------------------------------------
# Restore


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(f"{folder} 不是备份目录（没有 {MANIFEST}）")
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BackupError(f"备份清单 {path} 无法读取或已损坏") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"备份格式版本 {manifest.get('format')} 不受支持（本版本为 {FORMAT}）")
    return manifest


def verify_folder(folder: Path, manifest: dict[str, Any]) -> None:
    """The backup's own files are those the manifest lists (nothing changed or missing since the backup)."""
    database = manifest["database"]
    path = folder / database["file"]
    if not path.is_file() or file_digest(path) != database["sha256"]:
        raise BackupError(f"备份中的数据库文件 {database['file']} 缺失或已损坏（校验值不符），不能恢复")
    found = files_manifest(folder / MEDIA)
    bad = sorted(
        set(found) ^ set(manifest["files"]) | {k for k in found if found[k] != manifest["files"].get(k)}
    )
    if bad:
        raise BackupError(f"备份中的文件与清单不符（{len(bad)} 个，如 {bad[0]}），不能恢复")


def restore(
    folder: Path,
    *,
    target: Target | None = None,
    media_root: Path | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Restore a backup into an empty database and an empty media folder; returns the restored checksums
    (equal to the manifest's, or a ``BackupError`` says which table or file differs)."""
    target = target or Target.default()
    media_root = Path(media_root or settings.MEDIA_ROOT)
    say = progress or (lambda _text: None)
    manifest = read_manifest(folder)
    if manifest["vendor"] != target.vendor:
        raise BackupError(f"备份来自 {manifest['vendor']} 数据库，不能恢复到 {target.vendor} 数据库")
    say("核对备份文件")
    verify_folder(folder, manifest)
    if media_root.exists() and any(media_root.iterdir()):
        raise BackupError(f"文件目录 {media_root} 不是空的：请恢复到新的安装（空数据库、空文件目录）")
    say("恢复数据库")
    if target.vendor == "sqlite":
        tables = _restore_sqlite(folder / SQLITE_FILE, target)
    else:
        tables = _restore_postgres(folder / PG_FILE, target)
    say("恢复文件")
    media_root.parent.mkdir(parents=True, exist_ok=True)
    if media_root.exists():
        media_root.rmdir()
    shutil.copytree(folder / MEDIA, media_root)
    files = files_manifest(media_root)
    say("核对恢复结果")
    differ = [
        name
        for name in set(tables) | set(manifest["tables"])
        if tables.get(name) != manifest["tables"].get(name)
    ]
    if differ:
        raise BackupError(f"恢复后的数据与备份不一致：{'、'.join(sorted(differ)[:5])}")
    if files != manifest["files"]:
        raise BackupError("恢复后的文件与备份不一致")
    say(
        f"完成：{len(tables)} 张表，{sum(t['rows'] for t in tables.values())} 行，{len(files)} 个文件，校验值一致"
    )
    return {"tables": tables, "files": files}


def _restore_sqlite(source: Path, target: Target) -> dict[str, Any]:
    name = _sqlite_path(target)
    if name == ":memory:" or "mode=memory" in name:
        raise BackupError("不能恢复到内存数据库")
    connections.close_all()
    path = Path(name)
    if path.exists():
        with contextlib.closing(sqlite3.connect(path)) as existing:
            count = existing.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        if count:
            raise BackupError(f"数据库 {path} 不是空的：请恢复到新的安装（空数据库、空文件目录）")
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(source)) as src, contextlib.closing(sqlite3.connect(path)) as dst:
        src.backup(dst)
    with contextlib.closing(sqlite3.connect(path)) as restored:
        return sqlite_tables(restored)


def _restore_postgres(source: Path, target: Target) -> dict[str, Any]:
    db = target.settings
    with contextlib.closing(_postgres_connect(db)) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        if cursor.fetchone()[0]:
            raise BackupError(f"数据库 {db['NAME']} 不是空的：请先新建一个空数据库再恢复")
    args, env = pg_env(db)
    _run(
        [
            pg_tool("pg_restore"),
            *args,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={db['NAME']}",
            str(source),
        ],
        env,
        "恢复数据库",
    )
    with contextlib.closing(_postgres_connect(db)) as conn, conn.cursor() as cursor:
        tables = postgres_tables(cursor)
        conn.rollback()
    return tables
