"""``jingzhun generate``: write a generated register (a county, or a whole province) to files."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Literal

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jingzhun.testing import register as gen

EXTENSIONS = {"csv": "csv", "xlsx": "xlsx", "parquet": "parquet"}


class Command(BaseCommand):
    help = "生成模拟的建档立卡数据（某个区县或整个省），写成 CSV / Excel / Parquet 文件，另附 villages.csv"

    def add_arguments(self, parser: CommandParser) -> None:
        where = parser.add_mutually_exclusive_group()
        where.add_argument("--county", help="区县代码（6 位），默认 620502 天水市秦州区")
        where.add_argument(
            "--province", help="省份代码（2 位），按乡镇数把人数分到全省各区县，每个区县一个文件"
        )
        parser.add_argument("--households", type=int, default=2000, help="区县：生成的户数（默认 2000）")
        parser.add_argument("--members", type=int, default=100_000, help="省：生成的总人数（默认 100000）")
        parser.add_argument(
            "--seed", type=int, default=1, help="随机种子，相同种子生成完全相同的文件（默认 1）"
        )
        parser.add_argument("--year", type=int, default=2025, help="数据年度（默认 2025）")
        parser.add_argument("--out", default="var/generated", help="输出目录（默认 ./var/generated）")
        parser.add_argument(
            "--format", choices=sorted(EXTENSIONS), help="输出格式：区县默认 csv，省默认 parquet"
        )
        parser.add_argument("--workers", type=int, default=2, help="省：并行进程数（默认 2）")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise CommandError(f"无法创建输出目录 {out}：{err}") from err
        try:
            if options["province"]:
                self._province(options, out)
            else:
                self._county(options, out)
        except gen.GenerateError as err:
            raise CommandError(str(err)) from err

    def _county(self, options: dict[str, Any], out: Path) -> None:
        code = options["county"] or "620502"
        households = options["households"]
        fmt = options["format"] or "csv"
        if households <= 0:
            raise CommandError("户数必须大于 0")
        county = gen.county_info(code)
        started = time.perf_counter()
        villages = gen.generate_villages(county.code, seed=options["seed"], households=households)
        rows = gen.generate_register(
            county.code, households=households, seed=options["seed"], year=options["year"], villages=villages
        )
        path = out / f"register.{EXTENSIONS[fmt]}"
        members = gen.WRITERS[fmt](rows, path)
        village_path = out / "villages.csv"
        gen.write_villages_csv(villages, village_path)
        seconds = time.perf_counter() - started
        place = f"{county.city_name}{county.name}" if county.city_name != "市辖区" else county.name
        self.stdout.write(f"已生成 {county.code} {place}：{households:,} 户 {members:,} 人 → {path}")
        self.stdout.write(f"村（行政村）{len(villages):,} 个 → {village_path}")
        self.stdout.write(
            self.style.SUCCESS(
                f"完成，用时 {seconds:.1f} 秒（种子 {options['seed']}，数据年度 {options['year']}）"
            )
        )

    def _province(self, options: dict[str, Any], out: Path) -> None:
        prefix = options["province"]
        members = options["members"]
        fmt: Literal["parquet", "csv"]
        if options["format"] in (None, "parquet"):
            fmt = "parquet"
        elif options["format"] == "csv":
            fmt = "csv"
        else:
            raise CommandError("省级数据只能输出 parquet 或 csv 格式")
        if members <= 0:
            raise CommandError("人数必须大于 0")
        counties = gen.province_counties(prefix)
        self.stdout.write(
            f"开始生成省份 {prefix}：{members:,} 人，分到 {len(counties)} 个区县，{options['workers']} 个进程"
        )
        started = time.perf_counter()

        def progress(done: int, total: int, r: gen.CountyResult) -> None:
            self.stdout.write(
                f"[{done:>3}/{total}] {r.county_code} {r.county_name}：{r.households:,} 户 {r.members:,} 人，"
                f"{len(r.villages)} 个村 → {r.path.name}（{r.seconds:.1f} 秒）"
            )

        results = gen.generate_province(
            prefix,
            members=members,
            seed=options["seed"],
            out_dir=out,
            fmt=fmt,
            year=options["year"],
            workers=options["workers"],
            progress=progress,
        )
        seconds = time.perf_counter() - started
        households = sum(r.households for r in results)
        written = sum(r.members for r in results)
        villages = sum(len(r.villages) for r in results)
        self.stdout.write(f"村（行政村）{villages:,} 个 → {out / 'villages.csv'}")
        self.stdout.write(
            self.style.SUCCESS(
                f"完成：{len(results)} 个区县 {households:,} 户 {written:,} 人，写入 {out}，用时 {seconds:.1f} 秒"
            )
        )
