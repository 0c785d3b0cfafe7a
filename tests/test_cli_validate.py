"""``coverage-xl validate`` as a clerk runs it: exit codes, JSON shape, masking, annotated copy."""

from __future__ import annotations

import hashlib
import json

import click
import openpyxl
import python_calamine
from click.testing import CliRunner

from coverage_xl.cli import main
from coverage_xl.sheets.annex3 import write_annex3
from coverage_xl.units import unit_by_name
from tests.test_validate_rules import person, vid

CAOWEI = unit_by_name("草尾镇")
GOOD_ID = vid()


def _book(path, people):
    wb = openpyxl.Workbook()
    write_annex3(wb.active, CAOWEI, people)
    wb.save(path)
    return path


def _run(*args):
    return CliRunner().invoke(main, ["validate", *args, "--as-of", "2020-09-30"], catch_exceptions=False)


def test_exit_0_when_clean(tmp_path):
    r = _run(str(_book(tmp_path / "ok.xlsx", [person()])))
    assert r.exit_code == 0, r.output
    assert "校验通过" in r.output


def test_exit_1_with_errors_and_text_names_row_column_code(tmp_path):
    r = _run(str(_book(tmp_path / "bad.xlsx", [person(phone="12345")])))
    assert r.exit_code == 1
    assert "第6行第19列（S6）" in r.output and "phone.format" in r.output


def test_exit_2_when_a_file_cannot_be_read(tmp_path):
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"PK\x03\x04not really")
    r = _run(str(_book(tmp_path / "ok.xlsx", [person()])), str(bad))
    assert r.exit_code == 2
    assert "无法读取" in r.output and "broken.xlsx" in r.output
    assert "Traceback" not in r.output


def test_json_has_the_documented_shape(tmp_path):
    path = _book(tmp_path / "u.xlsx", [person(id=GOOD_ID[:-1] + ("0" if GOOD_ID[-1] != "0" else "1"))])
    r = _run(str(path), "--format", "json")
    data = json.loads(r.output)
    (f,) = data["files"]
    assert {"path", "unit", "rows", "findings"} <= set(f)
    assert f["unit"] == "草尾镇" and f["rows"] == 1
    (finding,) = f["findings"]
    assert set(finding) == {"sheet", "row", "column", "field", "code", "severity", "value", "message"}
    assert (finding["sheet"], finding["row"], finding["column"], finding["code"], finding["severity"]) == \
        ("附件3", 6, 4, "id.checksum", "error")


def test_ids_and_phones_are_masked_unless_asked(tmp_path):
    path = _book(tmp_path / "u.xlsx", [person(), person(name="李四", phone="1381234567")])  # duplicate ID, bad phone
    masked = _run(str(path), "--format", "json").output
    assert GOOD_ID not in masked and "1381234567" not in masked
    assert GOOD_ID[:6] + "********" + GOOD_ID[-4:] in masked
    text = _run(str(path)).output
    assert GOOD_ID not in text and "1381234567" not in text
    full = _run(str(path), "--format", "json", "--unmasked").output
    assert GOOD_ID in full and "1381234567" in full


def test_annotate_writes_a_marked_copy_and_never_touches_the_input(tmp_path):
    src = _book(tmp_path / "u.xlsx", [person(), person(name=None, id=vid(seq="125"), phone="123")])
    before = hashlib.sha256(src.read_bytes()).hexdigest()
    out = tmp_path / "annotated.xlsx"
    r = _run(str(src), "--annotate", str(out))
    assert r.exit_code == 1
    assert hashlib.sha256(src.read_bytes()).hexdigest() == before
    wb = openpyxl.load_workbook(out)
    ws = wb["附件3"]
    assert ws["C7"].comment is not None and "name.missing" in ws["C7"].comment.text
    assert ws["S7"].fill.fgColor.rgb.endswith("FFC7CE")
    # the findings sheet, read back with a second, independent reader
    rows = python_calamine.CalamineWorkbook.from_path(str(out)).get_sheet_by_name("校验结果").to_python()
    assert rows[0] == ["文件", "工作表", "行", "列", "单元格", "字段", "问题类型", "级别", "内容", "问题及修改方法", "代码"]
    assert sorted((int(r[2]), int(r[3]), r[10]) for r in rows[1:]) == [(7, 3, "name.missing"), (7, 19, "phone.format")]


def test_a_folder_is_validated_file_by_file_skipping_lock_files(tmp_path):
    _book(tmp_path / "a.xlsx", [person()])
    _book(tmp_path / "b.xlsx", [person()])
    (tmp_path / "~$a.xlsx").write_bytes(b"lock")
    data = json.loads(_run(str(tmp_path), "--format", "json").output)
    assert sorted(f["path"].rsplit("/", 1)[1] for f in data["files"]) == ["a.xlsx", "b.xlsx"]


def test_every_command_has_chinese_help():
    ctx = click.Context(main)
    for name in main.list_commands(ctx):
        cmd = main.get_command(ctx, name)
        r = CliRunner().invoke(main, [name, "--help"])
        assert r.exit_code == 0, name
        assert any("\u4e00" <= ch <= "\u9fff" for ch in (cmd.help or "")), f"{name} has no Chinese help"
