"""The master's history is never silently dropped (issue 12 §2), `master` does not overwrite an
existing master unless `--force` (§1), and a Ctrl-C during `notices` leaves the old set (§5)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from cliutil import ROOT, cli, digest, said, sha
from python_calamine import CalamineWorkbook

from coverage_xl import guard
from coverage_xl.errors import OutputError

AS_OF = "2020-09-30"


def history_dates(path: Path) -> dict[dt.date, int]:
    """Snapshot date -> number of unit rows in 调度历史, read with calamine wherever the table is."""
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("调度历史").to_python()
    out: dict[dt.date, int] = {}
    for row in rows:
        for i, v in enumerate(row[:-2]):
            if isinstance(v, dt.date) and isinstance(row[i + 2], str) and row[i + 2].endswith(("镇", "街道", "场")):
                out[v] = out.get(v, 0) + 1
                break
    return out


@pytest.fixture(scope="module")
def exports(unit_folder, tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("exports")
    ids = [p.values["id"] for su in unit_folder.units.values() for p in su.people
           if p.category == "in_scope" and isinstance(p.values.get("id"), str)]
    reg = folder / "登记.csv"
    reg.write_text("姓名,公民身份号码\n" + "".join(f"某,{i}\n" for i in ids[::2]), encoding="utf-8")
    pay = folder / "缴费.csv"
    pay.write_text("身份证号码,缴费年度,缴费金额\n" + "".join(f"{i},2020,300\n" for i in ids[::4]), encoding="utf-8")
    return reg, pay


def dispatch_args(unit_folder, exports, out: Path, day: str) -> list[object]:
    reg, pay = exports
    return ["dispatch", "--survey", unit_folder.path, "-r", reg, "-p", pay, "-o", out, "--as-of", day]


# --------------------------------------------------------------------------- read_history

def test_history_moved_down_and_right_by_the_clerk_is_still_carried_forward(unit_folder, exports, tmp_path):
    out = tmp_path / "调度.xlsx"
    assert cli(*dispatch_args(unit_folder, exports, out, AS_OF)).code == 0
    wb = openpyxl.load_workbook(out)
    ws = wb["调度历史"]
    ws.insert_rows(1, 12)  # the clerk puts a note block above the table and a column to its left
    ws.insert_cols(1, 2)
    ws["A1"] = "局领导批示：每周一报"
    wb.save(out)
    assert cli(*dispatch_args(unit_folder, exports, out, "2020-10-07")).code == 0
    assert history_dates(out) == {dt.date(2020, 9, 30): 14, dt.date(2020, 10, 7): 14}


def test_history_that_cannot_be_understood_stops_the_run_and_the_workbook_is_untouched(unit_folder, exports,
                                                                                     tmp_path):
    out = tmp_path / "调度.xlsx"
    assert cli(*dispatch_args(unit_folder, exports, out, AS_OF)).code == 0
    wb = openpyxl.load_workbook(out)
    ws = wb["调度历史"]
    for row in ws.iter_rows():
        for c in row:
            if c.value == "调度日期":
                c.value = "日期（已改）"
    wb.save(out)
    before = sha(out)
    run = cli(*dispatch_args(unit_folder, exports, out, "2020-10-07"))
    assert run.code == 2
    assert said(run, "找不到“调度日期”和“单位”表头") and said(run, "为免丢失历史，本次不写入")
    assert sha(out) == before


def test_a_history_row_whose_date_cannot_be_read_stops_the_run_naming_the_cell(unit_folder, exports, tmp_path):
    out = tmp_path / "调度.xlsx"
    assert cli(*dispatch_args(unit_folder, exports, out, AS_OF)).code == 0
    wb = openpyxl.load_workbook(out)
    wb["调度历史"]["A5"] = "九月底"
    wb.save(out)
    before = sha(out)
    run = cli(*dispatch_args(unit_folder, exports, out, "2020-10-07"))
    assert run.code == 2 and said(run, "A5 单元格的调度日期“九月底”无法识别")
    assert sha(out) == before


# --------------------------------------------------------------------------- the lock

def test_six_concurrent_dispatch_runs_all_land_or_fail_loudly(unit_folder, exports, tmp_path):
    out = tmp_path / "总表.xlsx"
    days = [f"2020-10-{d:02d}" for d in (5, 12, 19, 26, 28, 30)]
    procs = [subprocess.Popen([sys.executable, "-c", "from coverage_xl.cli import main; main()", *map(str, dispatch_args(unit_folder, exports,
                                                                                                 out, day))],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              env={**os.environ, "COLUMNS": "200"})
             for day in days]
    results = [(day, p.wait(600), p.stdout.read().decode("utf-8", "replace")) for day, p in zip(days, procs, strict=True)]
    landed = history_dates(out)
    for day, code, text in results:
        assert "Traceback" not in text, text
        if code == 0:
            assert landed.get(dt.date.fromisoformat(day)) == 14, f"{day} exited 0 but is not in the history"
        else:
            assert "正在被" in text, text
    assert any(code == 0 for _, code, _ in results)
    assert not (tmp_path / guard.lock_path(out).name).exists()


def test_a_lock_held_by_a_live_run_stops_dispatch_with_the_holders_name(unit_folder, exports, tmp_path, monkeypatch):
    out = tmp_path / "总表.xlsx"
    guard.lock_path(out).write_text(json.dumps({"owner": "张三@局机房", "host": __import__("socket").gethostname(),
                                                "pid": os.getppid(), "time": "2020-10-05T09:00:00"}), encoding="utf-8")
    monkeypatch.setenv(guard.LOCK_WAIT_ENV, "0")
    run = cli(*dispatch_args(unit_folder, exports, out, AS_OF))
    assert run.code == 2
    assert said(run, "正在被 张三@局机房") and said(run, "请稍后再试")
    assert not out.exists()


def test_a_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    target = tmp_path / "总表.xlsx"
    lock = guard.lock_path(target)
    lock.write_text(json.dumps({"owner": "x", "host": __import__("socket").gethostname(), "pid": dead.pid,
                                "time": "2020-10-05T09:00:00"}), encoding="utf-8")
    with guard.locked(target):
        assert json.loads(lock.read_text(encoding="utf-8"))["pid"] == os.getpid()
    assert not lock.exists()


def test_a_live_lock_is_not_taken_over(tmp_path, monkeypatch):
    target = tmp_path / "总表.xlsx"
    guard.lock_path(target).write_text(json.dumps({"owner": "x", "host": __import__("socket").gethostname(),
                                                   "pid": os.getppid(), "time": "t"}), encoding="utf-8")
    monkeypatch.setenv(guard.LOCK_WAIT_ENV, "0")
    with pytest.raises(OutputError, match="正在被 x"), guard.locked(target):
        pass
    assert guard.lock_path(target).exists()


# --------------------------------------------------------------------------- master

def test_master_over_an_existing_master_is_refused(tmp_path):
    out = tmp_path / "总表.xlsm"
    assert cli("master", out).code == 0
    before = sha(out)
    run = cli("master", out)
    assert run.code == 2 and said(run, "已存在") and said(run, "--force")
    assert sha(out) == before


def test_master_force_keeps_history_settings_and_the_clerks_own_sheets(unit_folder, exports, tmp_path):
    out = tmp_path / "总表.xlsm"
    assert cli("master", out).code == 0
    assert cli(*dispatch_args(unit_folder, exports, out, AS_OF)).code == 0
    assert cli(*dispatch_args(unit_folder, exports, out, "2020-10-07")).code == 0
    wb = openpyxl.load_workbook(out, keep_vba=True)
    settings = wb["单位设置"]
    label_cell = next(c for row in settings.iter_rows() for c in row if c.value == "摸底表文件夹")
    settings.cell(label_cell.row, 2, r"D:\全覆盖\摸底表")
    mine = wb.create_sheet("我的台账")
    mine.append(["日期", "事项"])
    mine.append([dt.date(2020, 10, 8), "=不是公式的文字"])
    mine["B2"].data_type = "s"
    wb.save(out)  # the custom document property (the marker) is kept by the save, as Excel keeps it
    before = sha(out)
    run = cli("master", out, "--force")
    assert run.code == 0, run.output
    assert history_dates(out) == {dt.date(2020, 9, 30): 14, dt.date(2020, 10, 7): 14}
    book = CalamineWorkbook.from_path(str(out))
    assert "我的台账" in book.sheet_names
    assert book.get_sheet_by_name("我的台账").to_python()[1][1] == "=不是公式的文字"
    settings_rows = book.get_sheet_by_name("单位设置").to_python()
    assert any(r"D:\全覆盖\摸底表" in map(str, r) for r in settings_rows)
    assert [sha(p) for p in guard.backups(out)][-1] == before
    assert guard.read_marker(out).kind == "master"
    with zipfile.ZipFile(out) as zf:
        assert "xl/vbaProject.bin" in zf.namelist()  # the buttons are rebuilt


def _without_marker(path: Path) -> None:
    """The master as a coverage-xl from before the output guard wrote it: no custom properties."""
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist() if i.filename != guard.CUSTOM_PART}
    parts["[Content_Types].xml"] = re.sub(rb'<Override[^>]*PartName="/docProps/custom.xml"[^>]*/>', b"",
                                          parts["[Content_Types].xml"])
    parts["_rels/.rels"] = re.sub(rb'<Relationship[^>]*Target="docProps/custom.xml"[^>]*/>', b"", parts["_rels/.rels"])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def test_a_master_from_before_the_marker_keeps_working_and_force_carries_its_history(unit_folder, exports, tmp_path):
    out = tmp_path / "总表.xlsm"
    assert cli("master", out).code == 0
    assert cli(*dispatch_args(unit_folder, exports, out, AS_OF)).code == 0
    _without_marker(out)
    assert guard.read_marker(out) is None
    assert cli(*dispatch_args(unit_folder, exports, out, "2020-10-07")).code == 0  # still the bureau's master
    assert history_dates(out) == {dt.date(2020, 9, 30): 14, dt.date(2020, 10, 7): 14}
    _without_marker(out)
    before = sha(out)
    run = cli("master", out, "--force")
    assert run.code == 0, run.output
    assert history_dates(out) == {dt.date(2020, 9, 30): 14, dt.date(2020, 10, 7): 14}
    assert [sha(p) for p in guard.backups(out)][-1] == before
    assert guard.read_marker(out).kind == "master"


def test_someone_elses_macro_workbook_with_a_ribbon_is_still_refused(unit_folder, exports, tmp_path):
    out = tmp_path / "总表.xlsm"
    assert cli("master", out).code == 0
    _without_marker(out)
    with zipfile.ZipFile(out) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    for name in [n for n in parts if n.startswith("customUI/")]:
        parts[name] = parts[name].replace(b'id="cxlTab"', b'id="theirTab"')
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    before = sha(out)
    for run in (cli(*dispatch_args(unit_folder, exports, out, AS_OF)), cli("master", out, "--force")):
        assert run.code == 2 and said(run, "不是本工具生成"), run.output
    assert sha(out) == before


def test_master_force_stops_when_the_old_history_cannot_be_read(tmp_path):
    out = tmp_path / "总表.xlsm"
    assert cli("master", out).code == 0
    wb = openpyxl.load_workbook(out, keep_vba=True)
    ws = wb["调度历史"]
    ws.delete_rows(1, 5)
    ws["A1"], ws["C1"] = dt.date(2020, 9, 30), "草尾镇"  # data the run could not place
    wb.save(out)
    before = sha(out)
    run = cli("master", out, "--force")
    assert run.code == 2 and said(run, "为免丢失历史")
    assert sha(out) == before


# --------------------------------------------------------------------------- notices: Ctrl-C

def test_ctrl_c_during_notices_leaves_the_old_set_and_says_so_truthfully(unit_folder, exports, tmp_path,
                                                                         monkeypatch):
    from coverage_xl.notices import documents

    reg, pay = exports
    out = tmp_path / "通报"
    args = ["notices", "bulletin", "statement", "--survey", unit_folder.path, "-r", reg, "-p", pay, "-o", out]
    assert cli(*args, "--as-of", AS_OF).code == 0
    old = digest(out)
    assert any("2020年9月" in name for name in old)
    real = documents.render_docx
    calls = []

    def render_then_interrupt(*a, **k):
        calls.append(a)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(documents, "render_docx", render_then_interrupt)
    run = cli(*args, "--as-of", "2020-10-31")
    assert run.code == 130
    assert said(run, "已中断：输出文件未改动")
    assert digest(out) == old
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".~")]
    monkeypatch.setattr(documents, "render_docx", real)
    assert cli(*args, "--as-of", "2020-10-31").code == 0
    new = digest(out)
    assert any("2020年10月" in name for name in new) and not any("2020年9月" in name for name in new)
    previous = guard.backups(out)
    assert len(previous) == 1 and digest(previous[0]) == old
