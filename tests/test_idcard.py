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
