"""Build realistic benchmark corpora with :mod:`coverage_xl.synth` (fictitious people).

Layout under ``--out`` (default ``benchmarks/corpus``, git-ignored)::

    survey_1x/      14 unit workbooks, 120,087 rows (exactly the Annex 1 tasks; 琼湖街道 has 33,740)
    survey_6.2x/    14 unit workbooks, ~745,000 rows (the city's registered population)
    exports_1x/     参保登记.xlsx (~70,000 IDs) and 缴费明细.csv (GBK, ~55,000 rows), see synth.write_sample_exports
    exports_6.2x/   the same, scaled

Workbooks are written with openpyxl's write-only mode (``synth.write_unit_workbook(fast=True)``) so a
6.2× corpus takes minutes, not an hour; units are written in parallel processes. A manifest per
folder records the parameters, so an unchanged corpus is not rebuilt.

    python benchmarks/generate.py --scale 1 --scale 6.2
"""

from __future__ import annotations

import argparse
import json
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


def write_exports(folder: Path, in_scope: list[str], scale: float) -> dict[str, int]:
    """The exports of :func:`coverage_xl.synth.write_sample_exports` at ``scale``."""
    paths = synth.write_sample_exports(folder, in_scope, round(REGISTRATIONS_1X * scale), round(PAYMENTS_1X * scale),
                                       seed=SEED)
    return {"registrations": round(REGISTRATIONS_1X * scale), "payments": round(PAYMENTS_1X * scale),
            "files": [p.name for p in paths.values()]}


def generate(scale: float, out: Path = DATA, *, workers: int = 2, force: bool = False) -> Path:
    """Write ``survey_<scale>x`` and ``exports_<scale>x`` under ``out``; returns the survey folder."""
    label = scale_label(scale)
    survey = out / f"survey_{label}"
    exports = out / f"exports_{label}"
    sizes = unit_sizes(scale)
    params = {"scale": scale, "seed": SEED, "sizes": sizes, "errors_per_thousand": ERRORS_PER_THOUSAND, "v": 4}
    if not force and _manifest_ok(survey, params) and (exports / synth.PAYMENTS_FILE).exists():
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
