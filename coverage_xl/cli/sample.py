"""``coverage-xl sample``: write a synthetic folder of 14 unit submissions (obviously fictitious).

The folder looks like what the bureau receives: one workbook per unit in proportion to the Annex 1
tasks, valid ID numbers with old address codes, a few planted mistakes of every kind, the same
person reported by two units, a file whose name does not say its unit, two with an instructions
sheet first, and — when LibreOffice is installed — one old .xls and one .ods member. The shipped
``workbooks/units`` sample and the test fixtures are made by :func:`build_sample_folder`.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import click

from coverage_xl.cli.common import console, handle_errors
from coverage_xl.synth import PLANTS, Person, make_people, plant_errors, sample_sizes, write_unit_workbook
from coverage_xl.units import Unit, default_units

# Members converted by LibreOffice (unit name -> format), and the file whose name hides its unit.
LEGACY_FORMATS = {"新湾镇": "xls", "南洞庭芦苇场": "ods"}
ANONYMOUS_FILE = {"南嘴镇": "附件3_摸底明细表（8月31日报送）.xlsx"}
WITH_INSTRUCTIONS = ("漉湖芦苇场", "四季红镇")
CROSS_DUPLICATE = ("琼湖街道", "胭脂湖街道")  # the second reports a person of the first as well
SAMPLE_DAY = dt.date(2020, 8, 31)


@dataclass
class SampleUnit:
    """One generated submission and the truth behind it (Person.category / willing)."""

    unit: Unit
    path: Path
    people: list[Person]
    planted: list[tuple[int, str]]


def soffice_binary() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_with_libreoffice(src: Path, fmt: str, outdir: Path, *, timeout: float = 180) -> Path:
    """Convert ``src`` with LibreOffice headless (``fmt``: xls, ods, xlsx, csv…); return the new file.

    A private user profile per call lets several conversions run side by side without fighting
    over LibreOffice's profile lock."""
    soffice = soffice_binary()
    if soffice is None:
        raise RuntimeError("soffice not found")
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cxl-lo-") as profile:
        cmd = [soffice, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--norestore",
               "--convert-to", fmt, "--outdir", str(outdir), str(src)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "HOME": profile})
    ext = fmt.split(":", 1)[0]
    out = outdir / f"{src.stem}.{ext}"
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"LibreOffice conversion failed ({proc.returncode}): {proc.stderr.strip()}")
    return out


def build_sample_folder(folder: str | Path, total: int = 600, *, seed: int = 2020, errors_per_unit: int = 2,
                        legacy_formats: bool = True, units: tuple[Unit, ...] | None = None,
                        skip: tuple[str, ...] = ()) -> dict[str, SampleUnit]:
    """Write the 14 submissions into ``folder`` (deterministic for ``seed``); return them by unit.

    Planted mistakes rotate through every kind in :data:`coverage_xl.synth.PLANTS` across units, so
    the folder has classification errors (not counted), ID and phone errors (counted) and missing
    willingness. ``legacy_formats`` converts the members in :data:`LEGACY_FORMATS` when LibreOffice is
    available (otherwise they stay .xlsx). ``skip`` leaves units out (a missing submission).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    units = units or default_units()
    sizes = sample_sizes(total, units)
    out: dict[str, SampleUnit] = {}
    for unit in units:
        people = make_people(unit, sizes[unit.name], seed=seed)
        k = (unit.order * errors_per_unit) % len(PLANTS)
        kinds = PLANTS[k:] + PLANTS[:k]
        planted = plant_errors(people, errors_per_unit, seed=seed + unit.order, kinds=kinds) if errors_per_unit else []
        out[unit.name] = SampleUnit(unit, folder / ANONYMOUS_FILE.get(unit.name, f"{unit.name}_摸底明细表.xlsx"),
                                    people, planted)
    a, b = (out.get(n) for n in CROSS_DUPLICATE)
    if a and b:
        src = next(p for p in a.people if not p.planted and p.category is not None)
        dst = next(p for p in b.people if not p.planted and p.category is not None)
        dst.values["id"], dst.values["birth"] = src.values["id"], src.values["birth"]
        dst.planted.append("id.duplicate_cross_unit")
    have_lo = legacy_formats and soffice_binary() is not None
    for name, su in out.items():
        if name in skip:
            continue
        write_unit_workbook(su.path, su.unit, su.people, day=SAMPLE_DAY, with_instructions=name in WITH_INSTRUCTIONS)
        if have_lo and name in LEGACY_FORMATS:
            with tempfile.TemporaryDirectory(prefix="cxl-conv-") as tmp:
                converted = convert_with_libreoffice(su.path, LEGACY_FORMATS[name], Path(tmp))
                target = su.path.with_suffix(converted.suffix)
                shutil.move(str(converted), target)
            su.path.unlink()
            su.path = target
    return {n: su for n, su in out.items() if n not in skip}


@click.command("sample")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--rows", default=600, show_default=True, type=click.IntRange(14, 5_000_000),
              help="14个单位合计的数据行数（按附件1任务数分配）。")
@click.option("--seed", default=2020, show_default=True, type=int, help="随机种子：同一种子生成同样的数据。")
@click.option("--errors", "errors_per_unit", default=2, show_default=True, type=click.IntRange(0, 50),
              help="每个单位故意埋入的错误条数（用于演示校验）。")
@click.option("--no-legacy", is_flag=True, help="不用 LibreOffice 转换 .xls/.ods 成员，全部为 .xlsx。")
@handle_errors
def command(out_dir: Path, rows: int, seed: int, errors_per_unit: int, no_legacy: bool) -> None:
    """生成14个单位的虚构摸底明细表（示例数据，人员均为虚构），用于演示和测试。"""
    if out_dir.exists() and any(out_dir.iterdir()):
        existing = [p.name for p in out_dir.iterdir() if p.suffix.lower() in (".xlsx", ".xls", ".ods", ".xlsm")]
        if existing:
            raise click.UsageError(f"文件夹“{out_dir}”中已有表格文件，请换一个空文件夹，以免混入旧文件。")
    if not no_legacy and soffice_binary() is None:
        console.print("[yellow]未找到 LibreOffice（soffice），全部生成 .xlsx。[/]")
    made = build_sample_folder(out_dir, rows, seed=seed, errors_per_unit=errors_per_unit, legacy_formats=not no_legacy)
    for su in made.values():
        console.print(f"{su.unit.name}：{su.path.name}（{len(su.people)}行）")
    console.print(f"已生成 {len(made)} 个单位、共 {sum(len(s.people) for s in made.values())} 行虚构数据：{out_dir}")
