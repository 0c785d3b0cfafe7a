"""Build realistic benchmark corpora with :mod:`coverage_xl.synth` (fictitious people).

Layout under ``--out`` (default ``benchmarks/corpus``, git-ignored)::

    survey_1x/      14 unit workbooks, 120,087 rows (exactly the Annex 1 tasks; 琼湖街道 has 33,740)
    survey_6.2x/    14 unit workbooks, ~745,000 rows (the city's registered population)
    exports_1x/     registrations.xlsx (~70,000 IDs) and payments.xlsx (~55,000 rows)
    exports_6.2x/   the same, scaled

Workbooks are written with openpyxl's write-only mode (``synth.write_unit_workbook(fast=True)``) so a
6.2× corpus takes minutes, not an hour; units are written in parallel processes. A manifest per
folder records the parameters, so an unchanged corpus is not rebuilt.

    python benchmarks/generate.py --scale 1 --scale 6.2
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from coverage_xl import synth  # noqa: E402
from coverage_xl.units import CITY_TASK_TOTAL, default_units  # noqa: E402

DATA = ROOT / "corpus"
SEED = 2020
ERRORS_PER_THOUSAND = 2  # planted mistakes: a real submission is never clean
# Registrations/payments at 1× as the issue describes them (share of all surveyed rows).
REGISTRATIONS_1X = 70_000
PAYMENTS_1X = 55_000
EXPORT_STRANGERS = 0.06  # share of export rows for people not in the survey (moved away, other counties)


def scale_label(scale: float) -> str:
    return f"{scale:g}x"


def unit_sizes(scale: float) -> dict[str, int]:
    """Rows per unit: at 1× exactly the Annex 1 tasks, otherwise proportional to them."""
    total = round(CITY_TASK_TOTAL * scale)
    return synth.sample_sizes(total)


def _write_unit(args: tuple[str, str, int]) -> tuple[str, int, list[str], list[str]]:
    """Write one unit's workbook; return (unit, rows, in-scope IDs, all IDs) for the exports."""
    folder, unit_name, n = args
    unit = next(u for u in default_units() if u.name == unit_name)
    people = synth.make_people(unit, n, seed=SEED)
    synth.plant_errors(people, max(1, n * ERRORS_PER_THOUSAND // 1000), seed=SEED + unit.order)
    synth.write_unit_workbook(Path(folder) / f"{unit.name}_摸底明细表.xlsx", unit, people, fast=True)
    in_scope = [p.values["id"] for p in people if p.category == "in_scope" and isinstance(p.values.get("id"), str)]
    every = [p.values["id"] for p in people if isinstance(p.values.get("id"), str)]
    return unit.name, n, in_scope, every


def _manifest_ok(folder: Path, params: dict) -> bool:
    m = folder / "manifest.json"
    try:
        return json.loads(m.read_text(encoding="utf-8")).get("params") == params
    except (OSError, ValueError):
        return False


def _stranger_ids(n: int, rng: random.Random) -> list[str]:
    import datetime as dt

    out = []
    for _ in range(n):
        born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 50))
        out.append(synth.make_id(born, rng, code=rng.choice(synth.OTHER_CODES)))
    return out


def write_exports(folder: Path, in_scope: list[str], scale: float) -> dict[str, int]:
    """Registration and payment exports keyed by ID, as the pension system and the tax bureau give
    them: mostly surveyed in-scope people, some strangers, a few IDs typed in lower case or with
    spaces, payments for 2019 and zero amounts that must not count."""
    import openpyxl

    rng = random.Random(f"exports:{SEED}:{scale}")
    n_reg = round(REGISTRATIONS_1X * scale)
    n_pay = round(PAYMENTS_1X * scale)
    n_reg_known = min(len(in_scope), round(n_reg * (1 - EXPORT_STRANGERS)))
    registered = rng.sample(in_scope, n_reg_known) + _stranger_ids(n_reg - n_reg_known, rng)
    rng.shuffle(registered)
    folder.mkdir(parents=True, exist_ok=True)

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("参保登记")
    ws.append(["序号", "姓名", "公民身份号码", "参保状态", "登记日期"])
    for i, pid in enumerate(registered, 1):
        shown = pid.lower() if pid.endswith("X") and i % 7 == 0 else (f"{pid[:6]} {pid[6:]}" if i % 53 == 0 else pid)
        ws.append([i, "虚构", shown, "正常参保", f"2020-{rng.randint(1, 9):02d}-{rng.randint(1, 28):02d}"])
    wb.save(folder / "registrations.xlsx")

    payers = rng.sample(registered, min(n_pay, len(registered)))
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("缴费明细")
    ws.append(["身份证号码", "姓名", "缴费年度", "缴费金额", "缴费日期"])
    for i, pid in enumerate(payers, 1):
        year = 2019 if i % 41 == 0 else 2020
        amount = 0 if i % 97 == 0 else rng.choice((200, 300, 500, 1000, 2000))
        ws.append([pid, "虚构", year, amount, f"{year}-{rng.randint(1, 9):02d}-{rng.randint(1, 28):02d}"])
    wb.save(folder / "payments.xlsx")
    return {"registrations": len(registered), "payments": len(payers)}


def generate(scale: float, out: Path = DATA, *, workers: int = 2, force: bool = False) -> Path:
    """Write ``survey_<scale>x`` and ``exports_<scale>x`` under ``out``; returns the survey folder."""
    label = scale_label(scale)
    survey = out / f"survey_{label}"
    exports = out / f"exports_{label}"
    sizes = unit_sizes(scale)
    params = {"scale": scale, "seed": SEED, "sizes": sizes, "errors_per_thousand": ERRORS_PER_THOUSAND, "v": 2}
    if not force and _manifest_ok(survey, params) and (exports / "payments.xlsx").exists():
        print(f"{survey}: up to date ({sum(sizes.values()):,} rows)")
        return survey
    survey.mkdir(parents=True, exist_ok=True)
    for old in survey.glob("*.xlsx"):
        old.unlink()
    t0 = time.perf_counter()
    jobs = sorted(((str(survey), name, n) for name, n in sizes.items()), key=lambda j: -j[2])
    in_scope: list[str] = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for name, n, ins, _ in pool.map(_write_unit, jobs):
            in_scope.extend(ins)
            print(f"  {name}: {n:,} rows", flush=True)
    counts = write_exports(exports, sorted(in_scope), scale)
    (survey / "manifest.json").write_text(json.dumps(
        {"params": params, "rows": sum(sizes.values()), "exports": counts,
         "seconds": round(time.perf_counter() - t0, 1)}, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"{survey}: {sum(sizes.values()):,} rows, exports {counts} in {time.perf_counter() - t0:.0f} s")
    return survey


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, action="append", help="corpus size relative to 120,087 rows (repeatable)")
    ap.add_argument("--out", type=Path, default=DATA)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--force", action="store_true", help="rebuild even if the manifest matches")
    args = ap.parse_args(argv)
    for s in args.scale or [1.0]:
        generate(s, args.out, workers=args.workers, force=args.force)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
