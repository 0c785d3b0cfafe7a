"""Time a ledger update at city scale against reading its inputs with python-calamine, and measure the
database after 20 weekly updates; write benchmarks/results/ledger.md.

Corpus: the 1× survey and exports of ``benchmarks/generate.py`` (120,087 rows, 14 files), plus a
province list built here: every surveyed ID and 1,000 people nobody surveyed (about 121,000 people),
as an .xlsx with a title row. Each measured job runs in a fresh child process (imports excluded from
the time, as in ``run.py``); medians of ``--repeat`` runs.

- floor: python-calamine reading every input (list, 14 survey files, registrations; the GBK payments
  CSV decoded and split by the csv module);
- first update: a new ledger from all inputs (list, survey, exports);
- weekly update: all inputs again, one week later, with new payments (the usual Monday run);
- idempotent update: the same inputs once more (no change is written);
- export: `ledger export` of the first update's ledger (every person, every change-log row): 21
  workbooks, about 2.8 million cells;
- 20 weeks: exports-only updates, each week 1/20 more of the payers; then the database size.

The machine's load average is recorded at the start and the end: on a shared machine the absolute
times are inflated, the ratios less so.

    python benchmarks/ledger.py            # after python benchmarks/generate.py --scale 1
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "results"
AS_OF = dt.date(2020, 9, 4)
NOT_SURVEYED = 1000
WEEKS = 20
TARGET_DB_MB = 100


def job_floor(paths: list[str]) -> int:
    from run import job_calamine

    return job_calamine(paths)


def job_update(ledger: str, lst: str, survey: str, reg: str, pay: str, as_of: str) -> int:
    from coverage_xl.ledger import update_ledger

    r = update_ledger(ledger, lists=[lst] if lst else None, survey=survey or None, registrations=[reg],
                      payments=[pay], as_of=dt.date.fromisoformat(as_of))
    return r.changes


def job_export(ledger: str, out: str) -> dict[str, int]:
    from coverage_xl.jobs.ledger import export_ledger

    r = export_ledger(ledger, out)
    return {"files": len(r.written), "rows": sum(r.counts.values())}


def worker(name: str, args_json: str) -> None:
    args = json.loads(args_json)
    import resource

    import openpyxl  # noqa: F401
    import pandas  # noqa: F401
    import python_calamine  # noqa: F401

    import coverage_xl.jobs.ledger  # noqa: F401
    import coverage_xl.ledger  # noqa: F401
    import coverage_xl.validate  # noqa: F401

    def cpu() -> float:  # user + system seconds of this process and its (survey worker) children
        return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                      resource.getrusage(resource.RUSAGE_CHILDREN)))
    cpu0 = cpu()
    t0 = time.perf_counter()
    jobs = {"floor": lambda: job_floor(args), "export": lambda: job_export(*args)}
    result = jobs.get(name, lambda: job_update(*args))()
    seconds = time.perf_counter() - t0
    cpu_seconds = cpu() - cpu0
    peak_kb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    print(json.dumps({"seconds": seconds, "result": result, "peak_kb": peak_kb, "cpu": cpu_seconds}))


def measure(name: str, *args: object) -> tuple[float, float, object, float]:
    """(wall seconds, peak MB, the job's result, CPU seconds) of one job in a fresh process."""
    proc = subprocess.run([sys.executable, __file__, "--worker", name, json.dumps([str(a) for a in args])],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{proc.stderr[-3000:]}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    return data["seconds"], data["peak_kb"] / 1024, data["result"], data["cpu"]


# --- the corpus --------------------------------------------------------------------------------------


def write_list(survey: Path, out: Path) -> int:
    """The province's list: every surveyed ID with its unit, plus people nobody surveyed."""
    import openpyxl

    from coverage_xl.survey import load_batch
    from coverage_xl.synth import make_id
    from coverage_xl.units import default_units

    batch = load_batch(survey, AS_OF)
    people = batch.people()
    people = people[people["id"].fillna("") != ""].drop_duplicates("id")
    rng = random.Random(14)
    units = [u.name for u in default_units()]
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("核实名单")
    ws.append(["2020年城乡居保全覆盖需核实人员名单（虚构）"])
    ws.append(["序号", "姓名", "公民身份号码", "乡镇（街道）", "户籍地址"])
    n = 0
    for name, pid, unit, address in zip(people["name"], people["id"], people["unit"], people["address"], strict=True):
        n += 1
        ws.append([n, name, pid, unit, address])
    taken = set(people["id"])
    while n < len(people) + NOT_SURVEYED:
        born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 50))
        pid = make_id(born, rng, code="430981")
        if pid in taken:
            continue
        taken.add(pid)
        n += 1
        unit = rng.choice(units)
        ws.append([n, f"虚构{n}", pid, unit, f"沅江市{unit}新华村1组"])
    wb.save(out)
    return n


def weekly_payments(pay: Path, out: Path, share: float) -> None:
    """The first ``share`` of the payment rows (payments arrive over the weeks)."""
    with pay.open(encoding="gb18030", newline="") as fh:
        rows = list(csv.reader(fh))
    keep = rows[:1] + rows[1:][: round((len(rows) - 1) * share)]
    with out.open("w", encoding="gb18030", newline="") as fh:
        csv.writer(fh).writerows(keep)


# --- the driver --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--weeks", type=int, default=WEEKS)
    ap.add_argument("--worker", nargs=2, metavar=("JOB", "ARGS"), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        worker(*a.worker)
        return 0
    from generate import generate

    from coverage_xl.synth import PAYMENTS_FILE, REGISTRATIONS_FILE

    survey = generate(1)
    exports = survey.parent / "exports_1x"
    reg, pay = exports / REGISTRATIONS_FILE, exports / PAYMENTS_FILE
    tmp = Path(tempfile.mkdtemp(prefix="cxl-ledger-bench-"))
    try:
        lst = tmp / "省下发核实名单.xlsx"
        people = write_list(survey, lst)
        files = [str(lst), *sorted(str(p) for p in survey.glob("*.xlsx")), str(reg), str(pay)]
        pay_half = tmp / "缴费_第1周.csv"
        weekly_payments(pay, pay_half, 0.5)
        out: dict = {"people_on_list": people, "rows": json.loads((survey / "manifest.json").read_text("utf-8"))["rows"],
                     "load_start": [round(x, 1) for x in os.getloadavg()]}

        def median(label: str, make, n: int = a.repeat) -> None:
            runs = [make() for _ in range(n)]
            out[label] = {"seconds": statistics.median(r[0] for r in runs), "runs": [round(r[0], 2) for r in runs],
                          "peak_mb": max(r[1] for r in runs), "result": runs[-1][2],
                          "cpu": statistics.median(r[3] for r in runs)}
            print(f"  {label:18s} {out[label]['seconds']:7.2f} s  CPU {out[label]['cpu']:7.2f} s  "
                  f"peak {out[label]['peak_mb']:6.0f} MB", flush=True)

        median("floor", lambda: measure("floor", *files))

        def first() -> tuple[float, float, object]:
            db = tmp / "first.sqlite"
            for p in tmp.glob("first.sqlite*"):
                p.unlink()
            return measure("update", db, lst, survey, reg, pay_half, AS_OF.isoformat())
        median("first_update", first)

        base = tmp / "base.sqlite"
        measure("update", base, lst, survey, reg, pay_half, AS_OF.isoformat())

        def weekly() -> tuple[float, float, object]:
            db = tmp / "weekly.sqlite"
            for p in tmp.glob("weekly.sqlite*"):
                p.unlink()
            shutil.copy(base, db)
            return measure("update", db, lst, survey, reg, pay, (AS_OF + dt.timedelta(days=7)).isoformat())
        median("weekly_update", weekly)
        median("idempotent_update", lambda: measure("update", base, lst, survey, reg, pay_half, AS_OF.isoformat()))

        def export() -> tuple[float, float, object]:
            folder = tmp / "导出"
            shutil.rmtree(folder, ignore_errors=True)
            return measure("export", base, folder)
        median("export", export)

        t0 = time.perf_counter()
        weeks_db = tmp / "weeks.sqlite"
        shutil.copy(base, weeks_db)
        changes = 0
        for week in range(1, a.weeks + 1):
            p = tmp / f"缴费_{week}.csv"
            weekly_payments(pay, p, week / a.weeks)
            _, _, n, _ = measure("update", weeks_db, "", "", reg, p, (AS_OF + dt.timedelta(days=7 * week)).isoformat())
            changes += int(n)
            p.unlink()
        import sqlite3

        con = sqlite3.connect(weeks_db)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        counts = {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("people", "changes", "runs")}
        con.close()
        size_mb = sum(p.stat().st_size for p in tmp.glob("weeks.sqlite*")) / 1e6
        out["weeks"] = {"weeks": a.weeks, "changes": changes, "db_mb": round(size_mb, 1), "tables": counts,
                        "seconds": round(time.perf_counter() - t0, 1)}
        print(f"  {a.weeks} weeks: {changes:,} changes, database {size_mb:.1f} MB", flush=True)
        out["load_end"] = [round(x, 1) for x in os.getloadavg()]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ledger.json").write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
    (RESULTS / "ledger.md").write_text(report(out, a.repeat), encoding="utf-8")
    print((RESULTS / "ledger.md").read_text(encoding="utf-8"))
    return 0


def report(r: dict, repeat: int) -> str:
    import platform

    floor = r["floor"]["seconds"]
    lines = [
        "# Ledger benchmark", "",
        f"Run {dt.datetime.now():%Y-%m-%d %H:%M} on {platform.node()}: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}; medians of {repeat} runs, each in a fresh process (imports excluded;",
        "peak = the job's and its survey workers' largest resident set). Method: `python benchmarks/ledger.py`.",
        f"Corpus: the 1× survey ({r['rows']:,} rows, 14 files) and exports of `benchmarks/generate.py`, and a "
        f"province list of {r['people_on_list']:,} people (every surveyed ID + {NOT_SURVEYED:,} nobody surveyed).",
        "Floor = python-calamine reading every input of the update (list, 14 survey files, registrations, "
        "payments CSV via the csv module). The export has no floor: it is timed on its own (rows = rows written).",
        f"Load average (1, 5, 15 min) at the start {r['load_start']}, at the end {r['load_end']}"
        " (2 CPUs; above 2 the machine was shared and every time is inflated).", "",
        "| job | median s | runs | median CPU s | peak MB | ratio to floor |", "|---|---:|---|---:|---:|---:|",
    ]
    for key, label in (("floor", "calamine floor: all inputs"), ("first_update", "first update (new ledger)"),
                       ("weekly_update", "weekly update (all inputs, new payments)"),
                       ("idempotent_update", "same inputs again (no change)")):
        x = r[key]
        ratio = "" if key == "floor" else f"{x['seconds'] / floor:.2f}×"
        lines.append(f"| {label} | {x['seconds']:.2f} | {', '.join(map(str, x['runs']))} | {x['cpu']:.2f} | "
                     f"{x['peak_mb']:.0f} | {ratio} |")
    x = r["export"]
    lines.append(f"| `ledger export` of the first update's ledger: {x['result']['files']} workbooks, "
                 f"{x['result']['rows']:,} rows | {x['seconds']:.2f} | "
                 f"{', '.join(map(str, x['runs']))} | {x['cpu']:.2f} | {x['peak_mb']:.0f} | |")
    w = r["weeks"]
    ok = "✅" if w["db_mb"] < TARGET_DB_MB else "❌"
    lines += ["", f"After {w['weeks']} weekly exports-only updates ({w['changes']:,} change-log rows; tables "
              f"{w['tables']}): database {w['db_mb']} MB (target < {TARGET_DB_MB} MB {ok}), {w['seconds']} s in all.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
