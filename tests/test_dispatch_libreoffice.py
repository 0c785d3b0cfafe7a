"""Dispatch outputs through a second, independent office suite: LibreOffice headless reads Annex 5
with the same numbers, the charts survive its round trip, and an .xls export it writes still matches."""

from __future__ import annotations

import csv
import datetime as dt
import zipfile

import pandas as pd
import pytest
from lo_helpers import convert, needs_soffice
from test_dispatch import AS_OF, build_world

from coverage_xl.dispatch import run_dispatch
from coverage_xl.jobs.dispatch import write_dispatch
from coverage_xl.layout import TOTAL_LABEL

pytestmark = [pytest.mark.libreoffice, needs_soffice]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_world(tmp_path_factory.mktemp("dispatch_lo"), total=300, seed=11)


@pytest.fixture(scope="module")
def written(world, tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("dispatch_lo_out")
    result = run_dispatch(world.survey, world.registrations, world.payments, AS_OF)
    out = out_dir / "总表.xlsx"
    write_dispatch(result, out)
    later = run_dispatch(result.batch, world.registrations, world.payments, dt.date(2020, 10, 9))
    write_dispatch(later, out)  # two snapshots, so the line chart has a line
    return later, out


def _pct_or_number(text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    if text.endswith("%"):
        return float(text[:-1].replace(",", "")) / 100
    return float(text.replace(",", ""))


def test_annex5_read_by_libreoffice_has_the_same_numbers(written, tmp_path):
    result, out = written
    proc = convert(out, "csv:Text - txt - csv (StarCalc):44,34,76,1", tmp_path)  # first sheet, UTF-8
    csv_path = tmp_path / (out.stem + ".csv")
    assert csv_path.exists(), proc.stderr
    rows = list(csv.reader(csv_path.read_text(encoding="utf-8").splitlines()))
    start = next(i for i, r in enumerate(rows) if r[:3] == ["1", "2", "3"]) + 1
    body = rows[start:start + 15]
    for r, (name, row) in zip(body, result.annex5.iterrows(), strict=True):
        assert r[0] == (TOTAL_LABEL if name == TOTAL_LABEL else row["code"])
        assert [int(_pct_or_number(v)) for v in r[2:6]] == [
            row[k] for k in ("should_cover", "registered", "paid", "unregistered")]
        for v, k in zip(r[6:8], ("coverage_rate", "payment_rate"), strict=True):
            got = _pct_or_number(v)
            if pd.isna(row[k]):
                assert got is None
            else:  # shown with two decimals, as the sheet's 0.00% format says
                assert v.endswith("%") and got == pytest.approx(row[k], abs=5e-5)


def test_charts_survive_a_libreoffice_round_trip(written, tmp_path):
    _, out = written
    lo_dir = tmp_path / "lo"
    lo_dir.mkdir()
    proc = convert(out, "xlsx", lo_dir)
    again = lo_dir / out.name
    assert again.exists(), proc.stderr
    with zipfile.ZipFile(again) as zf:
        charts = sorted(n for n in zf.namelist() if n.startswith("xl/charts/chart"))
        assert len(charts) == 2, zf.namelist()
        xml = [zf.read(n).decode("utf-8") for n in charts]
    combo = next(x for x in xml if "barChart" in x)
    assert "lineChart" in combo  # the milestone line stayed with the columns
    assert any("lineChart" in x and "barChart" not in x for x in xml)
    # and the round-tripped workbook still carries the history LibreOffice read
    from coverage_xl.history import read_history

    assert sorted(set(read_history(again)["date"])) == [AS_OF, dt.date(2020, 10, 9)]


def test_xls_exports_written_by_libreoffice_give_the_same_table(world, written, tmp_path):
    result, _ = written
    xls = []
    for path in (world.registrations[1], world.payments[1]):
        convert(path, "xls", tmp_path)
        xls.append(tmp_path / (path.stem + ".xls"))
        assert xls[-1].exists()
    r = run_dispatch(result.batch, [world.registrations[0], xls[0]], [world.payments[0], xls[1]],
                     dt.date(2020, 10, 9))
    pd.testing.assert_frame_equal(r.annex5, result.annex5)
