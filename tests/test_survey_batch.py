"""Loading a folder of submissions: the same batch whether files are checked in workers or in turn."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from coverage_xl.survey import default_workers, load_batch
from coverage_xl.synth import write_sample_folder

AS_OF = dt.date(2020, 9, 30)


def test_worker_processes_and_sequential_checking_give_the_same_batch(tmp_path):
    write_sample_folder(tmp_path, 420, seed=11, errors_per_unit=3)
    seen: list[int] = []
    one = load_batch(tmp_path, AS_OF, workers=1)
    two = load_batch(tmp_path, AS_OF, workers=2, progress=lambda _p, n, _t: seen.append(n))
    assert seen == list(range(1, 15))
    assert [r.path.name for r in one.files] == [r.path.name for r in two.files]
    assert [r.checked.report.flatten() for r in one.files] == [r.checked.report.flatten() for r in two.files]
    assert [r.sha256 for r in one.files] == [r.sha256 for r in two.files]
    pd.testing.assert_frame_equal(one.people(), two.people())


def test_raw_cells_are_dropped_once_the_people_table_exists(tmp_path):
    write_sample_folder(tmp_path, 140, seed=12, errors_per_unit=0)
    batch = load_batch(tmp_path, AS_OF, workers=1)
    assert all(r.checked.survey.rows == [] for r in batch.files)
    assert len(batch.people()) == 140


def test_worker_count_follows_the_environment(monkeypatch):
    monkeypatch.setenv("COVERAGE_XL_WORKERS", "1")
    assert default_workers(14) == 1
    monkeypatch.delenv("COVERAGE_XL_WORKERS")
    assert 1 <= default_workers(14) <= 4 and default_workers(1) == 1


def test_a_checked_file_sent_back_by_a_worker_keeps_its_people_and_birth_dates(tmp_path):
    import pickle

    from coverage_xl.validate import validate_file

    write_sample_folder(tmp_path, 140, seed=13, errors_per_unit=3)
    path = sorted(tmp_path.glob("*.xlsx"))[0]
    checked = validate_file(path, AS_OF)
    back = pickle.loads(pickle.dumps(checked))
    assert back.report.flatten() == checked.report.flatten()
    pd.testing.assert_frame_equal(back.people, checked.people)
    births = checked.people["birth"].tolist()
    assert any(b is None for b in births) and all(b is None or isinstance(b, dt.date) for b in births)
    assert back.people["birth"].tolist() == births
