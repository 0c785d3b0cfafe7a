"""Time validate, consolidate and dispatch against the floor (python-calamine alone) and against the
loop a user would otherwise write (pandas.read_excel with openpyxl); write benchmarks/results/latest.md.

Every measurement runs in a fresh child process (``run.py --worker ...``) so that the peak memory
(``ru_maxrss`` from ``os.wait4``) is that one job's, and import time is excluded from the timing
(the child times only the work). Medians of ``--repeat`` runs.

    python benchmarks/run.py                   # 1× (120,087 rows), 3 runs each
    python benchmarks/run.py --scale 1 --scale 6.2
    python benchmarks/run.py --quick           # 0.1×, one run: a smoke test in ~1 minute
    python benchmarks/run.py --large-export 10000000   # issue 12 §6: one 10-million-row payments CSV

Targets (issues 2, 3, 4, 8): validate ≤ 1.5× calamine on the 33,740-row 琼湖街道 sheet;
consolidate ≤ 1.5× calamine and ≥ 5× faster than the pandas/openpyxl loop at 1×; dispatch ≤ 2×
calamine over all its inputs; peak memory < 1.5 GB at 6.2×; time growing linearly. Issue 12 §6:
reading a 10-million-row (≈ 340 MB) payments CSV peaks under 1.5 GB (``--large-export``; the file is
generated under benchmarks/corpus/, not in git; the result goes to results/large_export.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
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
AS_OF = "2020-09-30"
BIG_UNIT = "琼湖街道"
TARGETS = {"validate": 1.5, "consolidate": 1.5, "dispatch": 2.0, "pandas_speedup": 5.0, "peak_mb_6x": 1536,
           "peak_mb_large_export": 1536}


# --- the measured jobs (run inside a worker process) ----------------------------------------------

def job_calamine(paths: list[str]) -> int:
    """The floor: open each workbook and materialise every sheet as Python values (a CSV export,
    which calamine does not read, is decoded and split by the csv module)."""
    import csv

    from python_calamine import CalamineWorkbook

    cells = 0
    for p in paths:
        if p.lower().endswith(".csv"):
            with open(p, encoding="gb18030", newline="") as fh:
                cells += sum(len(r) for r in csv.reader(fh))
            continue
        wb = CalamineWorkbook.from_path(p)
        for name in wb.sheet_names:
            rows = wb.get_sheet_by_name(name).to_python()
            cells += sum(len(r) for r in rows)
    return cells


def job_pandas(paths: list[str]) -> int:
    """What a user would write: pandas.read_excel(engine="openpyxl") over every file and sheet."""
    import pandas as pd

    n = 0
    for p in paths:
        for df in pd.read_excel(p, sheet_name=None, header=None, engine="openpyxl").values():
            n += df.size
    return n


def job_validate(paths: list[str]) -> int:
    import datetime as dt

    from coverage_xl.validate import validate_file

    return sum(validate_file(p, dt.date.fromisoformat(AS_OF)).report.rows for p in paths)


def _cli(args: list[str]) -> int:
    from coverage_xl.cli import main

    try:
        main(args, standalone_mode=False)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def job_consolidate(folder: str, out: str) -> int:
    return _cli(["consolidate", folder, "-o", out, "--as-of", AS_OF])


def job_dispatch(folder: str, reg: str, pay: str, out: str) -> int:
    return _cli(["dispatch", "--survey", folder, "-r", reg, "-p", pay, "-o", out, "--as-of", AS_OF])


def job_payments(path: str) -> dict:
    """Issue 12 §6: one big payments export read as dispatch reads it (streamed, reduced to IDs)."""
    from coverage_xl import exports as ex

    f = ex.read_export(path, ex.PAYMENT, 2020)
    return {"rows": f.rows, "counted": f.rows_counted, "by_date_only": f.rows_counted_by_date_only,
            "payers": len(f.frame), "basis": f.basis}


LIST_JOBS = {"calamine", "pandas", "validate"}  # take one list of paths; the others take positional args
JOBS = {"calamine": job_calamine, "pandas": job_pandas, "validate": job_validate,
        "consolidate": job_consolidate, "dispatch": job_dispatch, "payments": job_payments}


def worker(name: str, args_json: str) -> None:
    args = json.loads(args_json)
    if name in LIST_JOBS:
        args = [args]
    profile = os.environ.get("BENCH_PROFILE")
    # imports are not the work being measured: load every module a job may need before the clock starts
    import pandas  # noqa: F401
    import python_calamine  # noqa: F401

    import coverage_xl.cli  # noqa: F401
    import coverage_xl.validate  # noqa: F401
    devnull = open(os.devnull, "w")  # noqa: SIM115 — the CLI's console output is not part of the result
    real_stdout = sys.stdout
    sys.stdout = devnull
    t0 = time.perf_counter()
    if profile:
        import cProfile

        prof = cProfile.Profile()
        result = prof.runcall(JOBS[name], *args)
        prof.dump_stats(profile)
    else:
        result = JOBS[name](*args)
    seconds = time.perf_counter() - t0
    sys.stdout = real_stdout
    import resource

    # Survey files are checked in worker processes (coverage_xl.survey.load_batch): report the
    # largest worker's own peak too; the driver samples the whole tree (TreeSampler).
    own_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"seconds": seconds, "result": result, "own_kb": own_kb, "worker_kb": kids_kb}))


# --- the driver -------------------------------------------------------------------------------------

class TreeSampler:
    """Samples the resident set of a process and all its descendants (Linux /proc) in a thread.

    A job that checks survey files in worker processes uses memory in several processes at once;
    the peak that matters is their sum at the same moment, which no single ru_maxrss gives."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        import threading

        self.pid, self.interval, self.peak_kb = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        if Path("/proc").is_dir():
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    @staticmethod
    def _rss_kb(pid: int) -> int:
        try:
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def _tree(self) -> list[int]:
        parents: dict[int, int] = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open(f"/proc/{d}/stat") as fh:
                        parents[int(d)] = int(fh.read().rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
        tree, todo = [self.pid], [self.pid]
        while todo:
            p = todo.pop()
            kids = [c for c, pp in parents.items() if pp == p]
            tree += kids
            todo += kids
        return tree

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, sum(self._rss_kb(p) for p in self._tree()))
            self._stop.wait(self.interval)


def measure(name: str, *args: object, profile: str | None = None) -> tuple[float, float, object]:
    """Run one job in a child; return (seconds of work, peak RSS in MB, job result)."""
    env = {**os.environ, "COLUMNS": "120"}
    if profile:
        env["BENCH_PROFILE"] = profile
    proc = subprocess.Popen([sys.executable, __file__, "--worker", name, json.dumps([str(a) for a in args])],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    sampler = TreeSampler(proc.pid)
    sampler.start()
    out = proc.stdout.read() if proc.stdout else b""
    err = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    sampler.stop()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{name} failed ({proc.returncode}):\n{err.decode(errors='replace')[-3000:]}")
    data = json.loads(out.decode().strip().splitlines()[-1])
    # The job's own peak, or — when it checked files in worker processes — the largest resident set
    # of the whole process tree sampled every 20 ms, whichever is larger.
    peak_mb = max(data["own_kb"], sampler.peak_kb) / 1024  # Linux: KiB
    return data["seconds"], peak_mb, data["result"]


def median_of(name: str, repeat: int, *args: object) -> dict:
    runs = [measure(name, *args) for _ in range(repeat)]
    return {"seconds": statistics.median(r[0] for r in runs), "runs": [round(r[0], 3) for r in runs],
            "peak_mb": max(r[1] for r in runs), "result": runs[-1][2]}


def bench_scale(scale: float, repeat: int, with_pandas: bool, tmp: Path) -> dict:
    from generate import generate, scale_label

    survey = generate(scale)
    exports = survey.parent / f"exports_{scale_label(scale)}"
    from coverage_xl.synth import PAYMENTS_FILE, REGISTRATIONS_FILE

    reg, pay = exports / REGISTRATIONS_FILE, exports / PAYMENTS_FILE
    files = sorted(str(p) for p in survey.glob("*.xlsx"))
    big = next(f for f in files if BIG_UNIT in f)
    rows = json.loads((survey / "manifest.json").read_text(encoding="utf-8"))["rows"]
    r: dict = {"scale": scale, "rows": rows, "big_file_rows": None}
    print(f"[{scale:g}×] {rows:,} rows in {len(files)} files", flush=True)

    def step(key: str, job: str, *args: object, n: int = repeat) -> None:
        t0 = time.perf_counter()
        r[key] = median_of(job, n, *args)
        print(f"  {key:22s} {r[key]['seconds']:8.2f} s  peak {r[key]['peak_mb']:7.0f} MB  "
              f"({time.perf_counter() - t0:.0f} s wall)", flush=True)

    step("calamine_big", "calamine", big)
    step("validate_big", "validate", big)
    r["big_file_rows"] = r["validate_big"]["result"]
    step("calamine_all", "calamine", *files)
    step("consolidate", "consolidate", str(survey), str(tmp / f"汇总_{scale:g}.xlsx"))
    step("calamine_dispatch_inputs", "calamine", *files, str(reg), str(pay))
    step("dispatch", "dispatch", str(survey), str(reg), str(pay), str(tmp / f"调度_{scale:g}.xlsx"))
    if with_pandas:
        step("pandas_all", "pandas", *files, n=1 if scale > 1 else max(1, min(repeat, 2)))
    return r


def bench_large_export(rows: int) -> int:
    """Generate (once) and read a big payments CSV in a fresh process; report time and peak memory."""
    from generate import generate_big_payments

    t0 = time.perf_counter()
    path = generate_big_payments(rows)
    size_mb = path.stat().st_size / 1e6
    print(f"{path.name}: {rows:,} rows, {size_mb:.0f} MB (ready in {time.perf_counter() - t0:.0f} s)", flush=True)
    seconds, peak_mb, result = measure("payments", str(path))
    ok = peak_mb < TARGETS["peak_mb_large_export"]
    text = "\n".join([
        "# Large export (issue 12 §6)", "",
        f"Run {dt.datetime.now():%Y-%m-%d %H:%M} on {platform.node() or 'host'}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}; one run in a fresh process (peak = ru_maxrss / sampled tree RSS).", "",
        f"File: `benchmarks/corpus/{path.name}` (generated by `benchmarks/generate.py --big-payments {rows}`, GBK CSV, "
        f"{size_mb:.0f} MB, {rows:,} rows, {result['payers']:,} payers counted).", "",
        "| job | seconds | peak MB | target |", "|---|---:|---:|---|",
        f"| `exports.read_export(…, PAYMENT, 2020)` | {seconds:.1f} | {peak_mb:.0f} | "
        f"< {TARGETS['peak_mb_large_export']} MB {verdict(ok)} |", "",
        f"Rows counted: {result['counted']:,} ({result['by_date_only']:,} by the payment date alone); "
        f"basis: {result['basis']}.", "",
    ])
    out = RESULTS / "large_export.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(text)
    return 0 if ok else 1


def ratios(r: dict) -> dict:
    out = {
        "validate": r["validate_big"]["seconds"] / r["calamine_big"]["seconds"],
        "consolidate": r["consolidate"]["seconds"] / r["calamine_all"]["seconds"],
        "dispatch": r["dispatch"]["seconds"] / r["calamine_dispatch_inputs"]["seconds"],
    }
    if "pandas_all" in r:
        out["pandas_speedup"] = r["pandas_all"]["seconds"] / r["consolidate"]["seconds"]
    return out


def verdict(ok: bool) -> str:
    return "✅" if ok else "❌"


def write_report(results: list[dict], path: Path, repeat: int) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Run {dt.datetime.now():%Y-%m-%d %H:%M} on {platform.node() or 'host'}: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}; medians of {repeat} runs (pandas: fewer, see runs).",
        "Each job runs in a fresh process; time excludes interpreter start-up and imports; peak memory is the",
        "larger of the job process's own maximum resident set (ru_maxrss) and the resident set of the whole",
        "process tree (the job and its survey-checking workers) sampled every 20 ms, imports included",
        "(forked workers share pages with the job, so the tree sum errs high). Corpus: `benchmarks/generate.py`",
        "(synthetic, fictitious people; write-only xlsx, 2 planted errors per 1,000 rows).",
        "",
        "Floor = python-calamine alone: `CalamineWorkbook.from_path` + `to_python()` of every sheet.",
        "",
    ]
    for r in results:
        q = ratios(r)
        lines += [f"## {r['scale']:g}× — {r['rows']:,} survey rows", "",
                  "| job | median s | runs | peak MB | ratio | target |", "|---|---:|---|---:|---:|---|"]

        def row(label: str, key: str, ratio: str = "", target: str = "", r: dict = r, lines: list = lines) -> None:
            m = r[key]
            lines.append(f"| {label} | {m['seconds']:.2f} | {', '.join(f'{x:.2f}' for x in m['runs'])} | "
                         f"{m['peak_mb']:.0f} | {ratio} | {target} |")

        row(f"calamine floor, {BIG_UNIT} file ({r['big_file_rows']:,} rows)", "calamine_big")
        row(f"validate {BIG_UNIT} file", "validate_big", f"{q['validate']:.2f}× floor",
            f"≤ {TARGETS['validate']}× {verdict(q['validate'] <= TARGETS['validate'])}")
        row("calamine floor, 14 survey files", "calamine_all")
        row("consolidate (CLI, incl. writing 附件4)", "consolidate", f"{q['consolidate']:.2f}× floor",
            f"≤ {TARGETS['consolidate']}× {verdict(q['consolidate'] <= TARGETS['consolidate'])}")
        if "pandas_all" in r:
            row("pandas.read_excel(engine=openpyxl) loop", "pandas_all", f"consolidate {q['pandas_speedup']:.1f}× faster",
                f"≥ {TARGETS['pandas_speedup']}× {verdict(q['pandas_speedup'] >= TARGETS['pandas_speedup'])}")
        row("calamine floor, survey + exports", "calamine_dispatch_inputs")
        row("dispatch (CLI, incl. writing 附件5/进度/历史)", "dispatch", f"{q['dispatch']:.2f}× floor",
            f"≤ {TARGETS['dispatch']}× {verdict(q['dispatch'] <= TARGETS['dispatch'])}")
        peak = max(r[k]["peak_mb"] for k in ("validate_big", "consolidate", "dispatch"))
        lines += ["", f"Peak memory of our jobs: {peak:.0f} MB"
                  + (f" (target < {TARGETS['peak_mb_6x']} MB at 6.2×: {verdict(peak < TARGETS['peak_mb_6x'])})" if r["scale"] > 6 else ""),
                  f"Memory per survey row (consolidate, peak ÷ rows): {r['consolidate']['peak_mb'] * 1024 / r['rows']:.2f} KB", ""]
    if len(results) > 1:
        a, b = results[0], results[-1]
        f = b["rows"] / a["rows"]
        lines += [f"## Growth {a['scale']:g}× → {b['scale']:g}× (rows × {f:.2f})", "",
                  "| job | time × | per-row time × | peak MB × | marginal KB per extra row |", "|---|---:|---:|---:|---:|"]
        for k in ("calamine_all", "consolidate", "calamine_dispatch_inputs", "dispatch"):
            t = b[k]["seconds"] / a[k]["seconds"]
            marginal = (b[k]["peak_mb"] - a[k]["peak_mb"]) * 1024 / (b["rows"] - a["rows"])
            lines.append(f"| {k} | {t:.2f} | {t / f:.2f} | {b[k]['peak_mb'] / a[k]['peak_mb']:.2f} | {marginal:.2f} |")
        lines += ["", "Per-row time × ≈ 1.0 means linear growth.", ""]
    lines += ["Raw numbers: `results/latest.json`.", ""]
    text = "\n".join(lines)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.with_suffix(".json").write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--worker", nargs=2, metavar=("JOB", "ARGS_JSON"), help=argparse.SUPPRESS)
    ap.add_argument("--scale", type=float, action="append", help="corpus size relative to 120,087 rows (repeatable)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="0.1× corpus, one run each")
    ap.add_argument("--no-pandas", action="store_true", help="skip the slow pandas/openpyxl loop")
    ap.add_argument("--pandas-max-scale", type=float, default=1.0, help="run the pandas loop only up to this scale")
    ap.add_argument("--out", type=Path, default=RESULTS / "latest.md")
    ap.add_argument("--large-export", type=int, metavar="ROWS",
                    help="only measure reading one payments CSV of ROWS rows (issue 12 §6), once")
    args = ap.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return 0
    if args.large_export:
        return bench_large_export(args.large_export)
    scales = [0.1] if args.quick else (args.scale or [1.0])
    repeat = 1 if args.quick else args.repeat
    results = []
    with tempfile.TemporaryDirectory(prefix="covxl-bench-") as tmp:
        for s in sorted(scales):
            results.append(bench_scale(s, repeat, not args.no_pandas and s <= args.pandas_max_scale, Path(tmp)))
    print(write_report(results, args.out, repeat))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
