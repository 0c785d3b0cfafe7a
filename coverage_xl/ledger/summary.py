"""Per-unit counts of the ledger: the ``--json`` summary, 台账汇总 and the week-over-week table.

A unit's counts cover its own survey rows (a person surveyed in two units counts in each; twice in
one unit counts once) plus the people the list assigns to it that no unit surveyed. Each person is
counted under their one status. ``list_total`` is the number of people the province's list assigns
to the unit, surveyed or not. ``total`` adds the unit rows up (as the 合计 row of every annex does),
so a cross-unit duplicate is in it twice; ``unique_people`` counts each person once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from coverage_xl.ledger.statuses import FLAG_CODES, StatusBook
from coverage_xl.units import Unit

UNKNOWN_UNIT = "（未识别单位）"
SETTLED = "settled"
LIST_TOTAL = "list_total"


def measures(book: StatusBook) -> list[str]:
    """The counted measures in column order: statuses, flags, settled, list_total."""
    return [*book.codes, *FLAG_CODES, SETTLED, LIST_TOTAL]


def unit_counts(people: pd.DataFrame, memberships: pd.DataFrame, list_units: pd.Series, book: StatusBook,
                units: tuple[Unit, ...]) -> dict[str, dict[str, int]]:
    """unit name -> measure -> count, for the 14 units in Annex 1 order (always present, zeros
    included) and, when anyone has no recognised unit, :data:`UNKNOWN_UNIT` last."""
    m = memberships.merge(people, on="id", how="left")
    m["unit"] = m["unit_x"].replace("", UNKNOWN_UNIT)
    names = [u.name for u in units]
    extra = sorted(set(m["unit"]) - set(names) - {UNKNOWN_UNIT})
    listed = list_units.replace("", UNKNOWN_UNIT).value_counts()
    if (m["unit"] == UNKNOWN_UNIT).any() or UNKNOWN_UNIT in listed.index:
        extra.append(UNKNOWN_UNIT)
    status_counts = m.groupby(["unit", "status"]).size()
    flag_counts = {f: m[m[f].astype(bool)].groupby("unit").size() for f in (*FLAG_CODES, SETTLED)}
    out: dict[str, dict[str, int]] = {}
    for name in names + extra:
        row: dict[str, int] = {}
        for code in book.codes:
            row[code] = int(status_counts.get((name, code), 0))
        for f in (*FLAG_CODES, SETTLED):
            row[f] = int(flag_counts[f].get(name, 0))
        row[LIST_TOTAL] = int(listed.get(name, 0))
        out[name] = row
    return out


def total_of(per_unit: dict[str, dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for row in per_unit.values():
        for k, v in row.items():
            total[k] = total.get(k, 0) + v
    return total


def json_summary(as_of: dt.date, per_unit: dict[str, dict[str, int]], unique_people: int, changes: int
                 ) -> dict[str, Any]:
    """The ``--json`` shape of issue 14 (used by scripts; keys are stable)."""
    return {"as_of": as_of.isoformat(), "units": per_unit, "total": total_of(per_unit),
            "unique_people": unique_people, "changes": changes}


def people_in_unit(per_unit_row: dict[str, int], book: StatusBook) -> int:
    """The people in a unit's ledger (the denominator of 销号率): the sum of its status counts."""
    return sum(per_unit_row[c] for c in book.codes)


def settled_rate(per_unit_row: dict[str, int], book: StatusBook) -> float:
    n = people_in_unit(per_unit_row, book)
    return per_unit_row[SETTLED] / n if n else float("nan")
