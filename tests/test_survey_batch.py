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


def test_a_checked_file_sends_each_repeated_text_value_once(tmp_path):
    """What a worker sends back: equal addresses and willingness answers arrive as one shared object
    (pickle sends them once; the parent unpickles less, issue 16), the findings as equal Findings."""
    import pickle

    from coverage_xl.findings import Finding
    from coverage_xl.validate import validate_file

    write_sample_folder(tmp_path, 1400, seed=14, errors_per_unit=3)
    checked = validate_file(sorted(tmp_path.glob("*.xlsx"))[0], AS_OF)
    checked.materialise()
    sent = pickle.dumps(checked)
    back = pickle.loads(sent)
    for column in ("address", "willing"):
        values = [v for v in back.table[column] if v is not None]
        assert len(values) > len(set(values)), column
        assert len({id(v) for v in values}) == len(set(values)), column
    assert back.report.findings == checked.report.findings and back.report.findings
    assert all(type(f) is Finding for f in back.report.findings)
    pd.testing.assert_frame_equal(back.people, checked.people)


def test_sharing_equal_values_keeps_each_value_and_its_type():
    from coverage_xl.validate import _one_object_each

    values = [1, 1.0, True, "村", "村", None, None, "", 2]
    shared = _one_object_each(values)
    assert shared == values
    assert [type(v) for v in shared] == [type(v) for v in values]
    assert shared[3] is shared[4]
