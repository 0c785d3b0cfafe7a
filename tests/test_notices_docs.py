"""docs/notices.md documents every key each template receives (the contexts are built from data)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from notices_world import AS_OF, World, world_for

from coverage_xl.notices import context as cx
from coverage_xl.notices import sms
from coverage_xl.notices.documents import estimate_letters
from coverage_xl.notices.render import ALL_TEMPLATES

DOC = (Path(__file__).resolve().parents[1] / "docs" / "notices.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def world(unit_folder, tmp_path_factory) -> World:
    return world_for(unit_folder.path, tmp_path_factory.mktemp("notices"))


def _paths(ctx: dict[str, Any], prefix: str = "") -> list[str]:
    out = []
    for k, v in ctx.items():
        path = f"{prefix}{k}"
        if not isinstance(v, dict) or k == "figures":
            out.append(path)  # a group such as total.* is documented by its members
        if k == "figures":
            continue
        if isinstance(v, dict):
            out += _paths(v, path + ".")
        elif isinstance(v, list) and v and isinstance(v[0], dict) and not prefix:
            out += _paths(v[0], path + "[].")
    return out


def _section(template: str) -> str:
    return DOC.split(f"### `{template}`", 1)[1].split("\n### ", 1)[0]


def _documented(template: str, path: str) -> bool:
    common = DOC.split("Every template receives the common keys:", 1)[1].split("\n### ", 1)[0]
    leaf = path.rsplit(".", 1)[-1]
    head = path.split(".", 1)[0]
    here = _section(template)
    if template == "到龄提醒.txt":
        here += _section("缴费提醒.txt")  # "the keys of 缴费提醒.txt, plus"
    if f"`{path}`" in here or f"`{path}`" in common:
        return True
    if head in ("unit", "total", "milestone") and "same keys as" in here:  # documented once, in the bulletin
        return f"`units[].{leaf}`" in DOC or f"`{head}.{leaf}`" in DOC
    return path.startswith("letters[].") and f"`{leaf}`" in here  # the estimate_context fields


def _check(template: str, ctx: dict[str, Any]) -> None:
    missing = [p for p in _paths(ctx) if not _documented(template, p)]
    assert not missing, f"{template}: document {missing} in docs/notices.md"


def test_every_template_has_a_section_with_an_example():
    for name in ALL_TEMPLATES:
        assert "Example" in _section(name), name


def test_bulletin_and_unit_notice_keys_are_documented(world):
    a5, prog = world.dispatch.annex5, world.dispatch.progress
    _check("月度通报.docx", cx.bulletin_context(a5, prog, AS_OF))
    _check("督办通知.docx", cx.unit_notice_contexts(a5, prog, AS_OF)[0])


def test_per_person_keys_are_documented(world):
    people = world.dispatch.people
    unwilling = cx.unwilling_people(people)
    _check("不参保意愿书.docx", cx.statement_context("草尾镇", unwilling.head(2), AS_OF))
    grp = cx.not_registered(people)
    grp = grp[grp["birth"].map(lambda b: isinstance(b, dt.date) and b.year < 1990)].head(2)
    letters, _ = estimate_letters(grp, "草尾镇", AS_OF)
    _check("测算告知书.docx", {**cx.common_context(AS_OF), "unit": "草尾镇", "letters": letters})
    p = {"name": "张三", "unit": "草尾镇", "birth": dt.date(1960, 11, 15), "registered": True, "paid": False}
    _check("缴费提醒.txt", sms.base_context(p, AS_OF))
    _check("到龄提醒.txt", sms.turning60_context(p, AS_OF))
