"""No formula from input text, anywhere (issue 12 §3).

A hostile campaign — names, addresses, 其他原因, phones, 是否愿意参保, a sheet name and file names
carrying formula payloads — goes through every command that writes a workbook, a CSV or a Word
document. Every output is read back with openpyxl (and the CSVs with :mod:`csv`, the documents as
XML): no cell may be a formula except where a job writes its own on purpose (the template's 合计
row, the 测算器), and the payload text must be shown literally.
"""

from __future__ import annotations

import ast
import csv
import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from coverage_xl import synth
from coverage_xl.layout import ANNEX3, ANNEX_LABEL, TOTAL_LABEL, leaf_headers
from coverage_xl.sheets.cells import append_row, write_formula, write_row, write_value
from coverage_xl.sheets.rowcheck import CHECK_COLUMN
from coverage_xl.spreadsheet_text import csv_field, looks_like_formula
from coverage_xl.units import default_units

try:
    from cliutil import cli
except ImportError:  # the suite run as a package
    from tests.cliutil import cli

PAYLOADS = ('=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "=1+1",
            "=cmd|' /C calc'!A0", "#N/A", "＝1+1", "{{ 7*7 }}", "{% if true %}x{% endif %}", "<w:t>x</w:t>")
VISIBLE = ('=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "=1+1", "=cmd|' /C calc'!A0")
"""Payloads that must be found literally in the outputs that carry names."""
AS_OF = dt.date(2020, 9, 30)
UNITS = {u.name: u for u in default_units()}
HOSTILE_SHEET = "=1+1"
HOSTILE_FILES = {"草尾镇": "+1+1_草尾镇.xlsx", "南嘴镇": "=1+1南嘴镇.xlsx", "琼湖街道": "@SUM(A1)琼湖街道.xlsx"}


def _put(ws, r: int, c: int, v) -> None:
    """Test-side writer, independent of the code under test: text is stored as text."""
    cell = ws.cell(r, c)
    cell.value = v
    if isinstance(v, str):
        cell.data_type = "s"


def _write_grid(path: Path, grid: list[list], title: str) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for r, row in enumerate(grid, start=1):
        for c, v in enumerate(row, start=1):
            if v is not None and v != "":
                _put(ws, r, c, v)
    wb.save(path)
    return path


def _hostile_people(name: str, seed: int, taken: set[str]) -> list[synth.Person]:
    people = synth.make_people(UNITS[name], 14, seed=seed, taken=taken)
    for i, p in enumerate(people):
        payload = PAYLOADS[i % len(PAYLOADS)]
        p.values["name"] = payload
        p.values["address"] = f"{payload}沅江市{name}新华村{i + 1}组" if i % 2 else payload
        p.values.pop("other", None)
        for k in ("in_scope", "student", "military", "deceased", "prov_enterprise", "prov_institution", "other_province",
                  "prison", "emigrated"):
            p.values.pop(k, None)
        p.values["in_scope"] = "√"
        p.values["willing"] = "否" if i % 3 == 0 else "是"
        p.values["phone"] = "1380000" + f"{i:04d}"
    people[1].values["phone"] = "=1+1"  # a finding whose value is a payload (phone.format)
    people[2].values["willing"] = "@SUM(A1)"  # willing.value
    people[4].values.pop("in_scope")
    people[4].values.pop("willing")
    people[4].values["other"] = '=HYPERLINK("http://x","y")'  # 17 其他原因 text
    return people


def build_hostile_campaign(root: Path) -> dict[str, Path]:
    survey = root / "survey"
    survey.mkdir(parents=True)
    taken: set[str] = set()
    ids: list[str] = []
    leaves = leaf_headers(ANNEX3)
    shared = None
    for k, (unit, fname) in enumerate(HOSTILE_FILES.items()):
        people = _hostile_people(unit, 30 + k, taken)
        if shared is None:
            people[5].values["name"] = VISIBLE[0]
            shared = dict(people[5].values)
        else:  # the same person reported by two units: 重复人员 carries the payload name
            people[5].values.update(id=shared["id"], name=shared["name"], birth=shared["birth"])
        ids += [p.values["id"] for p in people]
        grid = [[ANNEX_LABEL.format(annex=3), ANNEX3.title], [f"填报单位：{unit}"],
                [leaves[n] if not 8 <= n <= 17 else ("不属于城乡居保覆盖范围（√）" if n == 8 else None) for n in range(1, 21)],
                [None if not 8 <= n <= 17 else leaves[n] for n in range(1, 21)], list(range(1, 21))]
        grid += [[p.values.get(key) for key in ANNEX3.keys] for p in people]
        grid.append([TOTAL_LABEL])
        _write_grid(survey / fname, grid, HOSTILE_SHEET if k == 0 else ANNEX3.sheet_name)
    reg = root / "登记.csv"
    pay = root / "缴费.csv"
    with reg.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["姓名", "公民身份号码"])
        w.writerows([["=1+1", i] for i in ids[::4]])
    with pay.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["身份证号码", "缴费年度", "缴费金额"])
        w.writerows([[i, 2020, 200] for i in ids[::8]])
    lst = root / "名单.xlsx"
    grid = [["序号", "姓名", "身份证号码", "户籍地址", "户籍状态", "乡镇"]]
    for i, pid in enumerate(ids[:20], start=1):
        unit = list(HOSTILE_FILES)[i % 3] if i % 5 else "=1+1"
        grid.append([i, PAYLOADS[i % len(PAYLOADS)], pid, f"{PAYLOADS[(i + 3) % len(PAYLOADS)]}", "正常", unit])
    _write_grid(lst, grid, "名单")
    return {"survey": survey, "reg": reg, "pay": pay, "list": lst}


# ------------------------------------------------------------------------------------ reading back

def _allowed_formula(ws, cell) -> bool:
    """Our own formulas: the Annex 3 template's 合计 row and per-row check column, and the estimator."""
    if ws.title == "测算器":
        return True
    if ws.title != ANNEX3.sheet_name:
        return False
    return cell.column == CHECK_COLUMN or ws.cell(cell.row, 1).value == TOTAL_LABEL


def _norm(s: str) -> str:
    return s.replace("\r", "\n")


def read_book(path: Path) -> tuple[list[str], set[str]]:
    """(stray formula cells, every text value) of a workbook, read with openpyxl."""
    wb = openpyxl.load_workbook(path)
    stray, texts = [], set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f" and not _allowed_formula(ws, cell):
                    stray.append(f"{path.name}!{ws.title}!{cell.coordinate}={cell.value!r}")
                elif cell.data_type == "e":
                    stray.append(f"{path.name}!{ws.title}!{cell.coordinate} error value {cell.value!r}")
                elif isinstance(cell.value, str):
                    texts.add(_norm(cell.value))
    return stray, texts


def assert_clean(paths: list[Path], must_show: tuple[str, ...] = VISIBLE) -> set[str]:
    assert paths, "no output to check"
    stray: list[str] = []
    texts: set[str] = set()
    for p in paths:
        s, t = read_book(p)
        stray += s
        texts |= t
    assert stray == []
    shown = {v for v in must_show if any(_norm(v) in t for t in texts)}
    assert shown == set(must_show), f"not shown literally: {set(must_show) - shown}"
    return texts


def books(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in (".xlsx", ".xlsm") and ".bak" not in p.name)


@pytest.fixture(scope="module")
def campaign(tmp_path_factory) -> dict[str, Path]:
    return build_hostile_campaign(tmp_path_factory.mktemp("hostile"))


# ------------------------------------------------------------------------------------ the writer

@pytest.mark.parametrize("payload", PAYLOADS)
def test_write_value_stores_every_payload_as_literal_text(tmp_path, payload):
    wb = openpyxl.Workbook()
    write_value(wb.active, 1, 1, payload)
    append_row(wb.active, [payload, 3, None, payload])
    wb.save(tmp_path / "a.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "a.xlsx").active
    for ref in ("A1", "A2", "D2"):
        assert (ws[ref].data_type, _norm(ws[ref].value)) == ("s", _norm(payload))
        assert ws[ref].quotePrefix == looks_like_formula(payload)
    assert ws["B2"].value == 3 and ws["C2"].value is None


def test_write_formula_is_the_only_way_to_a_formula(tmp_path):
    wb = openpyxl.Workbook()
    write_formula(wb.active, 1, 1, "=SUM(B1:B2)")
    with pytest.raises(ValueError):
        write_formula(wb.active, 1, 2, "SUM(B1:B2)")
    assert wb.active["A1"].data_type == "f"


def test_control_characters_become_a_visible_mark_not_a_crash(tmp_path):
    wb = openpyxl.Workbook()
    write_value(wb.active, 1, 1, "张\x01三\x00")
    wb.save(tmp_path / "a.xlsx")
    assert openpyxl.load_workbook(tmp_path / "a.xlsx").active["A1"].value == "张\ufffd三\ufffd"


def test_append_row_on_a_write_only_sheet_keeps_text(tmp_path):
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("s")
    append_row(ws, ["=1+1", "#N/A", 5])
    wb.save(tmp_path / "a.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "a.xlsx")["s"]
    assert [(c.data_type, c.value) for c in ws[1]] == [("s", "=1+1"), ("s", "#N/A"), ("n", 5)]


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("\r=1", "'\r=1"), (" =1", "' =1"), ("＝1", "'＝1"), ("-2+3", "'-2+3"), (-3, "-3"),
    ("张三", "张三"), ("a=b", "a=b"), (None, ""),
])
def test_csv_field_neutralises_formula_starts(value, expected):
    assert csv_field(value) == expected


EXEMPT = {"sheets/cells.py", "synth.py", "notices/make_templates.py"}
"""The writer itself; synthetic test data and the built-in Word templates carry no input text."""


def _raw_cell_writes(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("Cell", "WriteOnlyCell"):
            value = next((k.value for k in node.keywords if k.arg == "value"), None)
            deliberate = isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id.endswith("Formula")
            if value is not None and not deliberate:
                found.append(f"{node.lineno}: Cell(…, value=…)")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "cell" and (len(node.args) >= 3 or any(k.arg == "value" for k in node.keywords)):
                found.append(f"{node.lineno}: .cell(…, value)")
            if node.func.attr == "append" and isinstance(node.func.value, ast.Name) and node.func.value.id in (
                    "ws", "ws2", "sheet", "src", "bad", "ps", "info", "t"):
                found.append(f"{node.lineno}: {node.func.value.id}.append")
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Attribute) and t.attr == "value" and not (
                        isinstance(t.value, ast.Call) and isinstance(t.value.func, ast.Attribute)
                        and t.value.func.attr == "range"):
                    found.append(f"{node.lineno}: .value =")
                if isinstance(t, ast.Subscript) and isinstance(t.slice, ast.Constant) and isinstance(t.slice.value, str) \
                        and re.fullmatch(r"[A-Z]{1,3}[0-9]+", t.slice.value):
                    found.append(f"{node.lineno}: [{t.slice.value!r}] =")
    return found


def test_every_cell_write_goes_through_the_one_safe_writer():
    """A structural guard: openpyxl cell writes (ws.cell(r, c, v), ws.append, ws["A1"] = …,
    cell.value = …, Cell(…, value=…) unless the value is a formula object) appear only in sheets/cells.py."""
    root = Path(__file__).resolve().parent.parent / "coverage_xl"
    offenders = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel in EXEMPT:
            continue
        found = _raw_cell_writes(path)
        if found:
            offenders[rel] = found
    assert offenders == {}


# ------------------------------------------------------------------------------------ every command

def test_validate_annotated_copies_and_result_sheet_show_payloads_as_text(campaign, tmp_path):
    out = tmp_path / "标注"
    run = cli("validate", campaign["survey"], "--annotate", out, "--as-of", AS_OF)
    assert run.code == 1, run.output
    written = books(out)
    assert len(written) == 3
    texts = assert_clean(written)
    assert "+1+1_草尾镇.xlsx" in texts and HOSTILE_SHEET in texts  # file and sheet names in 校验结果


def test_consolidate_annex4_duplicates_and_runlog_show_payloads_as_text(campaign, tmp_path):
    out = tmp_path / "附件4.xlsx"
    run = cli("consolidate", campaign["survey"], "-o", out, "--as-of", AS_OF, "--reporter", "=1+1")
    assert run.code == 1, run.output  # 11 units missing
    texts = assert_clean([out], must_show=("=1+1", "+1+1_草尾镇.xlsx", "@SUM(A1)琼湖街道.xlsx", HOSTILE_SHEET))
    wb = openpyxl.load_workbook(out)
    dup_names = {c.value for c in wb["重复人员"]["C"]}
    assert VISIBLE[0] in dup_names
    assert "填报人：=1+1" in texts


def test_dispatch_annex5_history_and_followup_lists_show_payloads_as_text(campaign, tmp_path):
    out = tmp_path / "调度表.xlsx"
    lists = tmp_path / "名单"
    run = cli("dispatch", "--survey", campaign["survey"], "-r", campaign["reg"], "-p", campaign["pay"], "-o", out,
              "--lists", lists, "--as-of", AS_OF)
    assert run.code in (0, 1), run.output
    assert_clean([out], must_show=())
    followups = books(lists)
    assert len(followups) == 3
    assert_clean(followups)


def test_notices_reasons_sms_and_documents_show_payloads_literally(campaign, tmp_path):
    out = tmp_path / "通报"
    run = cli("notices", "all", "--survey", campaign["survey"], "-r", campaign["reg"], "-p", campaign["pay"],
              "-o", out, "--as-of", AS_OF, "--allow-incomplete")
    assert run.code == 0, run.output
    assert_clean(books(out))
    # SMS lists: every formula-like cell neutralised with the apostrophe
    sms_files = sorted(out.rglob("*.csv"))
    assert sms_files
    cells = [c for p in sms_files for row in csv.reader(p.open(encoding="utf-8-sig", newline="")) for c in row]
    assert [c for c in cells if looks_like_formula(c)] == []
    assert "'" + VISIBLE[0] in cells
    # Word documents: the payload text literally, Jinja syntax in data not executed, XML not injected
    docs = sorted(out.rglob("*.docx"))
    statements = [d for d in docs if "意愿书" in d.name or "告知书" in d.name]  # the letters naming people
    assert statements
    text = "".join(_docx_text(d) for d in statements)
    for payload in (*VISIBLE, "{{ 7*7 }}", "{% if true %}x{% endif %}", "<w:t>x</w:t>"):
        assert payload in text, payload
    assert "49" not in text.replace("{{ 7*7 }}", "")


def _docx_text(path: Path) -> str:
    from xml.etree import ElementTree as ET

    with zipfile.ZipFile(path) as z:
        root = ET.fromstring(z.read("word/document.xml"))
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    return "\n".join("".join(t.text or "" for t in p.iter(f"{w}t")) for p in root.iter(f"{w}p"))


def test_prefill_workbooks_and_summary_show_payloads_as_text(campaign, tmp_path):
    out = tmp_path / "预填"
    run = cli("prefill", "--list", campaign["list"], "-o", out, "--as-of", AS_OF)
    assert run.code == 0, run.output
    assert_clean(books(out))
    rows = list(csv.reader((out / "预填汇总.csv").open(encoding="utf-8-sig", newline="")))
    assert [c for row in rows for c in row if looks_like_formula(c)] == []


def test_master_settings_and_conf_show_payloads_as_text(tmp_path):
    out = tmp_path / "总表.xlsm"
    run = cli("master", out, "--survey-dir", "=1+1", "--pythonpath", '=HYPERLINK("http://x","y")')
    assert run.code == 0, run.output
    assert_clean([out], must_show=("=1+1", '=HYPERLINK("http://x","y")'))


def test_libreoffice_shows_the_payload_literally_in_csv_and_pdf(campaign, tmp_path):
    from conftest import libreoffice_convert

    out = tmp_path / "附件4.xlsx"
    assert cli("consolidate", campaign["survey"], "-o", out, "--as-of", AS_OF).code == 1
    lists = tmp_path / "名单"
    cli("dispatch", "--survey", campaign["survey"], "-r", campaign["reg"], "-p", campaign["pay"], "-o",
        tmp_path / "调度表.xlsx", "--lists", lists, "--as-of", AS_OF)
    book = next(p for p in books(lists) if "草尾镇" in p.name)
    converted = libreoffice_convert(book, "csv:Text - txt - csv (StarCalc):44,34,76,1", tmp_path / "csv")
    text = converted.read_text(encoding="utf-8")
    assert '=HYPERLINK(""http://x"",""y"")' in text or '=HYPERLINK("http://x","y")' in text
    assert "=1+1" in text and "@SUM(A1)" in text
    pdf = libreoffice_convert(book, "pdf", tmp_path / "pdf")
    import subprocess

    shown = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "=1+1" in shown and "@SUM(A1)" in shown


def test_the_excel_layer_hands_formula_like_text_to_excel_with_its_quote_prefix(tmp_path, monkeypatch):
    """Assigning "=1+1" to a live Excel range makes a formula; Excel's own prefix ' keeps it text."""
    import xlwings_standin as standin

    from coverage_xl import excel

    monkeypatch.setattr(excel, "xw", standin)
    blank = openpyxl.Workbook()
    blank.save(tmp_path / "总表.xlsx")
    book = standin.load_book(tmp_path / "总表.xlsx")
    wb = openpyxl.Workbook()
    ws = wb.active
    write_row(ws, 1, ["=1+1", "@SUM(A1)", "张三", "-2+3"])
    write_formula(ws, 1, 5, "=A1")
    sheet = excel.copy_sheet(ws, book, "校验结果")
    assert [sheet.cells.get((1, c)) for c in range(1, 6)] == ["'=1+1", "'@SUM(A1)", "张三", "'-2+3", "=A1"]


def test_an_ods_submission_rebuilt_for_annotation_keeps_payloads_as_text(campaign, tmp_path):
    """.xls/.ods inputs are rebuilt from their values for the annotated copy: through the one writer."""
    from conftest import libreoffice_convert

    src = campaign["survey"] / HOSTILE_FILES["南嘴镇"]
    ods = libreoffice_convert(src, "ods", tmp_path / "ods")
    out = tmp_path / "标注.xlsx"
    run = cli("validate", ods, "--annotate", out, "--as-of", AS_OF)
    assert run.code == 1, run.output
    assert_clean([out])
