"""The 14 units of the campaign (Annex 1): names, codes, tasks and 户籍人口数.

Defined once in ``data/units.csv`` and read by everything that needs a unit: the reader (to
recognise which unit a workbook belongs to), the consolidator (Annex 1 order), the templates and
the progress tables. 户籍人口数 is an input the bureau enters; it is blank until they do, and is
never invented.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

CITY_NAME = "沅江市"
CITY_CODE = "430981"
CITY_TASK_TOTAL = 120087


@dataclass(frozen=True)
class Unit:
    """One town, street or reed farm with its Annex 1 task."""

    order: int
    name: str
    code: str  # 9-digit statistics division code, e.g. 430981114
    task: int  # 需核实参保任务数 (Annex 1)
    population: int | None  # 户籍人口数, entered by the bureau; None when unknown
    kind: str  # 镇 / 街道 / 芦苇场

    @property
    def full_name(self) -> str:
        """The 行政区划 text of Annex 4/5: 沅江市草尾镇."""
        return f"{CITY_NAME}{self.name}"

    @property
    def codes(self) -> tuple[str, str]:
        """Codes a unit's sheet may carry in 行政代码: the city's 430981 or the unit's own."""
        return (CITY_CODE, self.code)


def _parse_units(text: str) -> tuple[Unit, ...]:
    rows = csv.DictReader(text.splitlines())
    units = []
    for r in rows:
        pop = (r.get("population") or "").strip()
        units.append(
            Unit(
                order=int(r["order"]),
                name=r["name"].strip(),
                code=r["code"].strip(),
                task=int(r["task"]),
                population=int(pop) if pop else None,
                kind=r["kind"].strip(),
            )
        )
    return tuple(sorted(units, key=lambda u: u.order))


@cache
def default_units() -> tuple[Unit, ...]:
    """The 14 units in Annex 1 order, from the packaged data file."""
    text = resources.files("coverage_xl").joinpath("data/units.csv").read_text(encoding="utf-8")
    units = _parse_units(text)
    assert sum(u.task for u in units) == CITY_TASK_TOTAL, "Annex 1 tasks must add up to 120087"
    return units


_SPACES = re.compile(r"\s+")


def find_unit(text: object, units: tuple[Unit, ...] | None = None) -> Unit | None:
    """Recognise a unit from a name, a full name, a 9-digit code or free text containing the name.

    Accepts "草尾镇", "沅江市草尾镇", "430981114", "填报单位：草尾镇人民政府", "草尾" (unique prefix).
    Returns None when nothing or more than one unit matches.
    """
    if text is None:
        return None
    s = _SPACES.sub("", str(text))
    if not s:
        return None
    units = units or default_units()
    for u in units:
        if s == u.code:
            return u
    hits = [u for u in units if u.name in s]
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:  # e.g. "南洞庭芦苇场" also contains nothing else, but be safe: longest name wins
        hits.sort(key=lambda u: len(u.name), reverse=True)
        return hits[0] if len(hits[0].name) > len(hits[1].name) else None
    # a short form such as "草尾" or "琼湖" (unit name without its 镇/街道/芦苇场 suffix)
    short = [u for u in units if len(u.name) > len(u.kind) and u.name[: -len(u.kind)] in s]
    return short[0] if len(short) == 1 else None


def unit_by_name(name: str, units: tuple[Unit, ...] | None = None) -> Unit:
    """Exact lookup by name; KeyError when unknown."""
    for u in units or default_units():
        if u.name == name:
            return u
    raise KeyError(name)
