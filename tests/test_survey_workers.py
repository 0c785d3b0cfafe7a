"""The worker count follows the start method: forked workers per core; spawned workers only for a folder
big enough to pay for their start (survey.SPAWN_BREAK_EVEN_BYTES, measured by benchmarks/run.py --spawn-sweep)."""

from __future__ import annotations

import os

from coverage_xl.survey import SPAWN_BREAK_EVEN_BYTES, default_workers, start_method


def test_spawned_workers_for_an_unknown_size_are_not_worth_it_so_one_is_used(monkeypatch):
    monkeypatch.delenv("COVERAGE_XL_WORKERS", raising=False)
    monkeypatch.setenv("COVERAGE_XL_START_METHOD", "spawn")
    assert start_method() == "spawn"
    assert default_workers(14) == 1
    monkeypatch.setenv("COVERAGE_XL_WORKERS", "2")  # an explicit count still wins
    assert default_workers(14) == 2


def test_forked_workers_one_per_core_at_most_four(monkeypatch):
    monkeypatch.delenv("COVERAGE_XL_WORKERS", raising=False)
    monkeypatch.setenv("COVERAGE_XL_START_METHOD", "fork")
    assert start_method() == "fork"
    assert 1 <= default_workers(14) <= 4 and default_workers(1) == 1


def _files(folder, sizes: list[int]) -> list:
    """Workbook-sized files (sparse: only their size matters to the rule)."""
    folder.mkdir(exist_ok=True)
    paths = []
    for i, size in enumerate(sizes):
        path = folder / f"单位{i}.xlsx"
        with path.open("wb") as fh:
            fh.truncate(size)
        paths.append(path)
    return paths


def test_spawned_workers_only_for_a_folder_past_the_measured_break_even(monkeypatch, tmp_path):
    monkeypatch.delenv("COVERAGE_XL_WORKERS", raising=False)
    monkeypatch.setenv("COVERAGE_XL_START_METHOD", "spawn")
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    third = SPAWN_BREAK_EVEN_BYTES // 3
    small = _files(tmp_path / "small", [third, third, third - 1 + SPAWN_BREAK_EVEN_BYTES % 3])
    big = _files(tmp_path / "big", [third, third, SPAWN_BREAK_EVEN_BYTES - 2 * third])
    assert sum(p.stat().st_size for p in small) == SPAWN_BREAK_EVEN_BYTES - 1
    assert sum(p.stat().st_size for p in big) == SPAWN_BREAK_EVEN_BYTES
    assert default_workers(small) == 1  # a few units: one process beats starting Pythons
    assert default_workers(big) == 2  # past the break-even: one per core, as when forked
    assert default_workers(big[:1] + [tmp_path / "gone.xlsx"]) == 1  # a missing file weighs nothing
    many = _files(tmp_path / "many", [SPAWN_BREAK_EVEN_BYTES] * 6)
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert default_workers(many) == 4  # at most four
    assert default_workers(many[:1]) == 1  # never more workers than files


def test_forked_workers_do_not_depend_on_the_folder_size(monkeypatch, tmp_path):
    monkeypatch.delenv("COVERAGE_XL_WORKERS", raising=False)
    monkeypatch.setenv("COVERAGE_XL_START_METHOD", "fork")
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert default_workers(_files(tmp_path, [1000, 1000, 1000])) == 2


def test_what_a_spawned_worker_imports_loads_no_pandas():
    """A spawned worker (Windows) imports coverage_xl.survey to find its task and validates in it:
    neither loads pandas, numpy or openpyxl (pandas alone took longer to import than checking a
    town's file); the people table is built in the parent."""
    import subprocess
    import sys

    probe = ("import sys, coverage_xl.survey, coverage_xl.validate\n"
             "print(sorted(m for m in ('pandas', 'numpy', 'openpyxl') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
