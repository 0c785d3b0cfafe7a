"""Reading registration and payment exports: encodings, header search, ID normalisation, payment
years and amounts, unreadable files. Each export is a real file written here and read back."""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from lo_helpers import convert, needs_soffice

from coverage_xl import exports as ex
from coverage_xl.errors import InputError
from coverage_xl.synth import make_id

RNG = random.Random(4)
IDS = [make_id(dt.date(1960 + i, 1 + i % 12, 1 + i % 27), RNG, "430981") for i in range(40)]
X_ID = next(i for i in (make_id(dt.date(1970, 5, d), random.Random(d), "430981") for d in range(1, 400))
            if i.endswith("X"))


def _csv(path: Path, rows: list[list[object]], encoding: str) -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def test_gbk_csv_is_decoded_and_id_column_found_below_a_title_line(tmp_path):
    rows = [["沅江市城乡居保参保登记名单（导出）"], ["序号", "姓名", "公民身份号码", "参保状态"]]
    rows += [[n, "张三", i, "正常参保"] for n, i in enumerate(IDS[:10], 1)]
    path = _csv(tmp_path / "登记.csv", rows, "gbk")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # really not UTF-8
    f = ex.read_export(path, ex.REGISTRATION)
    assert f.encoding == "gb18030"
    assert f.id_header == "公民身份号码"
    assert list(f.frame["id"]) == sorted(IDS[:10])


def test_utf8_bom_csv_and_tab_separated_text(tmp_path):
    path = _csv(tmp_path / "登记.csv", [["证件号码", "姓名"], *[[i, "李四"] for i in IDS[:5]]], "utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    f = ex.read_export(path, ex.REGISTRATION)
    assert f.encoding == "utf-8-sig" and list(f.frame["id"]) == sorted(IDS[:5])
    tsv = tmp_path / "导出.xls"  # a text export named .xls, as some business systems do
    tsv.write_bytes("身份证号\t姓名\n".encode("gbk") + "\n".join(f"{i}\t王五" for i in IDS[:3]).encode("gbk"))
    assert list(ex.read_export(tsv, ex.REGISTRATION).frame["id"]) == sorted(IDS[:3])


def test_ids_differing_in_case_spaces_and_full_width_have_the_same_key():
    full = X_ID[:-1].translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"}) + "ｘ"
    for variant in (X_ID.lower(), f" {X_ID[:6]} {X_ID[6:14]} {X_ID[14:]} ", full, f"\t{X_ID}", f'="{X_ID}"',
                    f"'{X_ID}"):
        assert ex.match_key(variant) == X_ID, variant
    legacy = IDS[0][:6] + IDS[0][8:17]  # 15 digits, no century, no check character
    assert ex.match_key(legacy) == IDS[0]
    assert ex.match_key(float(legacy)) == IDS[0]  # a 15-digit number cell keeps every digit
    assert ex.match_key(None) == "" and ex.match_key(float("nan")) == ""


@pytest.mark.parametrize(("value", "year"), [
    (2020, 2020), (2020.0, 2020), ("2020", 2020), ("2020年度", 2020), (dt.date(2019, 12, 31), 2019),
    (dt.datetime(2020, 8, 15, 10, 30), 2020), ("2020-08-15", 2020), ("2020/8/15 10:20:30", 2020),
    ("2020年8月15日", 2020), (20200815, 2020), ("20190815", 2019), (202008, 2020), ("202001-202012", 2020),
    (44058, 2020), ("", None), (None, None), ("不详", None), (12, None),
])
def test_payment_year_is_read_from_every_usual_form(value, year):
    assert ex.parse_year(value) == year


@pytest.mark.parametrize(("value", "amount"), [
    (200, 200.0), (0, 0.0), ("1,200.00", 1200.0), ("￥200", 200.0), ("200元", 200.0), ("-200", -200.0),
    ("", None), ("无", None),
])
def test_amounts_are_read_from_numbers_and_text(value, amount):
    assert ex.parse_amount(value) == amount


def test_payment_counts_only_in_the_campaign_year_with_an_amount_above_zero(tmp_path):
    rows = [["姓名", "身份证号码", "缴费日期", "实缴金额"],
            ["a", IDS[0], dt.date(2020, 8, 15), 200],  # counts
            ["b", IDS[1], dt.date(2019, 8, 15), 200],  # last year
            ["c", IDS[2], "2020-09-01", 0],  # zero
            ["d", IDS[3], 20200901, "300.00"],  # counts (number date, text amount)
            ["e", IDS[4], "2020/7/1", -100],  # refund row
            ["f", "", dt.date(2020, 8, 15), 100],  # no ID
            ]
    path = _xlsx(tmp_path / "缴费.xlsx", {"Sheet1": rows})
    f = ex.read_export(path, ex.PAYMENT, 2020)
    assert f.date_header == "缴费日期" and f.amount_header == "实缴金额" and f.basis == ex.BASIS_DATE
    assert f.frame["id"].tolist() == sorted([IDS[0], IDS[3]])
    assert (f.rows_counted, f.rows_other_year, f.rows_not_positive) == (2, 1, 2)
    assert ex.read_export(path, ex.PAYMENT, 2019).frame["id"].tolist() == [IDS[1]]
    assert f.blank_ids == 1


def test_payment_year_or_date_in_the_campaign_year_counts_and_missing_amount_counts_by_them(tmp_path):
    rows = [["公民身份号码", "缴费年度", "缴费日期"], [IDS[0], 2020, "2021-01-05"], [IDS[1], 2019, "2020-01-05"],
            [IDS[2], 2019, "2019-12-31"]]
    path = _csv(tmp_path / "pay.csv", rows, "utf-8")
    f = ex.read_export(path, ex.PAYMENT, 2020)
    assert f.year_header == "缴费年度" and f.date_header == "缴费日期" and f.basis == ex.BASIS_BOTH
    assert f.frame["id"].tolist() == sorted([IDS[0], IDS[1]])
    assert f.rows_counted_by_date_only == 1
    assert f.warnings and "没有缴费金额列" in f.warnings[0]


def test_every_sheet_with_an_id_header_is_used_and_repeated_headers_skipped(tmp_path):
    path = _xlsx(tmp_path / "reg.xlsx", {
        "说明": [["本表由系统导出"]],
        "Sheet1": [["姓名", "身份证号"], *[["x", i] for i in IDS[:20]], ["姓名", "身份证号"]],
        "Sheet2": [["姓名", "身份证号"], *[["x", i] for i in IDS[20:30]]],
    })
    f = ex.read_export(path, ex.REGISTRATION)
    assert f.sheets == ["Sheet1", "Sheet2"]
    assert list(f.frame["id"]) == sorted(IDS[:30])


def test_an_id_rounded_by_excel_is_counted_as_bad_and_matches_nobody(tmp_path):
    path = _xlsx(tmp_path / "reg.xlsx", {"S": [["身份证号码"], [float(IDS[0][:17] + "1")], [IDS[1]]]})
    f = ex.read_export(path, ex.REGISTRATION)
    assert f.bad_ids == 1
    assert IDS[0] not in set(f.frame["id"])


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("坏的.xlsx", b"PK\x03\x04garbage-not-a-zip", "已损坏"),
    ("空的.csv", b"", "空的"),
    ("乱码.csv", bytes(range(128, 256)) * 4, "编码"),
    ("无身份证列.csv", "姓名,电话\n张三,13800000000\n".encode(), "身份证号码列"),
    ("缴费无年度.csv", "身份证号码,金额\n430981,200\n".encode(), "缴费年度"),
])
def test_unusable_export_raises_a_chinese_error_naming_the_file(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    kind = ex.PAYMENT if name.startswith("缴费") else ex.REGISTRATION
    with pytest.raises(ex.ExportError) as info:
        ex.read_export(path, kind, 2020)
    assert isinstance(info.value, InputError)
    assert name in str(info.value) and reason in str(info.value)


def test_missing_export_file_is_an_error_not_a_crash(tmp_path):
    with pytest.raises(ex.ExportError, match="不存在"):
        ex.read_export(tmp_path / "nope.xlsx", ex.REGISTRATION)


def test_folders_expand_to_their_export_files(tmp_path):
    for n in ("a.csv", "b.xlsx", "~$b.xlsx", ".hidden.csv", "notes.docx"):
        (tmp_path / n).write_bytes(b"x")
    assert [p.name for p in ex.export_files([tmp_path])] == ["a.csv", "b.xlsx"]


@pytest.mark.libreoffice
@needs_soffice
def test_xls_export_converted_by_libreoffice_reads_the_same(tmp_path):
    rows = [["姓名", "公民身份号码", "缴费年度", "缴费金额"]] + [["x", i, 2020 if n % 2 else 2019, 200]
                                                           for n, i in enumerate(IDS)]
    src = _xlsx(tmp_path / "缴费.xlsx", {"Sheet1": rows})
    out = tmp_path / "xls"
    out.mkdir()
    proc = convert(src, "xls", out)
    xls = out / "缴费.xls"
    assert xls.exists(), proc.stderr
    assert xls.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"  # a real BIFF8 compound file
    a, b = ex.read_export(src, ex.PAYMENT, 2020), ex.read_export(xls, ex.PAYMENT, 2020)
    assert list(b.frame["id"]) == list(a.frame["id"]) == sorted(IDS[1::2])
    assert b.rows == a.rows == len(IDS)


def test_a_chunk_of_ids_gets_the_keys_and_id_shapes_of_match_key_value_by_value():
    """The whole-chunk pass (clean IDs checked on their bytes at once) agrees with :func:`ex.match_key`
    and the 18-character shape, whatever the chunk holds."""
    rng = random.Random(16)
    clean = [*IDS, X_ID]
    odd = ["43098119650101001x", "４３０９８１１９６５０１０１００１Ｘ", "430981650101001", " 430981196501010011 ",
           "430981196501010011\n", "4309811965010100XX", "43098119650101001", "", None, float("nan"),
           430981650101001.0, 4.30981196501010e17, "=\"430981196501010011\"", "身份证号码", "430981１96501010011",
           True, 12, dt.date(2020, 1, 1), "430981196501010011"]
    ascii_text = [v for v in odd if isinstance(v, str) and v.isascii()]  # checked on bytes, at once
    for values in (clean, clean + ascii_text, clean + odd, odd, []):
        rng.shuffle(values)
        keys, valid = ex._match_keys(pd.Series(values, dtype=object))
        want = [ex.match_key(v) for v in values]
        assert keys.tolist() == want
        assert valid.tolist() == [len(k) == 18 and ex._ID_SHAPE.match(k) is not None for k in want]
    text = pd.Series(clean + ["430981650101001", ""], dtype="str")  # a CSV chunk: the str dtype
    keys, valid = ex._match_keys(text)
    assert keys.tolist() == [*clean, ex.match_key("430981650101001"), ""]
    assert valid.tolist() == [True] * (len(clean) + 1) + [False]
