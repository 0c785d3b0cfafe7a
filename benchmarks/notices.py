"""Time ``coverage-xl notices all`` at city scale against the floor (reading the same inputs with
python-calamine); write benchmarks/results/notices.md and notices.json.

Corpus: the 1× survey and exports of ``benchmarks/generate.py`` (120,087 rows, 14 files; ``make demo``
or ``python benchmarks/generate.py --scale 1`` makes them). As-of 2020-08-31 with
``--allow-incomplete``, so the 测算告知书 are written too (one page for each of about 18,000 people),
the heaviest run a clerk can start. The notices run is timed as a clerk waits for it: the whole
process (interpreter start, imports, work), with the peak memory of its process tree (it writes the
unit documents in worker processes), once with the default workers and once with one
(``COVERAGE_XL_WORKERS=1``, the Windows case). The floor is :func:`run.job_calamine` on the same 16
files in a fresh child (``run.measure``).

Issue 16: ≤ 20 s and < 600 MB.

    python benchmarks/notices.py          # one run of each (two minutes of a shared machine)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))

from run import RESULTS, TreeSampler, cli_argv, measure  # noqa: E402

AS_OF = "2020-08-31"
TARGET_SECONDS, TARGET_MB = 20.0, 600.0


class PssSampler(TreeSampler):
    """The process tree's proportional set size (Linux ``smaps_rollup``): a page shared by the parent
    and its forked helper counts half in each, so the sum is the memory the run takes from the machine."""

    def __init__(self, pid: int) -> None:
        super().__init__(pid, interval=0.05)

    @staticmethod
    def _rss_kb(pid: int) -> int:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0


def notices_run(survey: Path, reg: Path, pay: Path, out: Path, workers: int | None = None) -> dict:
    """Wall-clock seconds, peak memory and exit code of one whole ``coverage-xl notices all`` process.

    The unit documents are written in worker processes, so memory is sampled over the whole process
    tree (:class:`run.TreeSampler`, the sum of the resident sets at one moment: pages the forked
    workers share with the parent count twice, so this errs high); ``largest_mb`` is the largest
    single process (``ru_maxrss``). ``workers`` sets ``COVERAGE_XL_WORKERS`` (1: what a Windows PC
    runs, where workers would be spawned)."""
    argv = cli_argv("notices", "all", "--survey", str(survey), "-r", str(reg), "-p", str(pay), "--as-of", AS_OF,
                    "--allow-incomplete", "-o", str(out))
    env = {**os.environ, "COLUMNS": "120"}
    if workers is not None:
        env["COVERAGE_XL_WORKERS"] = str(workers)
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    sampler, pss = TreeSampler(proc.pid), PssSampler(proc.pid)
    sampler.start()
    pss.start()
    err = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    sampler.stop()
    pss.stop()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise RuntimeError(f"notices failed ({code}):\n{err.decode(errors='replace')[-3000:]}")
    files = [p for p in out.rglob("*") if p.is_file() and not p.name.startswith(".")]
    largest = usage.ru_maxrss / 1024
    return {"seconds": round(seconds, 2), "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
            "peak_mb": round(max(largest, sampler.peak_kb / 1024), 1), "largest_mb": round(largest, 1),
            "pss_mb": round(pss.peak_kb / 1024, 1),
            "workers": workers, "exit": code, "files": len(files), "bytes": sum(p.stat().st_size for p in files)}


def main() -> int:
    from coverage_xl.synth import PAYMENTS_FILE, REGISTRATIONS_FILE

    corpus = ROOT / "corpus"
    survey, exports = corpus / "survey_1x", corpus / "exports_1x"
    reg, pay = exports / REGISTRATIONS_FILE, exports / PAYMENTS_FILE
    if not survey.is_dir():
        print("No corpus: run `python benchmarks/generate.py --scale 1` (or `make demo`) first.", file=sys.stderr)
        return 2
    paths = sorted(str(p) for p in survey.glob("*.xlsx")) + [str(reg), str(pay)]
    floor_s, floor_mb, _ = measure("calamine", *paths)
    with tempfile.TemporaryDirectory() as tmp:
        run = notices_run(survey, reg, pay, Path(tmp) / "通报")
    with tempfile.TemporaryDirectory() as tmp:
        one = notices_run(survey, reg, pay, Path(tmp) / "通报", workers=1)
    from coverage_xl.survey import default_workers

    workers = default_workers(42)  # 14 units x 3 unit kinds
    result = {"date": dt.datetime.now().isoformat(timespec="seconds"), "machine": platform.platform(),
              "cpus": os.cpu_count(), "as_of": AS_OF, "floor": {"seconds": round(floor_s, 2), "peak_mb": round(floor_mb, 1)},
              "notices_all": run, "notices_all_one_worker": one, "default_workers": workers,
              "target": {"seconds": TARGET_SECONDS, "peak_mb": TARGET_MB}}

    def row(label: str, r: dict) -> str:
        ok_s, ok_mb = r["seconds"] <= TARGET_SECONDS, r["peak_mb"] < TARGET_MB
        return (f"| {label} | {r['seconds']:.2f} | {r['cpu_seconds']:.1f} | {r['peak_mb']:.0f} | {r['pss_mb']:.0f} "
                f"| {r['largest_mb']:.0f} "
                f"| ≤ {TARGET_SECONDS:g} s: {'met' if ok_s else 'NOT met'}; < {TARGET_MB:g} MB: {'met' if ok_mb else 'NOT met'} |")

    lines = [
        "# `notices all` at city scale",
        "",
        f"{result['date']}, {result['machine']}, {result['cpus']} CPUs. One run of each "
        "(`python benchmarks/notices.py`); 1× corpus (120,087 survey rows, 14 files + registrations + payments), "
        f"as-of {AS_OF}, `--allow-incomplete` (测算告知书 written). The notices runs are whole processes "
        "(interpreter start, imports, work), timed as a clerk waits; the unit documents are written in "
        f"{workers} worker processes (forked; `COVERAGE_XL_WORKERS=1`: one process, what a Windows PC runs). "
        "Peak MB (RSS sum): the sum of the resident sets of the process tree at one moment (pages shared "
        "with a forked helper count twice; the target is judged on it); PSS sum: the same with shared pages "
        "split between the processes (the memory the run takes from the machine); largest: the largest "
        "single process. The machine's load average is in the last line.",
        "",
        "| job | seconds | CPU s | peak MB (RSS sum) | peak MB (PSS sum) | largest MB | target |",
        "|---|---:|---:|---:|---:|---:|---|",
        f"| floor: python-calamine reading the same 16 files (work only) | {floor_s:.2f} | | {floor_mb:.0f} | | | |",
        row(f"`coverage-xl notices all` ({workers} workers)", run),
        row("`coverage-xl notices all` (`COVERAGE_XL_WORKERS=1`)", one),
        "",
        f"{run['files']} files, {run['bytes'] / 1e6:.1f} MB written; exit code {run['exit']} "
        f"({run['seconds'] / floor_s:.1f}× the floor; one worker {one['seconds'] / floor_s:.1f}×).",
        "",
        f"Load average (1, 5, 15 min) at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}.",
        "",
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "notices.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (RESULTS / "notices.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
