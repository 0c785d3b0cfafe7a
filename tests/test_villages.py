"""One village parser (coverage_xl.villages) serves the follow-up lists, prefill and the ledger alike."""

from __future__ import annotations

import doctest

import pytest

from coverage_xl import followup, prefill, villages
from coverage_xl.units import find_unit
from coverage_xl.villages import village_of


@pytest.mark.parametrize(("text", "village"), [
    ("沅江市琼湖街道新村社区3栋", "新村社区"),  # followup said 新村社区, prefill said 新村
    ("沅江市共华镇乐园分场3队", "乐园分场"),  # prefill said 乐园分场, followup said nothing
    ("湖南省沅江市草尾镇新华村3组", "新华村"),
    ("沅江市琼湖街道金花社区12号", "金花社区"),
    ("沅江市漉湖芦苇场东风分场", "东风分场"),
    ("湖南省沅江市漉湖芦苇场东南湖工区", "东南湖工区"),
    ("沅江市南嘴镇南嘴管理区5组", "南嘴管理区"),
    ("南大膳镇胜利村村委会", "胜利村"),
    ("琼湖街道白沙社区居委会", "白沙社区"),
    ("琼湖街道白沙居委会", "白沙社区"),
    ("新华村5组", "新华村"),
    ("沅江市新华村", "新华村"),
    ("沅江市草尾镇", ""),
    ("沅江市黄茅洲镇", ""),
    ("", ""),
    (None, ""),
])
def test_village_is_parsed_from_the_address(text, village):
    assert village_of(text) == village


def test_the_unit_name_anchors_the_search():
    assert village_of("沅江市草尾镇乡里村2组", find_unit("草尾镇")) == "乡里村"


def test_followup_and_prefill_use_the_same_parser():
    assert followup.village_of is village_of and prefill.village_of is village_of


def test_doctests():
    assert doctest.testmod(villages).failed == 0
