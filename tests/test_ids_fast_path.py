"""The fast path for clean 18-character IDs (rules.ids.fast_births) agrees with idcard.check,
the one ID checker, on every number: a property test over numbers built near the edges (check
character, month lengths and leap days, the earliest birth date and the as-of date, unknown regions)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from coverage_xl import idcard
from coverage_xl.rules.ids import fast_births

AS_OF = dt.date(2020, 9, 30)
REGIONS = ("430981", "430902", "110101", "440305", "430900", "999999", "000000", "430999", "510100")


@st.composite
def id_number(draw) -> str:
    region = draw(st.sampled_from(REGIONS) | st.text("0123456789", min_size=6, max_size=6))
    year = draw(st.sampled_from((1889, 1890, 1900, 1965, 2000, 2004, 2020, 2021)) | st.integers(1880, 2030))
    month = draw(st.integers(0, 13))
    day = draw(st.integers(0, 32))
    seq = draw(st.text("0123456789", min_size=3, max_size=3))
    first17 = f"{region}{year:04d}{month:02d}{day:02d}{seq}"
    right = idcard.check_character(first17)
    last = draw(st.just(right) | st.sampled_from("0123456789X"))
    return first17 + last


@settings(max_examples=400, deadline=None)
@given(st.lists(id_number(), min_size=1, max_size=20))
def test_fast_path_accepts_exactly_what_idcard_check_accepts(ids):
    assert fast_births(ids, AS_OF) == [idcard.check(i, AS_OF).birth if idcard.check(i, AS_OF).code is None else None
                                      for i in ids]


def test_fast_path_edges():
    ids = ["43098119650310001", "43098120000229000", "43098120010229000", "43098118891231000",
           "43098120200930000", "43098120201001000"]
    ids = [i + idcard.check_character(i) for i in ids]
    assert [b is not None for b in fast_births(ids, AS_OF)] == [idcard.check(i, AS_OF).code is None for i in ids] \
        == [True, True, False, False, True, False]
    assert fast_births(ids, AS_OF)[:2] == [dt.date(1965, 3, 10), dt.date(2000, 2, 29)]


def test_fast_path_leaves_every_unusual_cell_to_the_full_check():
    good = "43098119650310001" + idcard.check_character("43098119650310001")
    unusual = [good.lower()[:-1] + "x", " " + good[1:], "４" + good[1:], good[:17], 430981196503100010.0, None, "",
               dt.date(1965, 3, 10), good[:6] + "1965031０" + good[14:]]
    assert fast_births([good, *unusual], AS_OF) == [dt.date(1965, 3, 10)] + [None] * len(unusual)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text("0123456789Xxabc_+ -４٤\u3000", min_size=17, max_size=19) | id_number(), min_size=1, max_size=20))
def test_fast_path_takes_only_clean_ids_and_agrees_with_the_full_check(values):
    """Letters a–c, '_', signs, spaces and non-ASCII digits never pass for digits (int(…, 13) would
    accept some of them): such a cell is left to idcard.check."""
    for value, born in zip(values, fast_births(values, AS_OF), strict=True):
        clean = len(value) == 18 and value.isascii() and value[:17].isdigit() and value[17] in "0123456789X"
        res = idcard.check(value, AS_OF)
        assert born == (res.birth if clean and res.code is None else None)
