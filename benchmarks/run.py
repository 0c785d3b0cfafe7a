"""Time validate, consolidate and dispatch against the floor (python-calamine alone) and against the
loop a user would otherwise write (pandas.read_excel with openpyxl); write benchmarks/results/latest.md.

Every measurement runs in a fresh child process (``run.py --worker ...``) so that the peak memory
(``ru_maxrss`` from ``os.wait4``) is that one job's, and import time is excluded from the timing
(the child times only the work). Medians of ``--repeat`` runs.

    python benchmarks/run.py                   # 1× (120,087 rows), 3 runs each
    python benchmarks/run.py --scale 1 --scale 6.2
    python benchmarks/run.py --quick           # 0.1×, one run: a smoke test in ~1 minute
    python benchmarks/run.py --large-export 10000000   # issue 12 §6: one 10-million-row payments CSV
    python benchmarks/run.py --spawn-sweep     # 2 spawned workers against one, growing folders (results/spawn.md)

Targets (issues 2, 3, 4, 8, 16): validate ≤ 1.5× calamine on the 33,740-row 琼湖街道 sheet, and the
whole process (``coverage-xl validate``) ≤ 2× a whole-process calamine read; ``coverage-xl --help``
under 0.3 s; consolidate and dispatch ≤ 1.5× the parallel floor (calamine in the same number of
worker processes) and, with ``COVERAGE_XL_WORKERS=1``, ≤ 1.5× one calamine reader; consolidate ≥ 5×
faster than the pandas/openpyxl loop at 1×; peak memory < 1.5 GB at 6.2×; time growing linearly.
Spawned workers (Windows) are measured with ``COVERAGE_XL_START_METHOD=spawn``. Issue 12 §6:
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
TARGETS = {"validate": 1.5, "consolidate": 1.5, "dispatch": 1.5, "pandas_speedup": 5.0, "peak_mb_6x": 1536,
           "peak_mb_large_export": 1536, "validate_whole": 2.0, "help_seconds": 0.3}


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


def job_calamine_parallel(paths: list[str]) -> int:
    """The parallel floor: the same files read by :func:`job_calamine` in as many worker processes,
    started the same way (fork/spawn), as the tool uses for them (``survey.default_workers``)."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    from coverage_xl.survey import default_workers, start_method

    workers = default_workers(paths)
    if workers <= 1:
        return job_calamine(paths)
    order = sorted(paths, key=lambda p: -os.path.getsize(p))  # largest first, as the tool does
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context(start_method())) as pool:
        return sum(pool.map(job_calamine, [[p] for p in order]))


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


def job_consolidate_files(out: str, *paths: str) -> int:
    return _cli(["consolidate", *paths, "-o", out, "--as-of", AS_OF])


def job_dispatch(folder: str, reg: str, pay: str, out: str) -> int:
    return _cli(["dispatch", "--survey", folder, "-r", reg, "-p", pay, "-o", out, "--as-of", AS_OF])


def job_payments(path: str) -> dict:
    """Issue 12 §6: one big payments export read as dispatch reads it (streamed, reduced to IDs)."""
    from coverage_xl import exports as ex

    f = ex.read_export(path, ex.PAYMENT, 2020)
    return {"rows": f.rows, "counted": f.rows_counted, "by_date_only": f.rows_counted_by_date_only,
            "payers": len(f.frame), "basis": f.basis}


LIST_JOBS = {"calamine", "calamine_parallel", "pandas", "validate"}  # take one list of paths; the others take positional args
JOBS = {"calamine": job_calamine, "calamine_parallel": job_calamine_parallel, "pandas": job_pandas, "validate": job_validate,
        "consolidate": job_consolidate, "consolidate_files": job_consolidate_files, "dispatch": job_dispatch, "payments": job_payments}


def worker(name: str, args_json: str) -> None:
    args = json.loads(args_json)
    if name in LIST_JOBS:
        args = [args]
    profile = os.environ.get("BENCH_PROFILE")
    # imports are not the work being measured: load every module a job may need before the clock starts
    import pandas  # noqa: F401
    import python_calamine  # noqa: F401

    import coverage_xl.cli  # noqa: F401
    import coverage_xl.cli.consolidate  # noqa: F401 - commands are imported lazily by the CLI
    import coverage_xl.cli.dispatch  # noqa: F401
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


def compile_package() -> None:
    """Write coverage_xl's bytecode (``__pycache__``) before measuring, as pip does when it installs the
    package. Where PYTHONDONTWRITEBYTECODE is set (the VM sets it), every fresh process — each CLI
    call, each spawned worker — would otherwise compile the package's modules again (about 0.1 s
    for ``validate``), which an installed copy never does."""
    import compileall

    compileall.compile_dir(str(ROOT.parent / "coverage_xl"), quiet=1)


def measure(name: str, *args: object, profile: str | None = None, env_extra: dict | None = None
            ) -> tuple[float, float, object]:
    """Run one job in a child; return (seconds of work, peak RSS in MB, job result)."""
    env = {**os.environ, "COLUMNS": "120", **(env_extra or {})}
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


def median_of(name: str, repeat: int, *args: object, env_extra: dict | None = None) -> dict:
    runs = [measure(name, *args, env_extra=env_extra) for _ in range(repeat)]
    return {"seconds": statistics.median(r[0] for r in runs), "runs": [round(r[0], 3) for r in runs],
            "peak_mb": max(r[1] for r in runs), "result": runs[-1][2]}


CALAMINE_SCRIPT = ("import sys\nfrom python_calamine import CalamineWorkbook\n"
                   "wb = CalamineWorkbook.from_path(sys.argv[1])\n"
                   "n = sum(len(r) for name in wb.sheet_names for r in wb.get_sheet_by_name(name).to_python())\n")


def wall(argv: list[str], repeat: int, env_extra: dict | None = None) -> dict:
    """Whole-process wall-clock time of a command (interpreter start, imports and work), as a clerk
    waits for it: medians of ``repeat`` runs."""
    env = {**os.environ, "COLUMNS": "120", **(env_extra or {})}
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
        runs.append(time.perf_counter() - t0)
    return {"seconds": statistics.median(runs), "runs": [round(x, 3) for x in runs], "peak_mb": 0.0, "result": None}


def cli_argv(*args: str) -> list[str]:
    return [sys.executable, "-c", "from coverage_xl.cli import main; main()", *args]


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

    def step(key: str, job: str, *args: object, n: int = repeat, env_extra: dict | None = None) -> None:
        t0 = time.perf_counter()
        r[key] = median_of(job, n, *args, env_extra=env_extra)
        print(f"  {key:22s} {r[key]['seconds']:8.2f} s  peak {r[key]['peak_mb']:7.0f} MB  "
              f"({time.perf_counter() - t0:.0f} s wall)", flush=True)

    def step_wall(key: str, argv: list[str], env_extra: dict | None = None) -> None:
        r[key] = wall(argv, repeat, env_extra)
        print(f"  {key:22s} {r[key]['seconds']:8.2f} s  whole process", flush=True)

    from coverage_xl.survey import default_workers

    one = {"COVERAGE_XL_WORKERS": "1"}
    r["workers"] = default_workers(files)
    # spawn with the fork worker count: what two spawned workers cost against one (the tool itself
    # uses one worker under spawn below survey.SPAWN_BREAK_EVEN_BYTES, chosen from spawn_sweep below)
    spawn = {"COVERAGE_XL_START_METHOD": "spawn", "COVERAGE_XL_WORKERS": str(r["workers"])}
    step("calamine_big", "calamine", big)
    step("validate_big", "validate", big)
    r["big_file_rows"] = r["validate_big"]["result"]
    step_wall("wall_calamine_big", [sys.executable, "-c", CALAMINE_SCRIPT, big])
    step_wall("wall_validate_big", cli_argv("validate", big, "--as-of", AS_OF))
    step_wall("wall_help", cli_argv("--help"))
    step("calamine_all", "calamine", *files)
    step("calamine_all_parallel", "calamine_parallel", *files)
    step("consolidate", "consolidate", str(survey), str(tmp / f"汇总_{scale:g}.xlsx"))
    step("consolidate_1", "consolidate", str(survey), str(tmp / f"汇总1_{scale:g}.xlsx"), env_extra=one)
    step("calamine_dispatch_inputs", "calamine", *files, str(reg), str(pay))
    step("calamine_dispatch_parallel", "calamine_parallel", *files, str(reg), str(pay))
    step("dispatch", "dispatch", str(survey), str(reg), str(pay), str(tmp / f"调度_{scale:g}.xlsx"))
    step("dispatch_1", "dispatch", str(survey), str(reg), str(pay), str(tmp / f"调度1_{scale:g}.xlsx"), env_extra=one)
    # Windows starts workers with spawn: each re-imports the library. Measured here on Linux as a proxy.
    step("consolidate_spawn", "consolidate", str(survey), str(tmp / f"汇总s_{scale:g}.xlsx"), env_extra=spawn)
    small = files[:3]
    step("consolidate_small_fork", "consolidate_files", str(tmp / f"汇总sf_{scale:g}.xlsx"), *small)
    step("consolidate_small_spawn", "consolidate_files", str(tmp / f"汇总ss_{scale:g}.xlsx"), *small, env_extra=spawn)
    step("consolidate_small_1", "consolidate_files", str(tmp / f"汇总s1_{scale:g}.xlsx"), *small, env_extra=one)
    r["small_files"] = len(small)
    r["spawn_sweep"] = spawn_sweep(files, repeat, tmp)
    if with_pandas:
        step("pandas_all", "pandas", *files, n=1 if scale > 1 else max(1, min(repeat, 2)))
    return r


SPAWN_SWEEP = (2, 4, 6, 8, 10, 12, 14)  # files of the 1× corpus, smallest first: 0.2 … 7.5 MB


def spawn_sweep(files: list[str], repeat: int, tmp: Path, counts: tuple[int, ...] = SPAWN_SWEEP) -> list[dict]:
    """Where two spawned workers start to beat one (``survey.default_workers``'s break-even): consolidate
    folders of growing size, smallest files first, with 2 spawned workers and with one worker,
    interleaved run by run so that the machine's load hits both alike."""
    from statistics import median

    by_size = sorted(files, key=os.path.getsize)
    spawn2 = {"COVERAGE_XL_START_METHOD": "spawn", "COVERAGE_XL_WORKERS": "2"}
    one = {"COVERAGE_XL_WORKERS": "1"}
    rows = []
    for k in counts:
        chosen = by_size[:k]
        runs: dict[str, list[float]] = {"spawn": [], "one": []}
        for i in range(repeat):
            for key, env in (("spawn", spawn2), ("one", one)):
                out = tmp / f"汇总sweep_{k}_{key}_{i}.xlsx"
                runs[key].append(measure("consolidate_files", str(out), *chosen, env_extra=env)[0])
        row = {"files": k, "bytes": sum(os.path.getsize(f) for f in chosen),
               "spawn": median(runs["spawn"]), "one": median(runs["one"]),
               "spawn_runs": [round(x, 3) for x in runs["spawn"]], "one_runs": [round(x, 3) for x in runs["one"]]}
        rows.append(row)
        print(f"  spawn sweep {k:2d} files {row['bytes'] / 1e6:5.2f} MB: 2 spawned {row['spawn']:.2f} s, "
              f"one worker {row['one']:.2f} s ({row['spawn'] / row['one']:.2f}×)", flush=True)
    return rows


def spawn_sweep_table(rows: list[dict]) -> list[str]:
    lines = ["| files | MB | 2 spawned workers, s | one worker, s | spawned ÷ one | runs (spawned; one) |",
             "|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        lines.append(f"| {r['files']} | {r['bytes'] / 1e6:.2f} | {r['spawn']:.2f} | {r['one']:.2f} | "
                     f"{r['spawn'] / r['one']:.2f}× | {', '.join(f'{x:.2f}' for x in r['spawn_runs'])}; "
                     f"{', '.join(f'{x:.2f}' for x in r['one_runs'])} |")
    return lines


def bench_spawn(repeat: int) -> int:
    """Only the spawn sweep on the 1× corpus; the table goes to results/spawn.md."""
    from generate import generate

    survey = generate(1.0)
    files = sorted(str(p) for p in survey.glob("*.xlsx"))
    compile_package()
    with tempfile.TemporaryDirectory(prefix="covxl-bench-") as tmp:
        rows = spawn_sweep(files, repeat, Path(tmp))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    text = "\n".join([
        "# Spawned workers: where two beat one", "",
        f"Run {dt.datetime.now():%Y-%m-%d %H:%M} on {platform.node() or 'host'}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, load average {load:.1f} at the end; medians of {repeat} runs, "
        "spawned and one-worker runs interleaved. `coverage-xl consolidate` of the 1× corpus's smallest files "
        "(fresh process per run, job time without the parent's imports; each spawned worker's start-up and "
        "imports are inside it). `survey.default_workers` takes its break-even from this table.", "",
        *spawn_sweep_table(rows), ""])
    out = RESULTS / "spawn.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(text)
    return 0


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
        "consolidate": r["consolidate"]["seconds"] / r["calamine_all_parallel"]["seconds"],
        "consolidate_one": r["consolidate_1"]["seconds"] / r["calamine_all"]["seconds"],
        "dispatch": r["dispatch"]["seconds"] / r["calamine_dispatch_parallel"]["seconds"],
        "dispatch_one": r["dispatch_1"]["seconds"] / r["calamine_dispatch_inputs"]["seconds"],
        "validate_whole": r["wall_validate_big"]["seconds"] / r["wall_calamine_big"]["seconds"],
    }
    if "pandas_all" in r:
        out["pandas_speedup"] = r["pandas_all"]["seconds"] / r["consolidate"]["seconds"]
    return out


def _load_average() -> float | None:
    """The 1-minute load average (None where the OS has none): the run states how quiet the machine was."""
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


def _load_text(load: dict | None) -> str:
    if not load or load.get("start") is None:
        return "not available on this system"
    return f"{load['start']:.2f} before the runs, {load['end']:.2f} at the end"


def verdict(ok: bool) -> str:
    return "✅" if ok else "❌"


def write_report(results: list[dict], path: Path, repeat: int) -> str:
    workers = results[0].get("workers", "?")
    lines = [
        "# Benchmark results",
        "",
        f"Method: every job runs in a fresh process on {platform.node() or 'host'} ({os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {dt.datetime.now():%Y-%m-%d %H:%M}); medians of {repeat} runs.",
        f"Parallelism: the tool checks survey files in {workers} worker processes here (one per core, at most 4; "
        "fork on Linux). Each ratio compares like with like: the tool with its workers against the **parallel "
        f"floor** (python-calamine reading the same files in the same {workers} workers, started the same way), "
        "and the tool with `COVERAGE_XL_WORKERS=1` against **one reader** (calamine in one process).",
        "Job times exclude interpreter start-up and imports; **whole-process** rows are wall-clock times of a "
        "new Python doing the whole thing (start-up, imports, work), as a clerk waits for a CLI call or a "
        "ribbon click. Spawn rows force `COVERAGE_XL_START_METHOD=spawn` (how Windows starts workers) on Linux.",
        "Peak memory: the larger of the job's own ru_maxrss and the sampled resident set of its process tree.",
        "Bytecode: coverage_xl's modules are compiled once before the runs, as pip does when it installs the "
        "package (with PYTHONDONTWRITEBYTECODE set, each new Python would otherwise compile them again).",
        f"Machine state: 1-minute load average {_load_text(results[0].get('load_average'))}. Near 0 before the "
        "runs means no other work was on the machine; the figure at the end includes the benchmark's own "
        "processes. On a shared machine ratios are more stable than absolute seconds.",
        "Corpus: `benchmarks/generate.py` (synthetic, fictitious people; write-only xlsx, 2 planted errors per "
        "1,000 rows). Floor = `CalamineWorkbook.from_path` + `to_python()` of every sheet.",
        "",
    ]
    for r in results:
        q = ratios(r)
        lines += [f"## {r['scale']:g}× — {r['rows']:,} survey rows", "",
                  "| job | median s | runs | peak MB | ratio | target |", "|---|---:|---|---:|---:|---|"]

        def row(label: str, key: str, ratio: str = "", target: str = "", r: dict = r, lines: list = lines) -> None:
            m = r[key]
            peak = f"{m['peak_mb']:.0f}" if m["peak_mb"] else ""
            lines.append(f"| {label} | {m['seconds']:.2f} | {', '.join(f'{x:.2f}' for x in m['runs'])} | "
                         f"{peak} | {ratio} | {target} |")

        def target(key: str, value: float, le: bool = True) -> str:
            t = TARGETS[key]
            return f"{'≤' if le else '≥'} {t}× {verdict(value <= t if le else value >= t)}"

        row(f"calamine floor, {BIG_UNIT} file ({r['big_file_rows']:,} rows)", "calamine_big")
        row(f"validate {BIG_UNIT} file", "validate_big", f"{q['validate']:.2f}× floor", target("validate", q["validate"]))
        row(f"whole process: python + calamine read of the {BIG_UNIT} file", "wall_calamine_big")
        row(f"whole process: `coverage-xl validate` of the {BIG_UNIT} file", "wall_validate_big",
            f"{q['validate_whole']:.2f}× whole-process read", target("validate_whole", q["validate_whole"]))
        h = r["wall_help"]["seconds"]
        row("whole process: `coverage-xl --help`", "wall_help", "",
            f"< {TARGETS['help_seconds']} s {verdict(h < TARGETS['help_seconds'])}")
        row("calamine, 14 survey files, one reader", "calamine_all")
        row(f"calamine, 14 survey files, parallel floor ({r['workers']} workers)", "calamine_all_parallel")
        row(f"consolidate (CLI, {r['workers']} workers, incl. writing 附件4)", "consolidate",
            f"{q['consolidate']:.2f}× parallel floor", target("consolidate", q["consolidate"]))
        row("consolidate, COVERAGE_XL_WORKERS=1", "consolidate_1", f"{q['consolidate_one']:.2f}× one reader",
            target("consolidate", q["consolidate_one"]))
        if "pandas_all" in r:
            row("pandas.read_excel(engine=openpyxl) loop", "pandas_all", f"consolidate {q['pandas_speedup']:.1f}× faster",
                target("pandas_speedup", q["pandas_speedup"], le=False))
        row("calamine, survey + exports, one reader", "calamine_dispatch_inputs")
        row(f"calamine, survey + exports, parallel floor ({r['workers']} workers)", "calamine_dispatch_parallel")
        row(f"dispatch (CLI, {r['workers']} workers, incl. writing 附件5/进度/历史)", "dispatch",
            f"{q['dispatch']:.2f}× parallel floor", target("dispatch", q["dispatch"]))
        row("dispatch, COVERAGE_XL_WORKERS=1", "dispatch_1", f"{q['dispatch_one']:.2f}× one reader",
            target("dispatch", q["dispatch_one"]))
        sp = r["consolidate_spawn"]["seconds"]
        row(f"consolidate, spawn, {r['workers']} workers", "consolidate_spawn",
            f"{sp / r['consolidate']['seconds']:.2f}× fork, {sp / r['consolidate_1']['seconds']:.2f}× one worker")
        n = r["small_files"]
        row(f"consolidate {n} files, fork", "consolidate_small_fork")
        row(f"consolidate {n} files, spawn", "consolidate_small_spawn",
            f"{r['consolidate_small_spawn']['seconds'] / r['consolidate_small_1']['seconds']:.2f}× one worker")
        row(f"consolidate {n} files, one worker", "consolidate_small_1")
        if r.get("spawn_sweep"):
            lines += ["", "Spawned workers against one (consolidate of the smallest files first; "
                      "`survey.default_workers`' break-even):", "", *spawn_sweep_table(r["spawn_sweep"])]
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
    ap.add_argument("--spawn-sweep", action="store_true",
                    help="only measure 2 spawned workers against one on growing folders (results/spawn.md)")
    ap.add_argument("--large-export", type=int, metavar="ROWS",
                    help="only measure reading one payments CSV of ROWS rows (issue 12 §6), once")
    args = ap.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return 0
    if args.large_export:
        return bench_large_export(args.large_export)
    if args.spawn_sweep:
        return bench_spawn(args.repeat)
    scales = [0.1] if args.quick else (args.scale or [1.0])
    repeat = 1 if args.quick else args.repeat
    results = []
    compile_package()
    load_start = _load_average()
    with tempfile.TemporaryDirectory(prefix="covxl-bench-") as tmp:
        for s in sorted(scales):
            results.append(bench_scale(s, repeat, not args.no_pandas and s <= args.pandas_max_scale, Path(tmp)))
    results[0]["load_average"] = {"start": load_start, "end": _load_average()}
    print(write_report(results, args.out, repeat))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
