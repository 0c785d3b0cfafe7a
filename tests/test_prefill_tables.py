"""Reading the tables other offices send (coverage_xl.tables): encodings, header rows, ID columns."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from coverage_xl import idcard
from coverage_xl.errors import InputError
from coverage_xl.prefill import prefill
from coverage_xl.tables import cell_text, find_column, find_id_column, read_table

ID = "430981198001011101"
ID2 = "43098119820202141" + idcard.check_character("43098119820202141")


def test_gbk_csv_with_a_title_line_above_the_header(tmp_path):
    p = tmp_path / "名单.csv"
    p.write_bytes("沅江市需核实名单\r\n姓名,公民身份号码,户籍地址\r\n王甲,430981198001011101,沅江市草尾镇新华村\r\n".encode("gbk"))
    df = read_table(p)
    assert list(df.columns) == ["姓名", "公民身份号码", "户籍地址"]
    assert df.attrs["header_row"] == 2 and list(df.index) == [3]
    assert df.iloc[0].tolist() == ["王甲", ID, "沅江市草尾镇新华村"]


def test_utf8_bom_tab_separated(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("身份证号码\t姓名\n" + ID + "\t王甲\n", encoding="utf-8-sig")
    df = read_table(p)
    assert find_id_column(df) == "身份证号码" and df["身份证号码"].tolist() == [ID]


def test_headerless_column_of_ids(tmp_path):
    p = tmp_path / "ids.csv"
    p.write_text(f"{ID}\n{ID2}\n", encoding="utf-8")
    df = read_table(p)
    assert df.attrs["header_row"] is None and find_id_column(df) == "列1" and len(df) == 2


def test_id_type_column_is_not_taken_for_the_number(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "身份证件类型", "身份证件号码（必填）"])
    wb.active.append(["王甲", "居民身份证", ID])
    wb.save(tmp_path / "a.xlsx")
    df = read_table(tmp_path / "a.xlsx")
    assert find_id_column(df) == "身份证件号码（必填）"


def test_header_found_on_a_later_sheet(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active["A1"] = "本表为比对结果"
    ws = wb.create_sheet("数据")
    ws.append(["证件号码", "姓名"])
    ws.append([ID, "王甲"])
    wb.save(tmp_path / "a.xlsx")
    df = read_table(tmp_path / "a.xlsx")
    assert df.attrs["sheet"] == "数据" and df["证件号码"].tolist() == [ID]


def test_long_number_cell_is_shown_as_excel_shows_it_not_with_invented_digits():
    assert cell_text(430981198001011101.0) == "4.30981198001011E+17"
    assert cell_text(13800001234.0) == "13800001234"
    assert cell_text(dt.datetime(2020, 8, 1)) == "2020-08-01"


def test_find_column_prefers_exact_names_in_candidate_order():
    header = ["户籍所在地", "户籍地址", "住址"]
    assert find_column(header, ("户籍地址", "户籍所在地")) == "户籍地址"
    assert find_column(header, ("地址x",), ("住址",)) == "住址"
    assert find_column(header, ("不存在",)) is None


def test_undecodable_csv_is_an_input_error(tmp_path):
    p = tmp_path / "x.csv"
    p.write_bytes(b"\xff\xfe\x00\x81\xfe\xff" * 10)
    with pytest.raises(InputError):
        read_table(p)


def test_id_stored_as_a_number_in_the_list_is_marked_not_guessed(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号码", "乡镇"])
    ws.append(["王甲", int(ID), "草尾镇"])  # a number cell: Excel keeps 15 digits
    ws.append(["李乙", ID2, "草尾镇"])
    wb.save(tmp_path / "l.xlsx")
    result = prefill(tmp_path / "l.xlsx", [], out_dir=tmp_path / "o", as_of=dt.date(2020, 9, 30))
    assert [(b.name, b.problem) for b in result.bad_ids] == [("王甲", "id.numeric")]
    assert result.units[0].rows == 2
