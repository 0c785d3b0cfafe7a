"""The documented context each notice template receives, built from the consolidated data.

Every value a template prints is a ready-to-print string (counts as plain integers like the annex
sheets, rates as ``85.23%``), so the Word templates hold no arithmetic and the figures are the ones
of the Annex 5 sheet of the same run. The keys are documented in docs/notices.md; the tests check
that every key listed there exists.

Personal data: bulletin and unit-notice contexts carry no ID number and no phone at all; per-person
contexts (statements, estimate letters, SMS rows) are built per unit by the caller so that a unit's
folder only ever holds its own people.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from coverage_xl.layout import IN_SCOPE, TOTAL_LABEL
from coverage_xl.mask import mask_id, mask_phone
from coverage_xl.notices.render import fmt_int, fmt_pct
from coverage_xl.progress import LAGGING, ON_TRACK
from coverage_xl.sheets.frame import chinese_date as _chinese_date
from coverage_xl.units import CITY_NAME, Unit, default_units
from coverage_xl.values import plain

ISSUER = "沅江市人力资源和社会保障局"
"""Who signs the bulletins and notices (the bureau that issued 沅人社发〔2020〕44号)."""

LEADERS_MAX = 3
"""How many units the bulletin praises (the best on-track units by coverage rate)."""


def chinese_date(day: dt.date | None) -> str:
    """2020年9月30日 (a blank form line when no date), as the bureau dates its documents."""
    return _chinese_date(day)


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months later, clamped to the month's last day (2020-08-31 + 1 -> 2020-09-30)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def common_context(as_of: dt.date) -> dict[str, Any]:
    """Keys every template receives: city, issuer, date (Chinese), year, month."""
    return {
        "city": CITY_NAME,
        "issuer": ISSUER,
        "date": chinese_date(as_of),
        "as_of": as_of.isoformat(),
        "year": str(as_of.year),
        "month": str(as_of.month),
    }


# ----------------------------------------------------------------------------------- unit figures

def _unit_name(text: Any, units: Sequence[Unit]) -> str:
    s = str(text or "")
    for u in units:
        if s in (u.name, u.full_name, u.code):
            return u.name
    hits = [u.name for u in units if u.name in s]
    return max(hits, key=len) if hits else s


def _is_total(row: Mapping[str, Any]) -> bool:
    return any(str(row.get(k) or "").strip() in (TOTAL_LABEL, CITY_NAME) for k in ("region", "unit"))


def unit_figures(annex5: pd.DataFrame, progress: pd.DataFrame, *,
                 units: Sequence[Unit] | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Per-unit figures (Annex 1 order, with ``rank`` by coverage rate) and the city total, raw.

    The Annex 5 columns (should_cover … payment_rate) come from ``annex5`` unchanged, so every
    document prints the dispatch table's own figures; task, share done, milestone, gap and status
    come from ``progress`` (:func:`coverage_xl.progress.build_progress`), never recomputed here.
    """
    units = tuple(units or default_units())
    by_name = {u.name: u for u in units}
    prog = {_unit_name(r.get("unit"), units): r for r in progress.to_dict("records") if not _is_total(r)}
    rows: list[dict[str, Any]] = []
    total: dict[str, Any] | None = None
    for index, series in annex5.iterrows():
        rec = series.to_dict()
        if index == TOTAL_LABEL or rec.get("code") == TOTAL_LABEL or _is_total(rec):
            total = rec
            continue
        name = index if index in by_name else _unit_name(rec.get("region") or rec.get("code"), units)
        unit = by_name.get(name)
        p = prog.get(name, {})
        row = {k: plain(rec.get(k)) for k in ANNEX5_FIGURES}
        row.update({k: plain(p.get(k)) for k in PROGRESS_FIGURES})
        row.update(name=name, full_name=unit.full_name if unit else name,
                   code=str(rec.get("code") or (unit.code if unit else "")),
                   order=unit.order if unit else len(rows) + 1,
                   status=str(p.get("status") or ""), progress_rank=plain(p.get("rank")))
        rows.append(row)
    rows.sort(key=lambda r: r["order"])
    if total is None:  # dispatch always writes 合计; tolerate a frame without it
        total = {k: sum(r[k] or 0 for r in rows) for k in ("should_cover", "registered", "paid", "unregistered")}
        total["coverage_rate"] = total["registered"] / total["should_cover"] if total["should_cover"] else None
        total["payment_rate"] = total["paid"] / total["registered"] if total["registered"] else None
    city = {k: plain(total.get(k)) for k in ANNEX5_FIGURES}
    city["task"] = sum(r["task"] or 0 for r in rows)
    city["done"] = sum(r["done"] or 0 for r in rows)
    city["done_share"] = city["done"] / city["task"] if city["task"] else None

    def key(r: dict[str, Any]) -> tuple[float, int]:
        rate = r["coverage_rate"]
        return (-(rate if isinstance(rate, int | float) else -1.0), r["order"])

    for rank, r in enumerate(sorted(rows, key=key), start=1):
        r["rank"] = rank
    return rows, city


ANNEX5_FIGURES = ("should_cover", "registered", "paid", "unregistered", "coverage_rate", "payment_rate")
PROGRESS_FIGURES = ("task", "surveyed", "done", "done_share", "milestone", "milestone_share", "due", "gap",
                    "next_milestone", "next_date", "next_gap")


def _fmt(key: str, value: Any) -> str:
    if value is None:
        return ""
    if key.endswith(("_rate", "done_share")):
        return fmt_pct(value)
    if key.endswith("_share"):
        return fmt_pct(value, 0)
    if isinstance(value, dt.date):
        return chinese_date(value)
    if isinstance(value, int | float):
        return fmt_int(value)
    return str(value)


def _fmt_unit(r: Mapping[str, Any]) -> dict[str, Any]:
    """Ready-to-print strings for one unit (what the templates see as ``u.*`` / ``unit.*``)."""
    out = {k: _fmt(k, r.get(k)) for k in (*ANNEX5_FIGURES, *PROGRESS_FIGURES)}
    share = r.get("done_share")
    over = isinstance(share, int | float) and share > 1
    out.update(rank=str(r["rank"]), name=r["name"], full_name=r["full_name"], code=r["code"],
               status=r["status"], lagging=r["status"] == LAGGING, over=over, over_mark="（超100%，请核对）" if over else "")
    return out


def progress_basis(progress: pd.DataFrame) -> dict[str, str]:
    """The progress definition the figures were made with (label and rule), for every document."""
    from coverage_xl.counting import PROGRESS_BASES, PROGRESS_NOTES, PROGRESS_REGISTERED

    key = PROGRESS_REGISTERED
    if "definition" in progress and len(progress) and progress["definition"].iloc[0] in PROGRESS_BASES:
        key = str(progress["definition"].iloc[0])
    return {"progress_basis": PROGRESS_BASES[key], "progress_note": PROGRESS_NOTES[key]}


def _milestone_context(rows: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    first = rows[0] if rows else {}
    return {
        "label": str(first.get("milestone") or "尚未到第一个时间节点"),
        "share": _fmt("milestone_share", first.get("milestone_share")) or "0%",
        "next_label": str(first.get("next_milestone") or ""),
        "next_date": _fmt("next_date", first.get("next_date")),
    }


def bulletin_context(annex5: pd.DataFrame, progress: pd.DataFrame, as_of: dt.date, *,
                     units: Sequence[Unit] | None = None) -> dict[str, Any]:
    """Context of 月度通报: city figures, all units ranked by coverage rate, leaders and laggards."""
    rows, city = unit_figures(annex5, progress, units=units)
    ranked = sorted(rows, key=lambda r: r["rank"])
    leaders = [r["name"] for r in ranked if r["status"] == ON_TRACK][:LEADERS_MAX]
    behind = [r["name"] for r in ranked if r["status"] == LAGGING]
    ctx = common_context(as_of)
    ctx.update({
        "period": f"{as_of.year}年{as_of.month}月",
        "total": {k: _fmt(k, v) for k, v in city.items()},
        "units": [_fmt_unit(r) for r in ranked],
        "unit_count": str(len(ranked)),
        "milestone": _milestone_context(rows),
        "leaders": leaders,
        "leaders_text": "、".join(leaders),
        "laggards": behind,
        "laggards_text": "、".join(behind),
        "on_track_count": str(sum(r["status"] == ON_TRACK for r in rows)),
        "lagging_count": str(len(behind)),
        **progress_basis(progress),
    })
    return ctx


RECTIFY_DAYS = 15
"""Days given to rectify once the last milestone has passed (before that: the next milestone)."""


def default_deadline(as_of: dt.date, progress: pd.DataFrame) -> dt.date:
    """The next milestone date from the progress table, or ``as_of`` + :data:`RECTIFY_DAYS`."""
    nxt = [d for d in progress.get("next_date", pd.Series(dtype=object)) if isinstance(d, dt.date)]
    return min(nxt) if nxt else as_of + dt.timedelta(days=RECTIFY_DAYS)


def unit_notice_contexts(annex5: pd.DataFrame, progress: pd.DataFrame, as_of: dt.date, *,
                         deadline: dt.date | None = None,
                         units: Sequence[Unit] | None = None) -> list[dict[str, Any]]:
    """One 督办通知 context per lagging unit (Annex 1 order): its figures, gap to milestone, deadline."""
    rows, city = unit_figures(annex5, progress, units=units)
    deadline = deadline or default_deadline(as_of, progress)
    out = []
    for r in sorted(rows, key=lambda r: r["order"]):
        if r["status"] != LAGGING:
            continue
        ctx = common_context(as_of)
        ctx.update({
            "unit": _fmt_unit(r),
            "unit_count": str(len(rows)),
            "total": {k: _fmt(k, v) for k, v in city.items()},
            "milestone": _milestone_context(rows),
            "deadline": chinese_date(deadline),
            **progress_basis(progress),
        })
        out.append(ctx)
    return out


# ----------------------------------------------------------------------------------- people

def _text(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v)


def _flag(v: Any) -> bool | None:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    return bool(v)


def unwilling_people(people: pd.DataFrame) -> pd.DataFrame:
    """In-scope people who declined (是否愿意参保 = 否) and have not registered since."""
    sel = (people["category"] == IN_SCOPE) & (people["willing"] == "否")
    if "registered" in people:
        sel &= people["registered"].map(lambda v: _flag(v) is not True)
    return people[sel]


def statement_context(unit: str, people: pd.DataFrame, as_of: dt.date) -> dict[str, Any]:
    """Context of 不参保意愿书 for one unit: one entry per person, with the full ID number (the
    signed statement must identify the signatory; it only goes into the unit's own folder)."""
    ctx = common_context(as_of)
    ctx.update({
        "unit": unit,
        "people": [{
            "name": _text(p["name"]),
            "id": _text(p["id"]),
            "birth": f"{p['birth'].year}年{p['birth'].month}月" if isinstance(p.get("birth"), dt.date) else "",
            "address": _text(p["address"]),
            "phone": _text(p["phone"]),
        } for p in people.to_dict("records")],
        "blank_date": chinese_date(None),
    })
    return ctx


def person_public(p: Mapping[str, Any], unit: str) -> dict[str, Any]:
    """A person as a per-person letter shows them: name, masked ID and phone, unit, address."""
    return {
        "name": _text(p.get("name")),
        "id_masked": mask_id(_text(p.get("id"))),
        "phone_masked": mask_phone(_text(p.get("phone"))),
        "unit": unit,
        "address": _text(p.get("address")),
    }


def birthday(born: dt.date, years: int) -> dt.date:
    """The date someone born on ``born`` turns ``years`` (29 February -> 28 February)."""
    try:
        return born.replace(year=born.year + years)
    except ValueError:
        return dt.date(born.year + years, 2, 28)


def turning_60(people: pd.DataFrame, as_of: dt.date, months: int = 3) -> pd.DataFrame:
    """In-scope people whose 60th birthday falls after ``as_of`` and within ``months`` months."""
    end = add_months(as_of, months)

    def hit(b: Any) -> bool:
        return isinstance(b, dt.date) and as_of < birthday(b, 60) <= end

    sel = (people["category"] == IN_SCOPE) & people["birth"].map(hit)
    return people[sel]


def registered_unpaid(people: pd.DataFrame) -> pd.DataFrame:
    """In-scope people who registered but have not paid (the 缴费提醒 list); people drawing a pension
    are not expected to pay and get no reminder."""
    if "registered" not in people or "paid" not in people:
        return people.iloc[0:0]
    sel = ((people["category"] == IN_SCOPE) & people["registered"].map(lambda v: _flag(v) is True)
           & people["paid"].map(lambda v: _flag(v) is not True))
    if "drawing" in people:
        sel &= people["drawing"].map(lambda v: _flag(v) is not True)
    return people[sel]


def not_registered(people: pd.DataFrame) -> pd.DataFrame:
    """In-scope people not (yet) registered: the 未参保原因反馈表 and the estimate letters."""
    sel = people["category"] == IN_SCOPE
    if "registered" in people:
        sel &= people["registered"].map(lambda v: _flag(v) is not True)
    return people[sel]


def by_unit(people: pd.DataFrame, units: Sequence[Unit] | None = None) -> Iterable[tuple[str, pd.DataFrame]]:
    """People grouped by unit, in Annex 1 order (units with nobody are skipped)."""
    units = units or default_units()
    for u in units:
        grp = people[people["unit"] == u.name]
        if not grp.empty:
            yield u.name, grp
