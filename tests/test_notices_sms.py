"""SMS send lists: UTF-8 with BOM, the five columns, one-SMS length flag, no formula injection."""

from __future__ import annotations

import csv
import datetime as dt
import itertools

import openpyxl
import pandas as pd
import pytest

from coverage_xl.notices import context as cx
from coverage_xl.notices import sms
from coverage_xl.notices.render import BUILTIN_DIR, SMS_PAYMENT, SMS_TURNING60
from coverage_xl.spreadsheet_text import csv_field

AS_OF = dt.date(2020, 9, 30)
_SEQ = itertools.count(1)


def person(name="张三", *, born=dt.date(1970, 5, 1), category="in_scope", registered=True, paid=False,
           phone="13812341234", pid=None, unit="草尾镇", willing="是"):
    # a fresh sequence number per person: hash(name) changed with each run's hash seed, and two names
    # drawing the same number made one ID (counted once), failing a run in a few hundred
    return {"unit": unit, "name": name, "id": pid or f"430981{born:%Y%m%d}{next(_SEQ) % 1000:03d}1",
            "birth": born, "category": category, "willing": willing, "phone": phone, "address": "沅江市草尾镇新华村1组",
            "registered": registered, "paid": paid}


def frame(*people):
    return pd.DataFrame(list(people))


@pytest.mark.parametrize("value, expected", [
    ("=HYPERLINK(\"http://x\",\"点我\")", "'=HYPERLINK(\"http://x\",\"点我\")"),
    ("+86 138", "'+86 138"), ("-1+1", "'-1+1"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
    ("张三", "张三"), ("13812341234", "13812341234"), ("a=b", "a=b"), ("", ""), (None, ""),
])
def test_csv_field_prefixes_formula_starters_only(value, expected):
    assert csv_field(value) == expected


def test_payment_csv_has_bom_columns_and_neutralised_name(tmp_path):
    people = frame(person("=1+2"), person("李四", pid="430981197001010011"), person("王五", paid=True),
                   person("赵六", registered=False), person("钱七", category="student"))
    lst = sms.payment_reminders(people, AS_OF, BUILTIN_DIR / SMS_PAYMENT)
    out = sms.write_sms_csv(lst.rows, tmp_path / "缴费提醒.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == sms.SMS_COLUMNS == ("电话", "姓名", "短信内容", "字数", "是否超长")
    names = [r[1] for r in rows[1:]]
    assert names == ["'=1+2", "李四"]  # only registered, unpaid, in scope
    for phone, _name, text, length, flag in rows[1:]:
        assert phone == "13812341234"
        sent = text[1:] if text.startswith("'") else text  # 字数 counts the SMS, not the neutralising quote
        assert int(length) == len(sent) and flag == ("是" if len(sent) > 70 else "否")
        assert "2020年度" in text and "【沅江市人社局】" in text
    assert rows[2][2].startswith("李四您好")
    # the formula text also starts the SMS body: neutralised there too
    assert rows[1][2].startswith("'=1+2您好")


def test_csv_read_by_excel_style_reader_keeps_text(tmp_path):
    """A second reader: pandas with utf-8-sig sees the Chinese headers and the quoted values."""
    lst = sms.payment_reminders(frame(person("@张三")), AS_OF, BUILTIN_DIR / SMS_PAYMENT)
    out = sms.write_sms_csv(lst.rows, tmp_path / "a.csv")
    df = pd.read_csv(out, encoding="utf-8-sig", dtype=str)
    assert list(df.columns) == list(sms.SMS_COLUMNS)
    assert df.loc[0, "姓名"] == "'@张三" and df.loc[0, "电话"] == "13812341234"


def test_long_text_is_flagged_not_split(tmp_path):
    tpl = tmp_path / "长.txt"
    tpl.write_text("{{ name }}" + "长" * 70, encoding="utf-8")
    lst = sms.payment_reminders(frame(person("张三")), AS_OF, tpl)
    assert lst.rows[0].length == 72 and lst.rows[0].too_long and lst.too_long == 1
    with sms.write_sms_csv(lst.rows, tmp_path / "a.csv").open(encoding="utf-8-sig") as fh:
        row = list(csv.reader(fh))[1]
    assert row[3:] == ["72", "是"]


def test_builtin_sms_texts_fit_one_sms_for_a_three_character_name():
    lst = sms.payment_reminders(frame(person("欧阳明华")), AS_OF, BUILTIN_DIR / SMS_PAYMENT)
    assert not lst.rows[0].too_long, lst.rows[0].text
    p = person("欧阳明华", born=dt.date(1960, 11, 15), registered=False)
    for reg in (True, False):
        p["registered"] = reg
        t60 = sms.turning60_reminders(frame(p), AS_OF, BUILTIN_DIR / SMS_TURNING60)
        assert len(t60.rows) == 1 and not t60.rows[0].too_long, t60.rows[0].text
        assert "2020年11月15日" in t60.rows[0].text and "草尾镇" in t60.rows[0].text


def test_people_without_mobile_are_left_out_and_counted():
    people = frame(person("甲", phone="0737-2221234"), person("乙", phone=""), person("丙", phone="0737-2221234/13912345678"))
    lst = sms.payment_reminders(people, AS_OF, BUILTIN_DIR / SMS_PAYMENT)
    assert [r.name for r in lst.rows] == ["丙"] and lst.rows[0].phone == "13912345678"
    assert lst.no_mobile == 2


def test_same_id_listed_twice_gets_one_sms():
    p = person("张三", pid="430981197001010011")
    lst = sms.payment_reminders(frame(p, dict(p, unit="琼湖街道")), AS_OF, BUILTIN_DIR / SMS_PAYMENT)
    assert len(lst.rows) == 1 and lst.duplicates == 1


@pytest.mark.parametrize("born, months, hit", [
    (dt.date(1960, 10, 1), 3, True),     # turns 60 the day after the as-of date
    (dt.date(1960, 12, 30), 3, True),    # last day of the window (2020-12-30)
    (dt.date(1960, 12, 31), 3, False),   # one day too late
    (dt.date(1960, 9, 30), 3, False),    # turns 60 on the as-of date: already 60
    (dt.date(1955, 1, 1), 3, False),     # long past 60
    (dt.date(1961, 3, 1), 6, True),      # --months 6
    (dt.date(1961, 3, 1), 3, False),
])
def test_turning_60_window(born, months, hit):
    got = cx.turning_60(frame(person(born=born)), AS_OF, months)
    assert (len(got) == 1) is hit


def test_turning_60_only_in_scope_people():
    people = frame(person("甲", born=dt.date(1960, 11, 1)), person("乙", born=dt.date(1960, 11, 1), category="deceased"))
    assert list(cx.turning_60(people, AS_OF)["name"]) == ["甲"]


def test_leap_day_birthday_turns_60_on_28_february():
    assert cx.birthday(dt.date(1960, 2, 29), 60) == dt.date(2020, 2, 29)
    assert cx.birthday(dt.date(1964, 2, 29), 61) == dt.date(2025, 2, 28)


def test_add_months_clamps_to_month_end():
    assert cx.add_months(dt.date(2020, 8, 31), 1) == dt.date(2020, 9, 30)
    assert cx.add_months(dt.date(2020, 11, 30), 3) == dt.date(2021, 2, 28)


def test_excel_shows_the_csv_name_as_text(tmp_path):
    """openpyxl cannot open CSV; check instead that a formula-like cell written to xlsx by our
    neutraliser is stored as a string (what Excel does with a leading apostrophe)."""
    wb = openpyxl.Workbook()
    wb.active["A1"] = csv_field("=1+2")
    wb.save(tmp_path / "a.xlsx")
    cell = openpyxl.load_workbook(tmp_path / "a.xlsx").active["A1"]
    assert cell.data_type == "s" and cell.value == "'=1+2"
