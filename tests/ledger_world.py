"""A small campaign built as real files for the ledger tests: the province's list in two parts,
three units' Annex 3 workbooks, registration and payment exports, and (week 2) the towns' returned
follow-up lists filled in as a clerk would. Every person is planted for one status or flag, and the
truth is written next to them, so the tests compare the ledger with an independent expectation.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

from coverage_xl.synth import Person, make_id, write_unit_workbook
from coverage_xl.units import unit_by_name

A, B, C = "草尾镇", "琼湖街道", "南嘴镇"
AS_OF_1 = dt.date(2020, 9, 4)
AS_OF_2 = dt.date(2020, 9, 11)


@dataclass
class Planted:
    key: str  # test name of the person
    id: str
    name: str
    list_unit: str | None  # None: not on the list
    list_by_address: bool = False  # on the list part that has only an address column
    survey: list[tuple[str, str]] = field(default_factory=list)  # (unit, category spec) per survey row
    willing: str | None = "是"
    registered: bool = False
    paid: bool = False
    reg_status: str = "正常参保"
    payment: tuple[object, str] = (2020, "2020-08-15")  # (缴费年度, 缴费日期)


def _id(n: int) -> str:
    rng = random.Random(n)
    return make_id(dt.date(1960 + n % 30, 1 + n % 12, 1 + n % 28), rng, code="430981")


PEOPLE: list[Planted] = [
    Planted("paid", "", "甲一", A, survey=[(A, "in_scope")], registered=True, paid=True),
    Planted("reg_unpaid", "", "甲二", A, survey=[(A, "in_scope")], registered=True),
    Planted("pending", "", "甲三", A, survey=[(A, "in_scope")]),
    Planted("blank_willing", "", "甲四", A, survey=[(A, "in_scope")], willing=None),
    Planted("refused", "", "甲五", A, survey=[(A, "in_scope")], willing="否"),
    Planted("student", "", "甲六", A, survey=[(A, "student")], willing=None),
    Planted("dup_insurance", "", "甲七", A, survey=[(A, "prov_enterprise")], willing=None, registered=True),
    Planted("conflict", "", "甲八", A, survey=[(A, "conflict")], willing=None),
    Planted("not_surveyed", "", "甲九", A, list_by_address=True),
    Planted("list_paid", "", "乙一", B, registered=True, paid=True),
    Planted("off_list", "", "乙二", None, survey=[(B, "in_scope")]),
    Planted("cross", "", "乙三", A, survey=[(A, "in_scope"), (B, "in_scope")]),
    Planted("unreachable", "", "丙一", C, survey=[(C, "in_scope")]),
    Planted("untraced", "", "丙二", C, survey=[(C, "in_scope")]),
    Planted("twice_in_unit", "", "丙三", C, survey=[(C, "in_scope"), (C, "in_scope")]),
    Planted("paid_not_registered", "", "丙四", C, survey=[(C, "in_scope")], paid=True),
    Planted("drawing", "", "乙四", B, registered=True, reg_status="待遇领取"),
    Planted("terminated", "", "甲十", A, survey=[(A, "in_scope")], registered=True, reg_status="终止参保"),
    Planted("late_payment", "", "丙五", C, survey=[(C, "in_scope")], registered=True, paid=True,
            payment=(2015, "2020-08-01")),  # 补缴 of 2015 paid this year: counts
    Planted("old_late_payment", "", "丙六", C, survey=[(C, "in_scope")], registered=True, paid=True,
            payment=(2015, "2019-12-01")),  # paid last year: does not
]
for _n, _p in enumerate(PEOPLE, start=1):
    _p.id = _id(_n)
BY_KEY = {p.key: p for p in PEOPLE}


def _row(p: Planted, unit: str, spec: str) -> Person:
    v: dict[str, object] = {"code": "430981", "region": unit, "name": p.name, "id": p.id,
                            "birth": f"{p.id[6:10]}.{p.id[10:12]}", "address": f"沅江市{unit}新华村{len(p.name)}组",
                            "phone": "13800000000"}
    if spec == "conflict":
        v["in_scope"] = "√"
        v["student"] = "√"
    else:
        v[spec] = "√"
    if spec == "in_scope" and p.willing:
        v["willing"] = p.willing
    return Person(v, spec if spec != "conflict" else None, p.willing)


def write_list(folder: Path) -> list[Path]:
    """Two parts: one with a title row and a 乡镇（街道） column, one with only an address column."""
    folder.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "核实名单"
    ws.append(["2020年城乡居保全覆盖需核实人员名单（虚构）"])
    ws.append(["序号", "姓名", "公民身份号码", "乡镇（街道）", "户籍地址"])
    n = 0
    for p in PEOPLE:
        if p.list_unit and not p.list_by_address:
            n += 1
            ws.append([n, p.name, p.id, p.list_unit, f"沅江市{p.list_unit}新华村1组"])
    for c in ws["C"]:
        c.number_format = "@"
    part1 = folder / "省下发核实名单_一.xlsx"
    wb.save(part1)
    part2 = folder / "省下发核实名单_二.csv"
    with part2.open("w", encoding="gb18030", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["姓名", "身份证号码", "户籍地址"])
        for p in PEOPLE:
            if p.list_unit and p.list_by_address:
                w.writerow([p.name, p.id, f"湖南省沅江市{p.list_unit}胜利村3组"])
    return [part1, part2]


def write_surveys(folder: Path, extra: dict[str, list[tuple[Planted, str]]] | None = None) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    rows: dict[str, list[Person]] = {A: [], B: [], C: []}
    for p in PEOPLE:
        for unit, spec in p.survey:
            rows[unit].append(_row(p, unit, spec))
    for unit, more in (extra or {}).items():
        rows[unit].extend(_row(p, unit, spec) for p, spec in more)
    for unit, people in rows.items():
        write_unit_workbook(folder / f"{unit}_摸底明细表.xlsx", unit_by_name(unit), people, day=AS_OF_1)
    return folder


def write_exports(folder: Path, registered: set[str], paid: set[str], tag: str) -> tuple[Path, Path]:
    """Registrations as xlsx (sheet 参保登记), payments as a GBK CSV, as the two systems export them."""
    folder.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "参保登记"
    ws.append(["序号", "姓名", "公民身份号码", "参保状态"])
    for i, p in enumerate(p for p in PEOPLE if p.id in registered):
        ws.append([i + 1, p.name, p.id, p.reg_status])
    reg = folder / f"参保登记_{tag}.xlsx"
    wb.save(reg)
    pay = folder / f"缴费明细_{tag}.csv"
    with pay.open("w", encoding="gb18030", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["身份证号码", "姓名", "缴费年度", "缴费金额", "缴费日期"])
        for p in PEOPLE:
            if p.id in paid:
                w.writerow([p.id, p.name, *p.payment[:1], 300, p.payment[1]])
    return reg, pay


def week1_facts() -> tuple[set[str], set[str]]:
    return ({p.id for p in PEOPLE if p.registered}, {p.id for p in PEOPLE if p.paid})


def fill_return(path: Path, entries: dict[str, dict[str, object]]) -> dict[str, list[tuple[str, int, dict[str, int]]]]:
    """Fill the follow-up columns of a unit's list by ID, as a town clerk does, and save it.

    Returns, per ID filled in, where it was written: (sheet, Excel row, header -> column number)."""
    wb = openpyxl.load_workbook(path)
    where: dict[str, list[tuple[str, int, dict[str, int]]]] = {}
    for ws in wb.worksheets:
        header = {c.value: c.column for c in ws[3] if c.value}
        for r in range(4, ws.max_row + 1):
            pid = ws.cell(r, header["身份证号码"]).value
            if pid in entries:
                where.setdefault(pid, []).append((ws.title, r, header))
            for col, value in entries.get(pid, {}).items():
                ws.cell(r, header[col], value)
    wb.save(path)
    return where
