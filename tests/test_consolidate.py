"""Consolidation into Annex 4: counts against the synthetic truth, read back by two independent
readers (python-calamine, LibreOffice's CSV export), and the folder-level problems."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from cliutil import sha
from conftest import libreoffice_convert
from python_calamine import CalamineWorkbook

from coverage_xl.cli import main
from coverage_xl.consolidate import CountCheckError, check, consolidate
from coverage_xl.jobs.consolidate import write_workbook
from coverage_xl.survey import load_batch
from coverage_xl.units import default_units

AS_OF = dt.date(2020, 9, 30)
# Annex 4 columns 4–18 by their printed number, written out here (not imported) so that the test
# states the contract independently of the code under test.
REASONS_BY_COLUMN = {7: "prov_enterprise", 8: "prov_institution", 9: "other_province", 10: "statutory",
                     11: "student", 12: "military", 13: "prisoner", 14: "emigrated", 15: "deceased", 16: "other"}


def once_per_id(people) -> list:
    """The generator's rows as one unit counts them: an ID repeated in the file counts once, by its
    first row whose classification is readable (else its first row)."""
    ordered = [p for p in people if p.category is not None] + [p for p in people if p.category is None]
    seen: set[str] = set()
    keep: set[int] = set()
    for p in ordered:
        pid = str(p.values.get("id") or "")
        if pid and pid in seen:
            continue
        seen.add(pid)
        keep.add(id(p))
    return [p for p in people if id(p) in keep]


def expected_row(people) -> list[int]:
    """Annex 4 columns 4–18 for one unit, from the generator's truth (Person.category / willing)."""
    people = once_per_id(people)
    cat = Counter(p.category for p in people)
    will = Counter(p.willing for p in people if p.category == "in_scope")
    reasons = {n: cat[k] for n, k in REASONS_BY_COLUMN.items()}
    col = {4: cat["in_scope"], 5: sum(reasons.values()), 6: reasons[7] + reasons[8] + reasons[9], **reasons,
           17: will["否"], 18: will["是"]}
    return [col[n] for n in range(4, 19)]


def annex4_rows(rows: list[list]) -> list[list]:
    """The 14 unit rows and the 合计 row, found after the 1–19 numbering row."""
    for i, row in enumerate(rows):
        vals = [str(v).strip().removesuffix(".0") for v in row[:19]]
        if vals == [str(n) for n in range(1, 20)]:
            return rows[i + 1 : i + 16]
    raise AssertionError("numbering row not found")


def as_int(v) -> int | None:
    if v in ("", None):
        return None
    return int(float(v))


@pytest.fixture(scope="module")
def result(unit_folder):
    return consolidate(load_batch(unit_folder.path, AS_OF))


@pytest.fixture(scope="module")
def written(result, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "汇总.xlsx"
    write_workbook(result, out, inputs_label="units")
    return out


def test_every_unit_row_equals_the_counts_computed_from_the_synthetic_truth(unit_folder, result):
    assert result.complete
    for name, su in unit_folder.units.items():
        counts = result.counts(name)
        assert list(counts.values()) == expected_row(su.people), name
        assert result.status[name].uncounted == sum(p.category is None for p in once_per_id(su.people))
    assert sum(result.status[n].uncounted for n in unit_folder.units) > 0, "the fixture must plant category errors"


def test_relations_hold_and_total_is_the_column_sum(unit_folder, result):
    total = result.counts()
    units = [result.counts(n) for n in unit_folder.units]
    for k in total:
        assert total[k] == sum(u[k] for u in units)
    for u, name in zip(units, unit_folder.units, strict=True):
        assert u["out_total"] == u["employee_subtotal"] + sum(u[k] for k in list(REASONS_BY_COLUMN.values())[3:])
        assert u["employee_subtotal"] == u["prov_enterprise"] + u["prov_institution"] + u["other_province"]
        assert u["in_scope"] == u["unwilling"] + u["willing"] + result.status[name].no_willing


def test_annex4_read_back_by_calamine_has_the_truth_in_annex1_order(unit_folder, written):
    wb = CalamineWorkbook.from_path(str(written))
    assert wb.sheet_names[0] == "附件4"
    rows = annex4_rows(wb.get_sheet_by_name("附件4").to_python())
    units = default_units()
    totals = [0] * 15
    for row, unit in zip(rows[:14], units, strict=True):
        assert str(row[0]) == unit.code and len(str(row[0])) == 9
        assert row[1] == f"沅江市{unit.name}"
        assert row[2] == ""  # 户籍人口数 unknown: blank, never invented
        got = [as_int(v) for v in row[3:18]]
        assert all(isinstance(v, float) for v in row[3:18]), "counts must be numbers, not text"
        assert got == expected_row(unit_folder.units[unit.name].people), unit.name
        totals = [a + b for a, b in zip(totals, got, strict=True)]
    assert rows[14][0] == "合计"
    assert [as_int(v) for v in rows[14][3:18]] == totals


@pytest.mark.libreoffice
def test_libreoffice_csv_export_shows_the_same_numbers(unit_folder, written, tmp_path):
    out = libreoffice_convert(written, "csv:Text - txt - csv (StarCalc):44,34,76,1", tmp_path)
    with out.open(encoding="utf-8") as fh:
        rows = annex4_rows(list(csv.reader(fh)))
    for row, unit in zip(rows[:14], default_units(), strict=True):
        assert row[1] == f"沅江市{unit.name}"
        assert [as_int(v) for v in row[3:18]] == expected_row(unit_folder.units[unit.name].people)
    assert rows[14][0] == "合计"


def test_sheet_layout_merges_freeze_and_print_setup(written):
    ws = openpyxl.load_workbook(written)["附件4"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    # 不属于… over 5–16, 已参加职保人数 over 6–9, 合计 down two rows, the vertical headers down three
    assert {"E3:P3", "F4:I4", "E4:E5", "A3:A5", "S3:S5"} <= merged
    assert ws.freeze_panes == "A7"
    assert ws.page_setup.orientation == "landscape"
    assert ws.print_title_rows.replace("$", "") == "1:6"
    assert ws["A7"].border.left.style == "thin"


def test_classification_errors_are_not_counted_but_id_errors_are(tmp_path):
    from coverage_xl.synth import write_unit_workbook

    unit = default_units()[0]
    rows = [
        {"region": unit.name, "name": "甲（虚构）", "id": "430981199001011235", "in_scope": "√", "willing": "是"},
        {"region": unit.name, "name": "乙（虚构）", "id": "43098119900101123", "in_scope": "√", "student": "√"},
        {"region": unit.name, "name": "丙（虚构）", "id": "430981200501010011", "student": "√"},
        {"region": unit.name, "name": "丁（虚构）", "id": "430981198001010019", "in_scope": "√"},
    ]
    from coverage_xl.synth import Person

    write_unit_workbook(tmp_path / "a.xlsx", unit, [Person(r, None, None) for r in rows])
    r = consolidate(load_batch(tmp_path, AS_OF))
    c = r.counts(unit.name)
    assert (c["in_scope"], c["willing"], c["unwilling"], c["out_total"], c["student"]) == (2, 1, 0, 1, 1)
    remark = r.table.loc[unit.name, "remark"]
    assert "1条记录分类有误，未计入" in remark
    assert "1人未填是否愿意参保" in remark


def test_inputs_are_byte_for_byte_unchanged_after_a_cli_run(unit_folder, tmp_path):
    before = {p.name: sha(p) for p in unit_folder.files()}
    res = CliRunner().invoke(main, ["consolidate", str(unit_folder.path), "--as-of", "2020-09-30",
                                    "-o", str(tmp_path / "汇总.xlsx"), "--json", str(tmp_path / "s.json")])
    assert res.exit_code == 0, res.output
    assert {p.name: sha(p) for p in unit_folder.files()} == before


def test_run_log_lists_every_file_with_its_hash(unit_folder, written):
    rows = CalamineWorkbook.from_path(str(written)).get_sheet_by_name("汇总记录").to_python()
    header = next(i for i, r in enumerate(rows) if r[:2] == ["序号", "文件名"])
    files = {r[1]: r for r in rows[header + 1 :] if r[1]}
    assert set(files) == {p.name for p in unit_folder.files()}
    for p in unit_folder.files():
        r = files[p.name]
        assert r[4] == sha(p) and int(r[3]) == p.stat().st_size and r[10] == "是"
    facts = {r[0]: r[2] for r in rows[:header]}
    assert facts["统计日期"] == AS_OF and "coverage-xl" in facts["工具版本"]


def test_cross_unit_duplicate_is_listed_and_noted_in_both_units(unit_folder, result, written):
    a, b = "琼湖街道", "胭脂湖街道"
    dup = next(p for p in unit_folder.units[b].people if "id.duplicate_cross_unit" in p.planted)
    rows = CalamineWorkbook.from_path(str(written)).get_sheet_by_name("重复人员").to_python()
    listed = [r for r in rows[2:] if r[1] == dup.values["id"]]
    assert sorted(r[3] for r in listed) == sorted([a, b])
    for name in (a, b):
        assert "与其他单位重复" in result.table.loc[name, "remark"]
        assert result.counts(name)["in_scope"] is not None  # still counted in each unit


def test_two_files_for_one_unit_neither_is_counted_and_both_are_named(unit_folder_copy, tmp_path):
    src = unit_folder_copy.units["草尾镇"].path
    second = src.with_name("草尾镇_更正版" + src.suffix)
    shutil.copy(src, second)
    r = consolidate(load_batch(unit_folder_copy.path, AS_OF))
    assert not r.complete and r.missing == ["草尾镇"]
    remark = r.table.loc["草尾镇", "remark"]
    assert src.name in remark and second.name in remark
    assert all(v is None for v in r.counts("草尾镇").values())
    res = CliRunner().invoke(main, ["consolidate", str(unit_folder_copy.path), "--as-of", "2020-09-30",
                                    "-o", str(tmp_path / "o.xlsx")])
    assert res.exit_code == 1


def test_a_missing_unit_is_marked_not_submitted(unit_folder_copy, tmp_path):
    unit_folder_copy.units["南嘴镇"].path.unlink()
    r = consolidate(load_batch(unit_folder_copy.path, AS_OF))
    assert r.missing == ["南嘴镇"] and r.table.loc["南嘴镇", "remark"] == "未报送"
    rows = annex4_rows(_write_and_read(r, tmp_path / "o.xlsx"))
    row = rows[[u.name for u in default_units()].index("南嘴镇")]
    assert row[18] == "未报送" and row[3] == ""  # blank, not 0
    others = [n for n in unit_folder_copy.units if n != "南嘴镇"]
    assert r.counts()["in_scope"] == sum(r.counts(n)["in_scope"] for n in others)


def test_an_unreadable_file_does_not_stop_the_others(unit_folder_copy, tmp_path):
    bad = unit_folder_copy.units["共华镇"].path
    bad.unlink()
    broken = bad.with_suffix(".xlsx")
    broken.write_bytes(b"PK\x03\x04 this is not a workbook")
    r = consolidate(load_batch(unit_folder_copy.path, AS_OF))
    assert r.missing == ["共华镇"]
    assert broken.name in r.table.loc["共华镇", "remark"]
    for name, su in unit_folder_copy.units.items():
        if name != "共华镇":
            assert list(r.counts(name).values()) == expected_row(su.people)
    log = CalamineWorkbook.from_path(str(_write(r, tmp_path / "o.xlsx"))).get_sheet_by_name("汇总记录").to_python()
    row = next(x for x in log if x[1] == broken.name)
    assert row[10] == "否" and "无法读取" in row[11]


def test_json_summary_has_counts_duplicates_and_masked_ids(unit_folder, tmp_path):
    js = tmp_path / "s.json"
    res = CliRunner().invoke(main, ["consolidate", str(unit_folder.path), "--as-of", "2020-09-30",
                                    "-o", str(tmp_path / "o.xlsx"), "--json", str(js)])
    assert res.exit_code == 0, res.output
    data = json.loads(js.read_text(encoding="utf-8"))
    assert data["complete"] and data["as_of"] == "2020-09-30"
    by_unit = {u["unit"]: u for u in data["units"]}
    for name, su in unit_folder.units.items():
        assert list(by_unit[name]["counts"].values()) == expected_row(su.people)
    assert len(data["duplicates"]) == 1
    dup_id = data["duplicates"][0]["id"]
    assert "*" in dup_id and len(dup_id) == 18
    full = next(p.values["id"] for p in unit_folder.units["胭脂湖街道"].people if "id.duplicate_cross_unit" in p.planted)
    assert full not in js.read_text(encoding="utf-8")
    assert sum(f["errors"] for f in data["files"]) > 0


def test_refuses_to_write_over_an_input_file(unit_folder_copy):
    target = unit_folder_copy.units["草尾镇"].path
    before = sha(target)
    res = CliRunner().invoke(main, ["consolidate", str(target), "--as-of", "2020-09-30", "-o", str(target)])
    assert res.exit_code == 2
    assert sha(target) == before


def test_an_output_inside_the_input_folder_is_refused(unit_folder_copy):
    out = unit_folder_copy.path / "汇总.xlsx"
    before = sorted(p.name for p in unit_folder_copy.path.iterdir())
    res = CliRunner().invoke(main, ["consolidate", str(unit_folder_copy.path), "--as-of", "2020-09-30",
                                    "-o", str(out)])
    assert res.exit_code == 2
    assert "本次读取的文件夹" in res.output.replace("\n", "")
    assert sorted(p.name for p in unit_folder_copy.path.iterdir()) == before


def test_self_check_catches_a_broken_table(result):
    broken = type(result)(result.table.copy(), result.batch, result.status)
    name = next(iter(result.status))
    broken.table.loc[name, "student"] = broken.table.loc[name, "student"] + 1
    with pytest.raises(CountCheckError):
        check(broken)


def _write(result, out: Path) -> Path:
    return write_workbook(result, out)


def _write_and_read(result, out: Path) -> list[list]:
    return CalamineWorkbook.from_path(str(_write(result, out))).get_sheet_by_name("附件4").to_python()


def test_old_xls_and_ods_members_are_read_and_counted(unit_folder, result):
    if not unit_folder.legacy:
        pytest.skip("LibreOffice is not installed: the folder has no .xls/.ods member")
    suffixes = {name: st.file.path.suffix for name, st in result.status.items()}
    assert suffixes["新湾镇"] == ".xls" and suffixes["南洞庭芦苇场"] == ".ods"
    assert result.status["南嘴镇"].file.path.name.startswith("附件3_")  # unit from the contents


def test_cli_prints_the_summary_table_and_exits_0_when_all_units_are_counted(unit_folder, tmp_path):
    res = CliRunner().invoke(main, ["consolidate", str(unit_folder.path), "--as-of", "2020-09-30",
                                    "-o", str(tmp_path / "o.xlsx")])
    assert res.exit_code == 0, res.output
    assert "附件4 汇总结果" in res.output and "全部单位均已计入" in res.output
    assert "分类有误" in res.output


def test_sample_command_writes_fourteen_units_and_refuses_a_used_folder(tmp_path):
    out = tmp_path / "s"
    res = CliRunner().invoke(main, ["sample", str(out), "--rows", "140", "--seed", "7", "--no-legacy"])
    assert res.exit_code == 0, res.output
    files = sorted(out.iterdir())
    assert len(files) == 14 and all(p.suffix == ".xlsx" for p in files)
    r = consolidate(load_batch(out, AS_OF))
    assert r.complete and sum(s.rows for s in r.status.values()) == 140
    again = CliRunner().invoke(main, ["sample", str(out)])
    assert again.exit_code == 2
