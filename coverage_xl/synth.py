"""Synthetic, obviously fictitious unit submissions: for the demo, the tests and the benchmarks.

Deterministic for a seed. People get valid ID numbers with the address codes real residents carry
(430981 since 1994, 432302 for 1988–1993, 432323 before, and other places), categories in plausible
proportions, willingness, phones and village addresses. ``plant_errors`` puts known mistakes on known
rows and returns them, so a test can assert that the validator finds exactly those.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coverage_xl import idcard
from coverage_xl.layout import ANNEX3, REASON_KEYS
from coverage_xl.libreoffice import convert_with_libreoffice, soffice_binary
from coverage_xl.units import CITY_CODE, Unit, default_units

SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜谢邹喻柏水窦章云苏潘葛范彭郎鲁韦马苗方俞任袁柳唐罗薛伍余米贝姚孟顾尹汤易龚黎"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华兰红玉梅建国志春林海燕小云飞鹏辉晶莉"
VILLAGES = ("新华村", "胜利村", "东风村", "红旗村", "光明村", "民主村", "和平村", "幸福村", "向阳村", "团结村")
OTHER_CODES = ("430902", "430903", "430921", "430103", "440304", "420106")
# Share of each category among surveyed people (in scope first, then the reasons in Annex 3 order).
CATEGORY_WEIGHTS = {"in_scope": 60, "prov_enterprise": 12, "prov_institution": 3, "other_province": 5,
                    "statutory": 2, "student": 9, "military": 1, "prisoner": 1, "emigrated": 1,
                    "deceased": 3, "other": 3}
OTHER_TEXTS = ("长期外出失联", "重度残疾已享受其他保障", "户籍已迁出未注销", "人户分离联系不上")
FICTITIOUS_MARK = "（虚构）"


def _address_code(born: dt.date, rng: random.Random) -> str:
    if rng.random() < 0.08:
        return rng.choice(OTHER_CODES)
    if born.year < 1988:
        return rng.choice(("432323", "432323", CITY_CODE))  # many were re-registered later
    if born.year < 1994:
        return rng.choice(("432302", CITY_CODE))
    return CITY_CODE


UNIT_SEQ_SLOTS = 14  # sequence numbers are split by unit so two units never draw the same ID by chance


def make_id(born: dt.date, rng: random.Random, code: str | None = None, slot: int | None = None) -> str:
    """A valid ID; with ``slot`` (0–13) the sequence number is one of that unit's (seq % 14 == slot)."""
    if slot is None:
        seq = f"{rng.randrange(0, 1000):03d}"
    else:
        seq = f"{slot + UNIT_SEQ_SLOTS * rng.randrange(0, 1000 // UNIT_SEQ_SLOTS):03d}"
    body = (code or _address_code(born, rng)) + born.strftime("%Y%m%d") + seq
    return body + idcard.check_character(body)


@dataclass
class Person:
    """One synthetic row, by Annex 3 field key, with the truth a test checks against."""

    values: dict[str, Any]
    category: str | None
    willing: str | None
    planted: list[str] = field(default_factory=list)


def make_people(unit: Unit, n: int, *, seed: int = 0, as_of: dt.date = dt.date(2020, 9, 30),
                taken: set[str] | None = None) -> list[Person]:
    """``n`` people of ``unit``; IDs are unique within ``taken`` (pass one set across units so that
    the only cross-unit duplicates are the ones a test plants)."""
    rng = random.Random(f"{seed}:{unit.code}:{n}")
    taken = set() if taken is None else taken
    cats = list(CATEGORY_WEIGHTS)
    weights = list(CATEGORY_WEIGHTS.values())
    people: list[Person] = []
    for _ in range(n):
        cat = rng.choices(cats, weights)[0]
        if cat == "student":
            age = rng.randint(16, 24)
        elif cat == "military":
            age = rng.randint(18, 30)
        else:
            age = rng.randint(16, 85) if cat != "in_scope" else rng.randint(16, 70)
        born = as_of - dt.timedelta(days=age * 365 + rng.randint(30, 330))
        slot = (unit.order - 1) % UNIT_SEQ_SLOTS
        pid = make_id(born, rng, slot=slot)
        while pid in taken or pid[:17] in taken:
            pid = make_id(born, rng, slot=slot)
        taken.add(pid)
        taken.add(pid[:17])  # a planted checksum error must not collide with someone else either
        village = rng.choice(VILLAGES)
        v: dict[str, Any] = {
            "code": rng.choice((CITY_CODE, CITY_CODE, unit.code)),
            "region": unit.name,
            "name": rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
            "id": pid,
            "birth": f"{born.year}.{born.month:02d}",
            "address": f"沅江市{unit.name}{village}{rng.randint(1, 12)}组",
            "phone": "1" + rng.choice("3589") + "".join(str(rng.randrange(10)) for _ in range(9)),
        }
        willing = None
        if cat == "in_scope":
            v["in_scope"] = "√"
            willing = "是" if rng.random() < 0.85 else "否"
            v["willing"] = willing
        elif cat == "other":
            v["other"] = rng.choice(OTHER_TEXTS)
        else:
            v[cat] = "√"
        if cat == "deceased":
            v.pop("phone")
        people.append(Person(v, cat, willing))
    return people


PLANTS = ("id.checksum", "id.numeric", "id.format", "category.none", "category.conflict", "willing.missing",
          "phone.format", "birth.mismatch", "name.missing", "id.duplicate")


def plant_errors(people: list[Person], count: int, *, seed: int = 0, kinds: Iterable[str] = PLANTS) -> list[tuple[int, str]]:
    """Plant ``count`` known mistakes; returns (index in people, code). Category plants make the
    person uncounted (category None), as the consolidator must treat them."""
    rng = random.Random(f"plant:{seed}:{len(people)}")
    kinds = list(kinds)
    planted: list[tuple[int, str]] = []
    candidates = list(range(len(people)))
    rng.shuffle(candidates)
    used: set[int] = set()
    for k in range(min(count, len(candidates) // 2)):
        code = kinds[k % len(kinds)]
        i = next(j for j in candidates if j not in used)
        used.add(i)
        p = people[i]
        v = p.values
        if code == "id.checksum":
            last = v["id"][-1]
            v["id"] = v["id"][:-1] + ("0" if last != "0" else "1")
        elif code == "id.numeric":
            v["id"] = float(v["id"][:17] + "0") if v["id"][-1] == "X" else float(v["id"])
        elif code == "id.format":
            v["id"] = v["id"][:-2]
        elif code == "category.none":
            for key in ("in_scope", *REASON_KEYS, "willing"):
                v.pop(key, None)
            p.category, p.willing = None, None
        elif code == "category.conflict":
            v["in_scope"] = "√"
            v["student" if p.category != "student" else "military"] = "√"
            v.pop("willing", None)
            p.category, p.willing = None, None
        elif code == "willing.missing":
            if p.category != "in_scope":
                for key in REASON_KEYS:
                    v.pop(key, None)
                v["in_scope"] = "√"
                p.category = "in_scope"
            v.pop("willing", None)
            p.willing = None
            # a child cannot be in scope: keep the person an adult so only this finding appears
            if idcard.age_on(idcard.birth_date(v["id"]), dt.date(2020, 9, 30)) < 16:
                continue
        elif code == "phone.format":
            v["phone"] = "1380000"
        elif code == "birth.mismatch":
            y, m = v["birth"].split(".")
            v["birth"] = f"{int(y) - 1}.{m}"
        elif code == "name.missing":
            v.pop("name")
        elif code == "id.duplicate":
            j = next(j for j in candidates if j not in used)
            used.add(j)
            people[j].values["id"] = v["id"]
            people[j].values["birth"] = v["birth"]
            people[j].planted.append(code)
            planted.append((j, code))
        p.planted.append(code)
        planted.append((i, code))
    return planted


def write_unit_workbook(path: str | Path, unit: Unit, people: list[Person], *, day: dt.date | None = None,
                        fast: bool = False, with_instructions: bool = False) -> Path:
    """Write a unit's submission as the towns do: the Annex 3 sheet (styled, or plain when ``fast``
    for benchmark-size corpora), optionally after an instructions sheet."""
    import openpyxl

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fast:
        from coverage_xl.layout import ANNEX_LABEL, leaf_headers

        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet(ANNEX3.sheet_name)
        ws.append([ANNEX_LABEL.format(annex=3), ANNEX3.title])
        ws.append([f"填报单位：{unit.name}"])
        leaves = leaf_headers(ANNEX3)
        top = [leaves[n] if not 8 <= n <= 17 else ("不属于城乡居保覆盖范围（√）" if n == 8 else None) for n in range(1, 21)]
        ws.append(top)
        ws.append([None if not 8 <= n <= 17 else leaves[n] for n in range(1, 21)])
        ws.append(list(range(1, 21)))
        keys = ANNEX3.keys
        for p in people:
            ws.append([p.values.get(k) for k in keys])
        ws.append(["合计"])
        wb.save(path)
        return path
    from coverage_xl.sheets.annex3 import write_annex3

    wb = openpyxl.Workbook()
    ws = wb.active
    if with_instructions:
        info = ws
        info.title = "填表说明"
        info["A1"] = "本表为虚构示例数据，仅用于演示和测试。"
        ws = wb.create_sheet(ANNEX3.sheet_name)
    write_annex3(ws, unit, (p.values for p in people), day=day, reporter=f"示例填报人{FICTITIOUS_MARK}")
    wb.save(path)
    return path


def sample_sizes(total: int, units: tuple[Unit, ...] | None = None) -> dict[str, int]:
    """Rows per unit in proportion to the Annex 1 tasks, adding up to ``total`` exactly."""
    units = units or default_units()
    task_sum = sum(u.task for u in units)
    sizes = {u.name: max(1, u.task * total // task_sum) for u in units}
    short = total - sum(sizes.values())
    for u in sorted(units, key=lambda u: -u.task)[: max(short, 0)]:
        sizes[u.name] += 1
    return sizes


def write_sample_folder(folder: str | Path, total: int = 600, *, seed: int = 2020, errors_per_unit: int = 2,
                        fast: bool = False, day: dt.date = dt.date(2020, 8, 31)) -> dict[str, list[Person]]:
    """Write one workbook per unit into ``folder``; returns the people written, by unit name."""
    folder = Path(folder)
    out: dict[str, list[Person]] = {}
    taken: set[str] = set()
    sizes = sample_sizes(total)
    for unit in default_units():
        people = make_people(unit, sizes[unit.name], seed=seed, taken=taken)
        if errors_per_unit:
            plant_errors(people, errors_per_unit, seed=seed + unit.order)
        write_unit_workbook(folder / f"{unit.name}_摸底明细表.xlsx", unit, people, day=day, fast=fast,
                            with_instructions=unit.order % 5 == 0)
        out[unit.name] = people
    return out


# --------------------------------------------------------------------------- the shipped sample

# Members converted by LibreOffice (unit name -> format), and the file whose name hides its unit.
LEGACY_FORMATS = {"新湾镇": "xls", "南洞庭芦苇场": "ods"}
ANONYMOUS_FILE = {"南嘴镇": "附件3_摸底明细表（8月31日报送）.xlsx"}
WITH_INSTRUCTIONS = ("漉湖芦苇场", "四季红镇")
CROSS_DUPLICATE = ("琼湖街道", "胭脂湖街道")  # the second reports a person of the first as well
SAMPLE_DAY = dt.date(2020, 8, 31)


@dataclass
class SampleUnit:
    """One generated submission and the truth behind it (Person.category / willing)."""

    unit: Unit
    path: Path
    people: list[Person]
    planted: list[tuple[int, str]]


def build_sample_folder(folder: str | Path, total: int = 600, *, seed: int = 2020, errors_per_unit: int = 2,
                        legacy_formats: bool = True, units: tuple[Unit, ...] | None = None,
                        skip: tuple[str, ...] = ()) -> dict[str, SampleUnit]:
    """Write the 14 submissions into ``folder`` (deterministic for ``seed``); return them by unit.

    Planted mistakes rotate through every kind in :data:`coverage_xl.synth.PLANTS` across units, so
    the folder has classification errors (not counted), ID and phone errors (counted) and missing
    willingness. ``legacy_formats`` converts the members in :data:`LEGACY_FORMATS` when LibreOffice is
    available (otherwise they stay .xlsx). ``skip`` leaves units out (a missing submission).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    units = units or default_units()
    sizes = sample_sizes(total, units)
    out: dict[str, SampleUnit] = {}
    for unit in units:
        people = make_people(unit, sizes[unit.name], seed=seed)
        k = (unit.order * errors_per_unit) % len(PLANTS)
        kinds = PLANTS[k:] + PLANTS[:k]
        planted = plant_errors(people, errors_per_unit, seed=seed + unit.order, kinds=kinds) if errors_per_unit else []
        out[unit.name] = SampleUnit(unit, folder / ANONYMOUS_FILE.get(unit.name, f"{unit.name}_摸底明细表.xlsx"),
                                    people, planted)
    a, b = (out.get(n) for n in CROSS_DUPLICATE)
    if a and b:
        src = next(p for p in a.people if not p.planted and p.category is not None)
        dst = next(p for p in b.people if not p.planted and p.category is not None)
        dst.values["id"], dst.values["birth"] = src.values["id"], src.values["birth"]
        dst.planted.append("id.duplicate_cross_unit")
    have_lo = legacy_formats and soffice_binary() is not None
    for name, su in out.items():
        if name in skip:
            continue
        write_unit_workbook(su.path, su.unit, su.people, day=SAMPLE_DAY, with_instructions=name in WITH_INSTRUCTIONS)
        if have_lo and name in LEGACY_FORMATS:
            with tempfile.TemporaryDirectory(prefix="cxl-conv-") as tmp:
                converted = convert_with_libreoffice(su.path, LEGACY_FORMATS[name], Path(tmp))
                target = su.path.with_suffix(converted.suffix)
                shutil.move(str(converted), target)
            su.path.unlink()
            su.path = target
    return {n: su for n, su in out.items() if n not in skip}


# --------------------------------------------------------------------------- registration / payment exports

EXPORT_STRANGERS = 0.06  # share of export rows for people not in the survey (moved away, other counties)
REGISTRATIONS_FILE = "参保登记.xlsx"
PAYMENTS_FILE = "缴费明细.csv"


def _stranger_ids(n: int, rng: random.Random) -> list[str]:
    out = []
    for _ in range(n):
        born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 50))
        out.append(make_id(born, rng, code=rng.choice(OTHER_CODES)))
    return out


def write_sample_exports(folder: str | Path, in_scope: list[str], n_registrations: int, n_payments: int, *,
                         seed: int = 2020, year: int = 2020, fast: bool = False) -> dict[str, Path]:
    """Registration and payment exports keyed by ID, as the pension system and the tax bureau give them.

    Mostly surveyed in-scope people, some strangers, a few IDs typed in lower case or with spaces,
    payments for the previous year and zero amounts that must not count. The registrations are an
    .xlsx (sheet 参保登记, ID under 公民身份号码); the payments a GBK-encoded CSV (ID under
    身份证号码) as tax systems export them."""
    import csv

    import openpyxl

    folder = Path(folder)
    rng = random.Random(f"exports:{seed}:{n_registrations}:{n_payments}")
    known = min(len(in_scope), round(n_registrations * (1 - EXPORT_STRANGERS)))
    registered = rng.sample(sorted(in_scope), known) + _stranger_ids(n_registrations - known, rng)
    rng.shuffle(registered)
    folder.mkdir(parents=True, exist_ok=True)

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("参保登记")
    ws.append(["序号", "姓名", "公民身份号码", "参保状态", "登记日期"])
    for i, pid in enumerate(registered, 1):
        shown = pid.lower() if pid.endswith("X") and i % 7 == 0 else (f"{pid[:6]} {pid[6:]}" if i % 53 == 0 else pid)
        ws.append([i, f"虚构{i}", shown, "正常参保", f"{year}-{rng.randint(1, 9):02d}-{rng.randint(1, 28):02d}"])
    reg_path = folder / REGISTRATIONS_FILE
    wb.save(reg_path)

    payers = rng.sample(registered, min(n_payments, len(registered)))
    pay_path = folder / PAYMENTS_FILE
    with pay_path.open("w", encoding="gb18030", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["身份证号码", "姓名", "缴费年度", "缴费金额", "缴费日期"])
        for i, pid in enumerate(payers, 1):
            paid_year = year - 1 if i % 41 == 0 else year
            amount = 0 if i % 97 == 0 else rng.choice((200, 300, 500, 1000, 2000))
            w.writerow([pid, f"虚构{i}", paid_year, amount, f"{paid_year}-{rng.randint(1, 9):02d}-{rng.randint(1, 28):02d}"])
    return {"registrations": reg_path, "payments": pay_path}


# Registration statuses of the campaign exports, with weights: every spelling of the vocabulary
# (data/registration_statuses.csv), a blank and one status the vocabulary does not know.
CAMPAIGN_STATUSES = (("正常参保", 820), ("暂停缴费", 40), ("待遇领取", 45), ("领取待遇", 15), ("终止参保", 25),
                     ("参保终止", 10), ("注销", 20), ("已注销", 10), ("退休", 5), ("", 10))
# Payment cases of a registered person not drawing a pension: (缴费类型, years back paid for,
# paid in an earlier year, amount), weights. 'None' = no payment row.
CAMPAIGN_PAYMENTS = ((("正常缴费", 0, False, None), 600), (("补缴", 3, False, None), 50), (("补缴", 2, True, None), 30),
                     (("代缴", 0, False, 100), 50), (("正常缴费", 0, False, 0), 10), (None, 260))
CAMPAIGN_AMOUNTS = (200, 300, 500, 1000, 2000)


def write_campaign_exports(folder: str | Path, in_scope: list[str], employees: list[str], *, seed: int = 2020,
                           year: int = 2020) -> dict[str, Path]:
    """Exports for a full-size demo that hold every case of the counting contract (issue 13).

    Registrations (.xlsx, 参保状态 with every status spelling, a blank and an unknown status; some
    people with a terminated row and a live one) for ~80 % of the in-scope people, a share of the
    people surveyed as 职保 (重复参保) and some strangers. Payments (GBK CSV with 缴费类型, 缴费年度,
    缴费日期, 缴费金额): 正常缴费, 补缴 of earlier years paid this year and in an earlier year, 一次性补缴
    of the over-60s (15 years back, paid this year), 代缴, zero amounts, and people drawing a pension
    with and without a payment."""
    import csv

    import openpyxl

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"campaign:{seed}:{len(in_scope)}")
    statuses, s_weights = zip(*CAMPAIGN_STATUSES, strict=True)
    cases, c_weights = zip(*CAMPAIGN_PAYMENTS, strict=True)
    people = sorted(in_scope)
    registered = rng.sample(people, round(len(people) * 0.8))
    workers = rng.sample(sorted(employees), round(len(employees) * 0.05))
    strangers = _stranger_ids(round(len(registered) * EXPORT_STRANGERS), rng)
    reg_rows: list[tuple[str, str]] = []
    pay_rows: list[tuple[str, str, int, str, int]] = []

    def day(y: int) -> str:
        return f"{y}-{rng.randint(1, 9):02d}-{rng.randint(1, 28):02d}"

    for pid in registered + strangers:
        status = rng.choices(statuses, s_weights)[0]
        if rng.random() < 0.03:
            reg_rows.append((pid, "已注销"))  # an old, terminated registration before the live one
        reg_rows.append((pid, status))
        born = int(pid[6:10])
        drawing = status in ("待遇领取", "领取待遇")
        if drawing:
            if rng.random() < 0.3:
                pay_rows.append((pid, "正常缴费", year, day(year), rng.choice(CAMPAIGN_AMOUNTS)))
            continue
        if year - born >= 60 and rng.random() < 0.5:  # joins at 60+ by paying 15 years at once
            pay_rows.append((pid, "一次性补缴", year - 15, day(year), 15 * rng.choice(CAMPAIGN_AMOUNTS)))
            continue
        case = rng.choices(cases, c_weights)[0]
        if case is None:
            continue
        kind, back, earlier, amount = case
        paid_in = year - 1 if earlier else year
        pay_rows.append((pid, kind, year - back, day(paid_in),
                         rng.choice(CAMPAIGN_AMOUNTS) if amount is None else amount))
    for pid in workers:
        reg_rows.append((pid, "正常参保"))
    rng.shuffle(reg_rows)
    rng.shuffle(pay_rows)

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("参保登记")
    ws.append(["序号", "姓名", "公民身份号码", "参保状态", "登记日期"])
    for i, (pid, status) in enumerate(reg_rows, 1):
        ws.append([i, f"虚构{i}", pid, status, day(year - rng.randint(0, 8))])
    reg_path = folder / REGISTRATIONS_FILE
    wb.save(reg_path)
    pay_path = folder / PAYMENTS_FILE
    with pay_path.open("w", encoding="gb18030", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["身份证号码", "姓名", "缴费类型", "缴费年度", "缴费日期", "缴费金额"])
        for i, (pid, kind, paid_for, when, amount) in enumerate(pay_rows, 1):
            w.writerow([pid, f"虚构{i}", kind, paid_for, when, amount])
    return {"registrations": reg_path, "payments": pay_path}
