"""The ID number module: normalisation, checksum, 15 → 18, birth dates, and masking."""

from __future__ import annotations

import datetime as dt
import doctest

from hypothesis import given
from hypothesis import strategies as st

from coverage_xl import idcard
from coverage_xl.mask import mask_id, mask_phone, mask_text


def test_doctests():
    assert doctest.testmod(idcard).failed == 0


def test_checksum_agrees_with_the_published_example():
    # GB 11643-1999's worked example: 11010519491231002X
    assert idcard.check_character("11010519491231002") == "X"
    assert idcard.check("11010519491231002X").code is None


def test_to18_inserts_19_and_computes_the_check_character():
    assert idcard.to18("110105491231002") == "11010519491231002X"


def test_address_code_is_not_tied_to_the_birth_year():
    body = "43098119500101123"
    assert idcard.check(body + idcard.check_character(body)).code is None


def test_future_birth_date_is_relative_to_the_as_of_date():
    body = "43098120200101123"
    pid = body + idcard.check_character(body)
    assert idcard.check(pid, dt.date(2019, 12, 31)).code == "id.birthdate"
    assert idcard.check(pid, dt.date(2020, 1, 1)).code is None


def test_age_on_a_29_february_birthday():
    born = dt.date(2004, 2, 29)
    assert idcard.age_on(born, dt.date(2020, 2, 28)) == 15
    assert idcard.age_on(born, dt.date(2020, 2, 29)) == 16
    assert idcard.age_on(born, dt.date(2021, 2, 28)) == 16


def test_masks():
    assert mask_id("11010519491231002X") == "110105********002X"
    assert mask_phone("13812341234") == "138****1234"
    assert "13812341234" not in mask_text("电话13812341234，号码11010519491231002X")
    assert "11010519491231002X" not in mask_text("号码11010519491231002X")


@given(st.text())
def test_normalise_is_idempotent_and_never_raises(s):
    once = idcard.normalise(s)
    assert idcard.normalise(once) == once


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 1, 1)), st.integers(0, 999),
       st.sampled_from(["430981", "432323", "432302", "110105"]))
def test_generated_valid_ids_pass_and_every_single_digit_error_is_caught(born, seq, code):
    body = f"{code}{born:%Y%m%d}{seq:03d}"
    pid = body + idcard.check_character(body)
    assert idcard.check(pid, dt.date(2020, 9, 30)).code is None
    wrong = str((int(pid[14]) + 1) % 10)
    assert idcard.check(pid[:14] + wrong + pid[15:], dt.date(2020, 9, 30)).code == "id.checksum"



@given(st.dates(dt.date(1890, 1, 1), dt.date(2030, 12, 31)), st.dates(dt.date(1950, 1, 1), dt.date(2030, 12, 31)),
       st.sampled_from((0, 1, 4, 16, 25, 59, 60, 61, 100)))
def test_latest_birth_for_age_agrees_with_age_on(born, day, years):
    assert (idcard.age_on(born, day) >= years) == (born <= idcard.latest_birth_for_age(years, day))


def test_latest_birth_for_age_on_29_february():
    assert idcard.latest_birth_for_age(60, dt.date(2020, 2, 29)) == dt.date(1960, 2, 29)
    assert idcard.latest_birth_for_age(16, dt.date(2020, 2, 29)) == dt.date(2004, 2, 29)
    assert idcard.latest_birth_for_age(1, dt.date(2020, 2, 29)) == dt.date(2019, 2, 28)


@given(st.text("0123456789", min_size=17, max_size=17))
def test_check_character_is_stdnums(first17):
    from stdnum.cn import ric

    assert idcard.check_character(first17) == ric.calc_check_digit(first17 + "0")

def stdnum_county_lines() -> list[str]:
    """data/county_codes.txt as python-stdnum's cn/loc table gives it (the table's shape is asserted:
    two-digit provinces holding four-digit counties, no ranges)."""
    import stdnum
    from stdnum import numdb

    by: dict[str, set[str]] = {}
    for length, low, high, props, children in numdb.get("cn/loc").prefixes:
        assert (length, low) == (2, high) and not props.get("county")
        for c_length, c_low, c_high, c_props, c_children in children:
            assert (c_length, c_low) == (4, c_high) and not c_children
            if c_props.get("county"):
                by.setdefault(low, set()).add(c_low)
    return [
        "# Address codes (行政区划代码, first 6 digits of a resident ID) that were a county at any time:",
        f"# python-stdnum {stdnum.__version__}, table stdnum/cn/loc.dat. One line per province: its 2 digits, then",
        "# the 4 digits of each county. Kept here because loading stdnum's table cost about 0.1 s per",
        "# process; tests/test_idcard.py checks that it is still exactly stdnum's (regenerate: python tests/test_idcard.py).",
        *(p + " " + " ".join(sorted(by[p])) for p in sorted(by)),
    ]


def _stdnum_says_county(code6: str) -> bool:
    from stdnum import numdb

    info = {k: v for _, props in numdb.get("cn/loc").info(code6) for k, v in props.items()}
    return bool(info.get("county"))


def test_county_codes_are_exactly_stdnums_table():
    from importlib import resources

    kept = resources.files("coverage_xl").joinpath("data/county_codes.txt").read_text(encoding="utf-8")
    assert [line for line in kept.splitlines() if not line.startswith("#")] == \
        [line for line in stdnum_county_lines() if not line.startswith("#")], \
        "stdnum's address table changed: regenerate with `python tests/test_idcard.py`"
    codes = idcard.county_codes()
    assert len(codes) > 6000 and "430981" in codes and "110103" in codes  # 崇文区, gone since 2010, still counts
    assert all(_stdnum_says_county(c) for c in codes)
    neighbours = {f"{int(c) + d:06d}" for c in sorted(codes)[::7] for d in (-1, 1, 50)} - codes
    assert neighbours and not any(_stdnum_says_county(c) for c in neighbours)
    assert not idcard.region_existed("999999") and not idcard.region_existed("４３０９８１")


if __name__ == "__main__":  # regenerate data/county_codes.txt from the installed python-stdnum
    from pathlib import Path

    target = Path(__file__).resolve().parent.parent / "coverage_xl" / "data" / "county_codes.txt"
    target.write_text("\n".join(stdnum_county_lines()) + "\n", encoding="utf-8")
