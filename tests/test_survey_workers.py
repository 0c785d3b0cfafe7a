"""The worker count follows the start method: forked workers per core, one where workers are spawned."""

from __future__ import annotations

from coverage_xl.survey import default_workers, start_method


def test_spawned_workers_are_not_worth_it_so_one_is_used(monkeypatch):
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
