"""Build realistic benchmark corpora with :mod:`coverage_xl.synth` (fictitious people).

Layout under ``--out`` (default ``benchmarks/corpus``, git-ignored)::

    survey_1x/      14 unit workbooks, 120,087 rows (exactly the Annex 1 tasks; 琼湖街道 has 33,740)
    survey_6.2x/    14 unit workbooks, ~745,000 rows (the city's registered population)
    exports_1x/     参保登记.xlsx and 缴费明细.csv (GBK) with every case of the counting contract (statuses,
                    补缴, 一次性补缴, 代缴, people drawing a pension), see synth.write_campaign_exports
    exports_6.2x/   the same, scaled
    payments_10m.csv  a 10-million-row payments export (issue 12 §6), see generate_big_payments

Workbooks are written with openpyxl's write-only mode (``synth.write_unit_workbook(fast=True)``) so a
6.2× corpus takes minutes, not an hour; units are written in parallel processes. A manifest per
folder records the parameters, so an unchanged corpus is not rebuilt.

    python benchmarks/generate.py --scale 1 --scale 6.2
    python benchmarks/generate.py --big-payments 10000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from coverage_xl import synth  # noqa: E402
from coverage_xl.layout import EMPLOYEE_PENSION_REASONS  # noqa: E402
from coverage_xl.units import CITY_TASK_TOTAL, default_units  # noqa: E402

DATA = ROOT / "corpus"
SEED = 2020
ERRORS_PER_THOUSAND = 2  # planted mistakes: a real submission is never clean


def scale_label(scale: float) -> str:
    return f"{scale:g}x"


def unit_sizes(scale: float) -> dict[str, int]:
    """Rows per unit: at 1× exactly the Annex 1 tasks, otherwise proportional to them."""
    total = round(CITY_TASK_TOTAL * scale)
    return synth.sample_sizes(total)


SHARED_PER_UNIT = 30  # people each unit shares with the next one in Annex 1 order


def _write_unit(args: tuple[str, str, int]) -> tuple[str, int, list[str], list[str], list[tuple[str, str, str]]]:
    """Write one unit's workbook; return (unit, rows, in-scope IDs, 职保 IDs, (name, ID, address) of
    everyone with an ID) for the exports and the province's list."""
    folder, unit_name, n = args
    units = default_units()
    unit = next(u for u in units if u.name == unit_name)
    prev = units[(unit.order - 2) % len(units)]
    # The same people reported by two units (全市去重合计, 重复人员): each unit's small pool is also in
    # the next unit's file; both workers draw the pool from the same seed. The row count stays n.
    own_pool = synth.make_people(unit, SHARED_PER_UNIT, seed=SEED + 7)
    visitors = [synth.Person(dict(p.values, region=unit.name), p.category, p.willing)
                for p in synth.make_people(prev, SHARED_PER_UNIT, seed=SEED + 7)]
    people = synth.make_people(unit, n - 2 * SHARED_PER_UNIT, seed=SEED) + own_pool + visitors
    synth.plant_errors(people, max(1, n * ERRORS_PER_THOUSAND // 1000), seed=SEED + unit.order)
    synth.write_unit_workbook(Path(folder) / f"{unit.name}_摸底明细表.xlsx", unit, people, fast=True)
    in_scope = [p.values["id"] for p in people if p.category == "in_scope" and isinstance(p.values.get("id"), str)]
    workers = [p.values["id"] for p in people if p.category in EMPLOYEE_PENSION_REASONS
               and isinstance(p.values.get("id"), str)]
    listed = [(str(p.values.get("name") or ""), p.values["id"], str(p.values.get("address") or ""))
              for p in people if isinstance(p.values.get("id"), str)]
    return unit.name, n, in_scope, workers, listed


def _manifest_ok(folder: Path, params: dict) -> bool:
    m = folder / "manifest.json"
    try:
        return json.loads(m.read_text(encoding="utf-8")).get("params") == params
    except (OSError, ValueError):
        return False


PROVINCE_LIST_FILE = "省下发核实名单.csv"


def write_province_list(path: Path, listed: dict[str, list[tuple[str, str, str]]]) -> int:
    """The province's list (省下发核实名单) the tasks come from, as a GBK CSV: nearly everyone surveyed,
    in their unit; 1 % of the surveyed are missing (名单外) and 0.5 % more are listed but surveyed by
    nobody (未摸底). Returns the rows written."""
    import csv
    import random

    rng = random.Random(f"list:{SEED}")
    rows: list[tuple[str, str, str, str]] = []
    seen: set[str] = set()  # a person two units reported is listed once, in the first
    for unit in default_units():
        people = listed.get(unit.name, [])
        for name, pid, address in people:
            if rng.random() >= 0.01 and pid not in seen:
                seen.add(pid)
                rows.append((name, pid, unit.name, address))
        born = [f"19{rng.randint(50, 99)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                for _ in range(len(people) // 200)]
        for i, day in enumerate(born):
            pid = synth.make_id(dt.date.fromisoformat(day), rng, code="430981")
            rows.append((f"未摸底{i + 1}", pid, unit.name, f"沅江市{unit.name}新华村{rng.randint(1, 12)}组"))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="gb18030", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["序号", "姓名", "公民身份号码", "乡镇（街道）", "户籍地址"])
        for n, row in enumerate(rows, 1):
            w.writerow([n, *row])
    return len(rows)


def write_exports(folder: Path, in_scope: list[str], workers: list[str]) -> dict[str, object]:
    """The exports of :func:`coverage_xl.synth.write_campaign_exports` (every case of issue 13)."""
    paths = synth.write_campaign_exports(folder, in_scope, workers, seed=SEED)
    return {"files": [p.name for p in paths.values()]}


def generate(scale: float, out: Path = DATA, *, workers: int = 2, force: bool = False) -> Path:
    """Write ``survey_<scale>x`` and ``exports_<scale>x`` under ``out``; returns the survey folder."""
    label = scale_label(scale)
    survey = out / f"survey_{label}"
    exports = out / f"exports_{label}"
    sizes = unit_sizes(scale)
    params = {"scale": scale, "seed": SEED, "sizes": sizes, "errors_per_thousand": ERRORS_PER_THOUSAND, "v": 7,
              "shared_per_unit": SHARED_PER_UNIT}
    if not force and _manifest_ok(survey, params) and (exports / synth.PAYMENTS_FILE).exists():
        print(f"{survey}: up to date ({sum(sizes.values()):,} rows)")
        return survey
    survey.mkdir(parents=True, exist_ok=True)
    for old in survey.glob("*.xlsx"):
        old.unlink()
    t0 = time.perf_counter()
    jobs = sorted(((str(survey), name, n) for name, n in sizes.items()), key=lambda j: -j[2])
    in_scope: list[str] = []
    employees: list[str] = []
    listed: dict[str, list[tuple[str, str, str]]] = {}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for name, n, ins, emp, people in pool.map(_write_unit, jobs):
            in_scope.extend(ins)
            employees.extend(emp)
            listed[name] = people
            print(f"  {name}: {n:,} rows", flush=True)
    counts = write_exports(exports, sorted(in_scope), sorted(employees))
    counts["list"] = write_province_list(exports / PROVINCE_LIST_FILE, listed)
    (survey / "manifest.json").write_text(json.dumps(
        {"params": params, "rows": sum(sizes.values()), "exports": counts,
         "seconds": round(time.perf_counter() - t0, 1)}, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"{survey}: {sum(sizes.values()):,} rows, exports {counts} in {time.perf_counter() - t0:.0f} s")
    return survey


BIG_PAYMENTS_PEOPLE = 2_000_000  # distinct payers in the big export (5 rows each at 10 million rows)


def generate_big_payments(rows: int = 10_000_000, people: int = BIG_PAYMENTS_PEOPLE, out: Path = DATA) -> Path:
    """A GBK payments CSV of ``rows`` rows (≈ 34 bytes a row: ID, 缴费年度, 缴费金额, 缴费日期 as a
    number) for ``people`` fictitious payers with valid check characters; years 2015–2021 so that
    both the year and the date rule are exercised. Built with numpy in blocks; reused when present."""
    import numpy as np

    path = out / f"payments_{rows // 1_000_000}m.csv" if rows % 1_000_000 == 0 else out / f"payments_{rows}.csv"
    if path.exists() and path.stat().st_size > rows * 20:
        return path
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    born = np.datetime64("1950-01-01") + rng.integers(0, 365 * 54, people).astype("timedelta64[D]")
    ymd = np.char.replace(np.datetime_as_string(born, unit="D"), "-", "").astype("U8")
    seq = np.char.zfill(rng.integers(0, 1000, people).astype("U3"), 3)
    body = np.char.add(np.char.add("430981", ymd), seq)  # 17 digits
    digits = body.view("U1").reshape(people, 17).astype(np.int64)
    weights = np.array([2 ** (17 - i) % 11 for i in range(17)], dtype=np.int64)
    check = np.array(list("10X98765432"))[(digits * weights).sum(axis=1) % 11]
    ids = np.char.add(body, check)
    tmp = path.with_suffix(".tmp")
    block = 1_000_000
    with tmp.open("w", encoding="gb18030", newline="") as fh:
        fh.write("身份证号码,缴费年度,缴费金额,缴费日期\n")
        for start in range(0, rows, block):
            n = min(block, rows - start)
            who = ids[(np.arange(start, start + n) % people)]
            year = rng.integers(2015, 2022, n)
            paid_in = np.where(rng.random(n) < 0.2, 2020, year)  # 补缴 of earlier years paid in 2020
            day = paid_in * 10000 + rng.integers(1, 13, n) * 100 + rng.integers(1, 29, n)
            amount = rng.choice(np.array([0, 100, 200, 300, 500, 1000]), n)
            lines = np.char.add(np.char.add(np.char.add(np.char.add(np.char.add(np.char.add(np.char.add(
                who, ","), year.astype("U4")), ","), amount.astype("U5")), ","), day.astype("U8")), "\n")
            fh.write("".join(lines.tolist()))
    tmp.replace(path)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, action="append", help="corpus size relative to 120,087 rows (repeatable)")
    ap.add_argument("--out", type=Path, default=DATA)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--force", action="store_true", help="rebuild even if the manifest matches")
    ap.add_argument("--big-payments", type=int, metavar="ROWS", help="only write the big payments CSV of ROWS rows")
    args = ap.parse_args(argv)
    if args.big_payments:
        print(generate_big_payments(args.big_payments, out=args.out))
        return 0
    for s in args.scale or [1.0]:
        generate(s, args.out, workers=args.workers, force=args.force)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
