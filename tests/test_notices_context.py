"""The context each notice template receives: the dispatch table's own figures, ranks by coverage,
statuses from the progress table, and no personal data in bulletins or unit notices."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pandas as pd
import pytest
from notices_world import AS_OF, World, world_for

from coverage_xl.layout import TOTAL_LABEL
from coverage_xl.notices import context as cx
from coverage_xl.progress import LAGGING, ON_TRACK
from coverage_xl.units import default_units

ID_RE = re.compile(r"\d{17}[\dXx]|\d{15}")
MOBILE_RE = re.compile(r"1[3-9]\d{9}")


@pytest.fixture(scope="module")
def world(unit_folder, tmp_path_factory) -> World:
    return world_for(unit_folder.path, tmp_path_factory.mktemp("notices"))


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return [str(value)]


def _pct(v: Any) -> str:
    return "" if v is None or pd.isna(v) else f"{float(v) * 100:.2f}%"


def test_bulletin_figures_are_the_annex5_figures(world):
    a5, prog = world.dispatch.annex5, world.dispatch.progress.set_index("unit")
    ctx = cx.bulletin_context(a5, world.dispatch.progress, AS_OF)
    assert sorted(u["name"] for u in ctx["units"]) == sorted(u.name for u in default_units())
    for u in ctx["units"]:
        row = a5.loc[u["name"]]
        assert [u[k] for k in ("should_cover", "registered", "paid", "unregistered")] == \
            [str(int(row[k])) for k in ("should_cover", "registered", "paid", "unregistered")]
        assert u["coverage_rate"] == _pct(row["coverage_rate"]) and u["payment_rate"] == _pct(row["payment_rate"])
        assert u["status"] == prog.loc[u["name"], "status"] and u["gap"] == str(int(prog.loc[u["name"], "gap"]))
        assert u["task"] == str(prog.loc[u["name"], "task"])
    total = a5.loc[TOTAL_LABEL]
    assert ctx["total"]["should_cover"] == str(int(total["should_cover"]))
    assert ctx["total"]["coverage_rate"] == _pct(total["coverage_rate"])
    assert ctx["total"]["task"] == "120087"
    assert ctx["date"] == "2020年9月30日" and ctx["issuer"] == "沅江市人力资源和社会保障局"


def test_bulletin_ranks_by_coverage_rate_and_names_leaders_and_laggards(world):
    a5 = world.dispatch.annex5
    ctx = cx.bulletin_context(a5, world.dispatch.progress, AS_OF)
    rates = [float(a5.loc[u["name"], "coverage_rate"]) for u in ctx["units"]]
    assert rates == sorted(rates, reverse=True)
    assert [u["rank"] for u in ctx["units"]] == [str(n) for n in range(1, 15)]
    status = dict(zip(world.dispatch.progress["unit"], world.dispatch.progress["status"], strict=True))
    assert set(ctx["laggards"]) == {n for n, s in status.items() if s == LAGGING}
    assert ctx["laggards"] and ctx["leaders"], "the world is built so that both exist"
    assert all(status[n] == ON_TRACK for n in ctx["leaders"]) and len(ctx["leaders"]) <= cx.LEADERS_MAX
    on_track_by_rate = [u["name"] for u in ctx["units"] if u["status"] == ON_TRACK]
    assert ctx["leaders"] == on_track_by_rate[: cx.LEADERS_MAX]
    assert ctx["lagging_count"] == str(len(ctx["laggards"]))
    assert ctx["laggards_text"] == "、".join(ctx["laggards"])


def test_unit_notices_only_for_lagging_units_with_gap_and_deadline(world):
    ctxs = cx.unit_notice_contexts(world.dispatch.annex5, world.dispatch.progress, AS_OF)
    prog = world.dispatch.progress.set_index("unit")
    assert [c["unit"]["name"] for c in ctxs] == [n for n in prog.index if prog.loc[n, "status"] == LAGGING]
    for c in ctxs:
        p = prog.loc[c["unit"]["name"]]
        assert c["unit"]["gap"] == str(int(p["gap"])) and int(p["gap"]) > 0
        assert c["unit"]["due"] == str(int(p["due"]))
        assert c["deadline"] == "2020年10月31日"  # the next milestone
    later = cx.unit_notice_contexts(world.dispatch.annex5, world.dispatch.progress, AS_OF,
                                    deadline=dt.date(2020, 10, 15))
    assert {c["deadline"] for c in later} == {"2020年10月15日"}


def test_after_the_last_milestone_the_deadline_is_fifteen_days_on():
    prog = pd.DataFrame({"next_date": [None, None]})
    assert cx.default_deadline(dt.date(2020, 11, 5), prog) == dt.date(2020, 11, 20)


def test_bulletin_and_unit_notices_carry_no_id_numbers_or_phones(world):
    ctxs = [cx.bulletin_context(world.dispatch.annex5, world.dispatch.progress, AS_OF),
            *cx.unit_notice_contexts(world.dispatch.annex5, world.dispatch.progress, AS_OF)]
    for ctx in ctxs:
        for s in _strings(ctx):
            assert not ID_RE.search(s) and not MOBILE_RE.search(s), s


def test_statement_people_are_unwilling_in_scope_and_not_registered(world):
    people = world.dispatch.people
    got = cx.unwilling_people(people)
    assert len(got) > 0
    assert (got["category"] == "in_scope").all() and (got["willing"] == "否").all() and (~got["registered"]).all()
    expected = people[people["in_scope"] & (people["willing"] == "否") & ~people["registered"]]
    assert sorted(got.index) == sorted(expected.index)


def test_estimate_letter_person_shows_masked_id_and_phone():
    p = cx.person_public({"name": "张三", "id": "430981196503151234", "phone": "13812341234", "address": "某村"}, "草尾镇")
    assert p["id_masked"] == "430981********1234" and p["phone_masked"] == "138****1234"
    assert "196503" not in "".join(_strings(p))
