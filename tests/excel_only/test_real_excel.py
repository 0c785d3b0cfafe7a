"""Runs only where Microsoft Excel exists (Windows/macOS with xlwings): opens the master built by
``build_master`` in a real Excel, runs every ribbon macro through ``set_mock_caller`` and checks what
they wrote. Skipped on Linux and anywhere xlwings cannot start Excel. Run: ``pytest tests/excel_only``.
"""

from __future__ import annotations

import datetime as dt
import sys

import pytest

pytestmark = [pytest.mark.excel,
              pytest.mark.skipif(sys.platform not in ("win32", "darwin"), reason="needs Microsoft Excel (Windows/macOS)")]

xw = pytest.importorskip("xlwings")


@pytest.fixture(scope="module")
def app():
    try:
        app = xw.App(visible=False, add_book=False)
    except Exception as exc:  # noqa: BLE001 - no Excel installed
        pytest.skip(f"Excel cannot be started: {exc}")
    app.display_alerts = False
    yield app
    app.quit()


@pytest.fixture
def master_book(app, tmp_path, monkeypatch):
    from coverage_xl import excel
    from coverage_xl.master import build_master
    from coverage_xl.synth import write_sample_folder

    folder = tmp_path / "摸底表"
    write_sample_folder(folder, total=140, seed=1)
    path = build_master(tmp_path / "总表.xlsm", survey_dir=str(folder))
    book = app.books.open(str(path))
    book.set_mock_caller()
    alerts: list[str] = []
    monkeypatch.setattr(excel, "_alert", lambda _b, text, critical=False: alerts.append(("!" if critical else "") + text))
    yield book, alerts, folder
    book.close()


def test_validate_current_in_excel(master_book):
    from coverage_xl import excel

    book, alerts, folder = master_book
    unit = next(folder.glob("草尾镇*.xlsx"))
    src = book.app.books.open(str(unit))
    src.set_mock_caller()
    excel.validate_current()
    assert alerts and not alerts[-1].startswith("!"), alerts
    assert "校验结果" in [s.name for s in src.sheets]
    src.close()


def test_consolidate_and_templates_in_excel(master_book, tmp_path):
    from coverage_xl import excel

    book, alerts, _ = master_book
    excel.consolidate_units()
    assert "已汇总 14/14" in alerts[-1], alerts
    assert book.sheets["附件4"].range("A1").value == "附件4"
    settings = book.sheets["单位设置"]
    row = next(r for r in range(1, 20) if settings.range((r, 1)).value == "模板输出文件夹")
    settings.range((row, 2)).value = str(tmp_path / "模板")
    excel.make_templates()
    assert len(list((tmp_path / "模板").glob("*.xlsx"))) == 14


def test_open_help_and_udf_in_excel(master_book):
    from coverage_xl import excel

    book, alerts, _ = master_book
    excel.open_help()
    assert book.sheets.active.name == "使用说明"
    assert isinstance(excel.CXL_PENSION(dt.date(1965, 3, 1), 3, 2020), float)
