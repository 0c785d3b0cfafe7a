"""The one output guard (issue 12 §1, §5): no command writes over an input, a file inside a folder it
reads, or a file it did not make; replaced outputs go to rotating backups; a failed write (disk full)
or Ctrl-C leaves the old output as it was. Every case runs the real command line and checks the exit
code, the Chinese message and that the victim file is byte-identical afterwards."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import openpyxl
import pytest
from cliutil import cli, digest, said, sha

from coverage_xl import guard

AS_OF = "2020-09-30"


def town_edit(path: Path, text: str = "已入户核实") -> None:
    """What a town does with a workbook we sent: open it, type something, save."""
    wb = openpyxl.load_workbook(path)
    wb.worksheets[0]["T8"] = text
    wb.save(path)


# --------------------------------------------------------------------------- consolidate

def test_consolidate_json_into_the_survey_folder_is_refused_and_the_unit_file_untouched(unit_folder_copy, tmp_path):
    folder = unit_folder_copy.path
    victim = next(p for p in folder.iterdir() if p.name.startswith("草尾镇"))
    before = digest(folder)
    run = cli("consolidate", folder, "-o", tmp_path / "汇总.xlsx", "--as-of", AS_OF, "--json", victim)
    assert run.code == 2
    assert said(run, "本次读取的文件夹") and said(run, "不能写入")
    assert digest(folder) == before
    assert not (tmp_path / "汇总.xlsx").exists()  # refused before any work


def test_consolidate_json_equal_to_output_is_refused_before_anything_is_written(unit_folder, tmp_path):
    out = tmp_path / "汇总.xlsx"
    assert cli("consolidate", unit_folder.path, "-o", out, "--as-of", AS_OF).code in (0, 1)
    before = sha(out)
    run = cli("consolidate", unit_folder.path, "-o", out, "--as-of", AS_OF, "--json", out)
    assert run.code == 2
    assert said(run, "两个不同的输出")
    assert sha(out) == before


def test_consolidate_into_a_workbook_this_tool_did_not_make_is_refused(unit_folder, tmp_path):
    other = tmp_path / "局里自己的表.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "财务数据"
    wb.save(other)
    before = sha(other)
    run = cli("consolidate", unit_folder.path, "-o", other, "--as-of", AS_OF)
    assert run.code == 2
    assert said(run, "不是本工具生成的总表或汇总表")
    assert sha(other) == before


# --------------------------------------------------------------------------- validate --annotate

def test_annotate_onto_another_units_file_is_refused(unit_folder_copy):
    files = unit_folder_copy.files()
    a = next(p for p in files if p.name.startswith("草尾镇"))
    b = next(p for p in files if p.name.startswith("琼湖街道"))
    outside = b.parent.parent / b.name  # the other unit's file, outside the folder the run reads
    shutil.copy2(b, outside)
    before = sha(outside)
    run = cli("validate", a, "--as-of", AS_OF, "--annotate", outside)
    assert run.code == 2
    assert said(run, "不是 coverage-xl") and said(run, "不予写入")
    assert sha(outside) == before


def test_annotate_into_the_folder_being_validated_is_refused(unit_folder_copy):
    folder = unit_folder_copy.path
    before = digest(folder)
    run = cli("validate", folder, "--as-of", AS_OF, "--annotate", folder)
    assert run.code == 2
    assert said(run, "本次读取的文件夹")
    assert digest(folder) == before


def test_annotate_replaces_its_own_copy_but_not_one_the_clerk_edited(unit_folder, tmp_path):
    src = next(p for p in unit_folder.files() if p.name.startswith("草尾镇"))
    out = tmp_path / "标注.xlsx"
    assert cli("validate", src, "--as-of", AS_OF, "--annotate", out).code in (0, 1)
    first = sha(out)
    assert cli("validate", src, "--as-of", AS_OF, "--annotate", out).code in (0, 1)
    assert [sha(p) for p in guard.backups(out)] == [first]
    town_edit(out, "已改正")
    edited = sha(out)
    run = cli("validate", src, "--as-of", AS_OF, "--annotate", out)
    assert run.code == 2 and said(run, "之后已被修改")
    assert sha(out) == edited


# --------------------------------------------------------------------------- templates, prefill

def test_templates_into_a_folder_of_returned_submissions_is_refused_twice(unit_folder_copy):
    folder = unit_folder_copy.path
    before = digest(folder)
    for _ in range(2):
        run = cli("templates", folder, "--as-of", AS_OF)
        assert run.code == 2
        assert said(run, "不是 templates 生成的")
        assert digest(folder) == before
    assert not (folder / guard.BACKUP_DIR_NAME).exists()


def test_templates_rerun_replaces_its_own_files_but_not_a_filled_in_one(tmp_path):
    out = tmp_path / "模板"
    assert cli("templates", out, "--units", "草尾镇,琼湖街道", "--as-of", AS_OF).code == 0
    assert cli("templates", out, "--units", "草尾镇,琼湖街道", "--as-of", AS_OF).code == 0  # untouched: replaced
    filled = next(out.glob("*草尾镇*"))
    town_edit(filled)
    before = digest(out)
    run = cli("templates", out, "--units", "草尾镇,琼湖街道", "--as-of", AS_OF)
    assert run.code == 2 and said(run, filled.name)
    assert digest(out) == before


def _province_list(folder: Path) -> Path:
    try:
        from test_prefill import rows, write_list_gbk_csv
    except ImportError:
        from tests.test_prefill import rows, write_list_gbk_csv
    folder.mkdir(parents=True, exist_ok=True)
    return write_list_gbk_csv(folder / "名单.csv", rows())


def test_prefill_over_town_edited_workbooks_is_refused(tmp_path):
    lst = _province_list(tmp_path / "src")
    out = tmp_path / "预填"
    assert cli("prefill", "--list", lst, "-o", out, "--as-of", AS_OF).code == 0
    edited = next(p for p in out.glob("*.xlsx") if "草尾镇" in p.name)
    town_edit(edited)
    before = digest(out)
    run = cli("prefill", "--list", lst, "-o", out, "--as-of", AS_OF)
    assert run.code == 2
    assert said(run, "不是 prefill 生成的") and said(run, edited.name)
    assert digest(out) == before


def test_prefill_into_a_folder_holding_someone_elses_file_is_refused(tmp_path):
    lst = _province_list(tmp_path / "src")
    out = tmp_path / "预填"
    out.mkdir()
    (out / "草尾镇_预填.csv").write_text("身份证号码\n430981199001011234\n", encoding="utf-8")
    before = digest(out)
    run = cli("prefill", "--list", lst, "-o", out, "--as-of", AS_OF)
    assert run.code == 2 and said(run, "草尾镇_预填.csv")
    assert digest(out) == before


# --------------------------------------------------------------------------- backups, permissions, disk full

def test_backups_rotate_and_keep_the_last_n(unit_folder, tmp_path, monkeypatch):
    out = tmp_path / "汇总.xlsx"
    shas = []
    for _ in range(4):
        assert cli("consolidate", unit_folder.path, "-o", out, "--as-of", AS_OF).code in (0, 1)
        shas.append(sha(out))
    kept = guard.backups(out)
    assert [sha(p) for p in kept] == shas[:3]  # each replaced version, oldest first
    assert all(p.parent == tmp_path / guard.BACKUP_DIR_NAME for p in kept)
    assert all(p.name.startswith("汇总.") and p.suffix == ".xlsx" for p in kept)
    monkeypatch.setenv(guard.BACKUPS_ENV, "2")
    assert cli("consolidate", unit_folder.path, "-o", out, "--as-of", AS_OF).code in (0, 1)
    assert [sha(p) for p in guard.backups(out)] == shas[2:4]


def test_an_output_keeps_the_permissions_of_the_file_it_replaces(unit_folder, tmp_path):
    out = tmp_path / "汇总.xlsx"
    assert cli("consolidate", unit_folder.path, "-o", out, "--as-of", AS_OF).code in (0, 1)
    os.chmod(out, 0o640)
    assert cli("consolidate", unit_folder.path, "-o", out, "--as-of", AS_OF).code in (0, 1)
    assert os.stat(out).st_mode & 0o777 == 0o640


def _disk_full_on(target: Path, monkeypatch, where: str) -> None:
    real_replace = os.replace

    def replace(src, dst, *a, **k):
        if Path(dst).resolve() == target.resolve():
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_replace(src, dst, *a, **k)

    if where == "replace":
        monkeypatch.setattr(os, "replace", replace)
    else:
        def save(self, filename):
            raise OSError(errno.ENOSPC, "No space left on device")
        monkeypatch.setattr(openpyxl.Workbook, "save", save)


@pytest.mark.parametrize("where", ["replace", "write"])
def test_disk_full_is_a_chinese_error_naming_the_path_and_the_old_output_stays(unit_folder, tmp_path, monkeypatch,
                                                                              where):
    out = tmp_path / "汇总.xlsx"
    assert cli("consolidate", unit_folder.path, "-o", out, "--as-of", AS_OF).code in (0, 1)
    before = sha(out)
    _disk_full_on(out, monkeypatch, where)
    run = cli("consolidate", unit_folder.path, "-o", out, "--as-of", "2020-10-31")
    assert run.code == 2
    assert said(run, "磁盘空间不足") and said(run, "汇总.xlsx") and said(run, "原文件未改动")
    assert sha(out) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".~")]


def test_json_disk_full_is_a_chinese_error(unit_folder, tmp_path, monkeypatch):
    js = tmp_path / "汇总.json"
    _disk_full_on(js, monkeypatch, "replace")
    run = cli("consolidate", unit_folder.path, "-o", tmp_path / "汇总.xlsx", "--as-of", AS_OF, "--json", js)
    assert run.code == 2 and said(run, "磁盘空间不足") and said(run, "汇总.json")
    assert not js.exists()


def test_a_fifo_given_as_output_is_refused(unit_folder, tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this system")
    fifo = tmp_path / "管道.json"
    os.mkfifo(fifo)
    run = cli("consolidate", unit_folder.path, "-o", tmp_path / "汇总.xlsx", "--as-of", AS_OF, "--json", fifo)
    assert run.code == 2 and said(run, "不是普通文件")


# --------------------------------------------------------------------------- the marker

def test_the_marker_is_a_custom_document_property_that_survives_an_openpyxl_save(tmp_path):
    out = tmp_path / "a.xlsx"
    guard.write_file(out, openpyxl.Workbook().save, kind="templates")
    m = guard.read_marker(out)
    assert m is not None and m.kind == "templates" and m.unchanged
    wb = openpyxl.load_workbook(out)
    assert [p.name for p in wb.custom_doc_props.props] == [guard.MARKER_NAME]
    town_edit(out)
    m = guard.read_marker(out)
    assert m is not None and m.kind == "templates" and not m.unchanged


def test_csv_and_json_outputs_are_listed_in_the_folders_manifest(tmp_path):
    out = tmp_path / "名单.csv"
    guard.write_text(out, "a,b\n", kind="notices")
    assert guard.ownership(out) == guard.Ownership("notices", True)
    out.write_text("a,b\nc,d\n", encoding="utf-8")
    assert guard.ownership(out) == guard.Ownership("notices", False)
    assert guard.ownership(tmp_path / "x.csv") == guard.Ownership(None, False)


def test_an_annotated_copy_beside_the_submissions_is_not_counted_as_a_second_file(unit_folder_copy, tmp_path):
    folder = unit_folder_copy.path
    clean = cli("consolidate", folder, "-o", tmp_path / "a.xlsx", "--as-of", AS_OF)
    src = next(p for p in folder.iterdir() if p.name.startswith("草尾镇"))
    copy = folder / f"{src.stem}_校验标注.xlsx"  # next to the file: the run read the file, not the folder
    assert cli("validate", src, "--as-of", AS_OF, "--annotate", copy).code in (0, 1)
    assert copy.exists()
    again = cli("consolidate", folder, "-o", tmp_path / "b.xlsx", "--as-of", AS_OF)
    assert again.code == clean.code
    assert not said(again, "草尾镇：") or said(clean, "草尾镇：")  # no "two files for one unit" remark
    annex4 = openpyxl.load_workbook(tmp_path / "b.xlsx")["附件4"]
    before = openpyxl.load_workbook(tmp_path / "a.xlsx")["附件4"]
    assert [[c.value for c in r] for r in annex4.iter_rows(min_row=5)] == \
        [[c.value for c in r] for r in before.iter_rows(min_row=5)]
