"""Synthetic, obviously fictitious unit submissions: for the demo, the tests and the benchmarks.

Deterministic for a seed. People get valid ID numbers with the address codes real residents carry
(430981 since 1994, 432302 for 1988–1993, 432323 before, and other places), categories in plausible
proportions, willingness, phones and village addresses. ``plant_errors`` puts known mistakes on known
rows and returns them, so a test can assert that the validator finds exactly those.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coverage_xl import idcard
from coverage_xl.layout import ANNEX3, REASON_KEYS
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


def make_id(born: dt.date, rng: random.Random, code: str | None = None) -> str:
    seq = f"{rng.randrange(0, 1000):03d}"
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
        pid = make_id(born, rng)
        while pid in taken or pid[:17] in taken:
            pid = make_id(born, rng)
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
