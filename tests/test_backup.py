"""Backup then restore into an empty database gives byte-equal table checksums and the same files, on the
backend the suite runs on (SQLite, or PostgreSQL through pg_dump/pg_restore); a damaged backup or a
database that is not empty is refused in Chinese before anything is written (issue 16)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from jingzhun.core import backup
from jingzhun.core.audit import Actor
from jingzhun.core.models import ObjectChange
from jingzhun.policy import services as policy_services
from jingzhun.policy.models import Parameter
from jingzhun.registry.models import Household, Member


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    (root / "datasets" / "disability").mkdir(parents=True)
    (root / "datasets" / "disability" / "7.parquet").write_bytes(bytes(range(256)) * 40)
    (root / "evidence" / "申请书 'a'.png").parent.mkdir(parents=True)
    (root / "evidence" / "申请书 'a'.png").write_bytes(b"\x89PNG fake")
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture
def empty_target(tmp_path: Path) -> Iterator[backup.Target]:
    """A new, empty database of the suite's backend (dropped afterwards on PostgreSQL)."""
    if connection.vendor == "sqlite":
        yield backup.Target("sqlite", {"NAME": str(tmp_path / "restored" / "jingzhun.sqlite3")})
        return
    db = dict(connection.settings_dict)
    name = f"{db['NAME']}_restore"[:60]
    admin = backup._postgres_connect(db, "postgres")
    admin.autocommit = True
    with contextlib.closing(admin):
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield backup.Target("postgresql", {**db, "NAME": name})
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_backup_then_restore_gives_equal_tables_and_files(
    transactional_world: Any, media: Path, tmp_path: Path, empty_target: backup.Target
) -> None:
    # given a county's register, its audit log and stored files
    line = Parameter.objects.get(key="poverty_line", region_prefix="", year=2019)
    policy_services.update_parameter(
        actor=Actor.of(transactional_world.users["admin"]),
        parameter=line,
        expected_version=line.version,
        data={"note": "核对：国家统计局"},
    )
    households, members = Household.objects.count(), Member.objects.count()
    assert households and members and ObjectChange.objects.exists()
    # when it is backed up into a folder whose name has a space and Chinese in it
    folder = tmp_path / "备份 1"
    said: list[str] = []
    manifest = backup.backup(folder, media_root=media, progress=said.append)
    assert said[0] == "备份数据库" and said[-1].startswith("完成")
    assert manifest["tables"]["registry_household"]["rows"] == households
    assert manifest["tables"]["registry_member"]["rows"] == members
    assert set(manifest["files"]) == {"datasets/disability/7.parquet", "evidence/申请书 'a'.png"}
    assert json.loads((folder / "manifest.json").read_text(encoding="utf-8")) == manifest
    # and restored into an empty database and an empty media folder
    restored_media = tmp_path / "restored-media"
    restored = backup.restore(folder, target=empty_target, media_root=restored_media)
    # then every table has the same rows, byte for byte, and every file is there with the same content
    assert restored["tables"] == manifest["tables"] and len(restored["tables"]) > 30
    assert restored["files"] == manifest["files"]
    assert (restored_media / "evidence" / "申请书 'a'.png").read_bytes() == b"\x89PNG fake"
    # and a second restore into the same (now full) database is refused without touching it
    with pytest.raises(backup.BackupError, match="不是空的"):
        backup.restore(folder, target=empty_target, media_root=tmp_path / "other-media")
    assert not (tmp_path / "other-media").exists()


def test_a_damaged_backup_is_refused_before_anything_is_written(
    transactional_world: Any, media: Path, tmp_path: Path, empty_target: backup.Target
) -> None:
    folder = tmp_path / "backup"
    backup.backup(folder, media_root=media)
    (folder / "media" / "datasets" / "disability" / "7.parquet").write_bytes(b"changed")
    with pytest.raises(backup.BackupError, match="备份中的文件与清单不符"):
        backup.restore(folder, target=empty_target, media_root=tmp_path / "restored-media")
    assert not (tmp_path / "restored-media").exists()
    if empty_target.vendor == "sqlite":
        assert not Path(empty_target.settings["NAME"]).exists()
    else:
        with contextlib.closing(backup._postgres_connect(empty_target.settings)) as conn:
            assert (
                conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0] == 0
            )


@pytest.mark.django_db
def test_the_commands_speak_chinese(tmp_path: Path, media: Path) -> None:
    with pytest.raises(CommandError, match="不是备份目录"):
        call_command("restore", str(tmp_path))
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(CommandError, match="备份目录已存在且不是空的"):
        call_command("backup", out=str(tmp_path / "full"))
    other = tmp_path / "old"
    other.mkdir()
    (other / "manifest.json").write_text(json.dumps({"format": 99}), encoding="utf-8")
    with pytest.raises(CommandError, match="备份格式版本 99 不受支持"):
        call_command("restore", str(other))
