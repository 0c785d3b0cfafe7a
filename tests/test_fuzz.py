"""Property-based tests (hypothesis) of the cell parsers, the ID checker and the maskers (issue 8).

No input raises anything (these functions document that they never raise), results stay inside their
documented sets, and the arithmetic facts hold: normalising twice changes nothing, a correctly built
ID passes, one changed digit is caught, a 15-digit number converts to a checksum-valid 18-digit one.
The check character is recomputed here independently (weights 2^(17-i) mod 11, "10X98765432").
"""

from __future__ import annotations

import datetime as dt
import math
import re

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from coverage_xl import idcard, mask, values

settings.register_profile("fuzz", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("fuzz")

AS_OF = dt.date(2020, 9, 30)
ID_CODES = {None, "id.missing", "id.format", "id.birthdate", "id.checksum", "id.region", "id.legacy15"}
# Address codes that existed (沅江 over time, and other places people come from).
REGIONS = ("430981", "432302", "432323", "430902", "430903", "430921", "430103", "440304", "420106", "110101")
SPACES = " \u3000\u00a0\t\u200b\ufeff"
FULLWIDTH = {str(d): chr(0xFF10 + d) for d in range(10)} | {"X": "Ｘ"}


def reference_check(first17: str) -> str:
    total = sum(int(c) * (2 ** (17 - i) % 11) for i, c in enumerate(first17))
    return "10X98765432"[total % 11]


cell_values = st.one_of(
    st.none(), st.text(), st.integers(), st.floats(allow_nan=True, allow_infinity=False), st.booleans(),
    st.dates(), st.datetimes(), st.text(alphabet="0123456789xX ０１２３４５６７８９ｘＸ\u3000'", max_size=25),
    st.decimals(allow_nan=False, allow_infinity=False, places=2).map(float),
)

births = st.dates(min_value=dt.date(1900, 1, 1), max_value=AS_OF)


@st.composite
def valid_ids(draw) -> str:
    born = draw(births)
    body = draw(st.sampled_from(REGIONS)) + born.strftime("%Y%m%d") + f"{draw(st.integers(0, 999)):03d}"
    return body + reference_check(body)


@st.composite
def messy(draw, pid: str) -> str:
    """The same ID as a clerk might type it: full-width digits, spaces anywhere, lowercase x."""
    out = []
    for ch in pid:
        if draw(st.booleans()):
            ch = FULLWIDTH.get(ch, ch)
        if ch == "X" and draw(st.booleans()):
            ch = "x"
        out.append(ch)
        if draw(st.integers(0, 5)) == 0:
            out.append(draw(st.sampled_from(SPACES)))
    return draw(st.sampled_from(SPACES[:3])) * draw(st.integers(0, 2)) + "".join(out)


# --- idcard ----------------------------------------------------------------------------------------

@given(cell_values)
def test_normalise_never_raises_and_returns_text(value):
    assert isinstance(idcard.normalise(value), str)


@given(st.text(alphabet="0123456789xX０１２３４５６７８９ｘＸ" + SPACES + "'’‘", max_size=30))
def test_normalise_is_idempotent_on_id_like_text(value):
    once = idcard.normalise(value)
    assert idcard.normalise(once) == once
    assert not set(once) & set(SPACES) and "x" not in once


@given(st.text())
def test_normalise_is_idempotent_on_any_text(value):
    once = idcard.normalise(value)
    assert idcard.normalise(once) == once


@given(cell_values, st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 12, 31)))
def test_check_never_raises_and_code_is_documented(value, as_of):
    r = idcard.check(value, as_of)
    assert r.code in ID_CODES
    assert isinstance(r.normalised, str)


@given(valid_ids())
@example("43098119650315123X".replace("123X", "1230")[:17] + reference_check("43098119650315123"))
@example("430981200002290018"[:17] + reference_check("43098120000229001"))  # 29 February
def test_check_accepts_correctly_built_ids(pid):
    r = idcard.check(pid, AS_OF)
    assert r.code is None, (pid, r)
    assert r.birth == dt.date(int(pid[6:10]), int(pid[10:12]), int(pid[12:14]))
    assert idcard.is_valid(pid, AS_OF)


@given(valid_ids().flatmap(lambda pid: st.tuples(st.just(pid), messy(pid))))
def test_messy_typing_of_a_valid_id_normalises_to_it(pair):
    pid, typed = pair
    assert idcard.normalise(typed) == pid
    assert idcard.check(typed, AS_OF).code is None


@given(valid_ids(), st.integers(0, 17), st.integers(1, 10))
def test_one_changed_character_is_always_caught(pid, pos, delta):
    alphabet = "0123456789X" if pos == 17 else "0123456789"
    i = alphabet.index(pid[pos])
    changed = pid[:pos] + alphabet[(i + delta) % len(alphabet)] + pid[pos + 1:]
    assume(changed != pid)
    assert idcard.check(changed, AS_OF).code in {"id.checksum", "id.birthdate", "id.format"}


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(1999, 12, 31)),
       st.sampled_from(REGIONS), st.integers(0, 999))
def test_to18_of_a_15_digit_number_is_checksum_valid(born, region, seq):
    id15 = region + born.strftime("%y%m%d") + f"{seq:03d}"
    id18 = idcard.to18(id15)
    assert len(id18) == 18 and id18[:6] == region and id18[6:14] == born.strftime("%Y%m%d")
    assert id18[17] == reference_check(id18[:17])
    assert idcard.check(id18, AS_OF).code is None
    r15 = idcard.check(id15, AS_OF)
    assert r15.code == "id.legacy15" and r15.expected == id18 and r15.birth == born


@given(st.text(alphabet="0123456789", min_size=15, max_size=15))
def test_any_15_digits_are_legacy_or_a_bad_birth_date(id15):
    r = idcard.check(id15, AS_OF)
    assert r.code in {"id.legacy15", "id.birthdate"}
    if r.code == "id.legacy15":
        assert r.expected[17] == reference_check(r.expected[:17])


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31)),
       st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_age_on_matches_the_anniversary_rule(born, day):
    age = idcard.age_on(born, day)
    assume(day >= born)
    # the birthday in the target year (29 February → 1 March in a common year)
    try:
        birthday = born.replace(year=day.year)
    except ValueError:
        birthday = dt.date(day.year, 3, 1)
    assert age == day.year - born.year - (day < birthday)


# --- values ----------------------------------------------------------------------------------------

@given(cell_values)
def test_cell_parsers_never_raise(value):
    assert isinstance(values.parse_tick(value), values.Tick)
    assert isinstance(values.parse_willing(value), values.Willing)
    assert isinstance(values.phone_ok(value), bool)
    assert isinstance(values.clean_text(value), str)
    readings = values.parse_birth_month(value)
    assert readings is None or (isinstance(readings, tuple) and readings)
    for y, m in readings or ():
        assert 1 <= m <= 12 and isinstance(y, int)


@pytest.mark.parametrize("value", [math.inf, -math.inf])
def test_birth_month_of_an_infinite_number_is_unreadable_not_an_exception(value):
    assert values.parse_birth_month(value) is None


@pytest.mark.parametrize("value", [math.inf, -math.inf])
def test_other_parsers_accept_infinite_numbers(value):
    assert values.parse_tick(value) is values.Tick.TEXT
    assert values.parse_willing(value) is values.Willing.INVALID
    assert values.phone_ok(value) is False
    assert idcard.check(value, AS_OF).code == "id.format"
    assert isinstance(mask.mask_text(str(value)), str)


@given(st.text(alphabet="√✓✔", min_size=1, max_size=3), st.text(alphabet=SPACES, max_size=2),
       st.text(alphabet=SPACES, max_size=2))
def test_tick_marks_with_any_spacing_are_ticks(marks, before, after):
    assert values.parse_tick(before + marks + after) is values.Tick.TICK


@given(st.text(min_size=1).filter(lambda s: values.clean_text(s) and not set(values.clean_text(s)) <= set("√✓✔")))
def test_anything_else_in_a_tick_column_is_text(value):
    assert values.parse_tick(value) is values.Tick.TEXT


@given(st.sampled_from(["是", "否"]), st.text(alphabet=SPACES, max_size=2), st.text(alphabet=SPACES, max_size=2))
def test_willing_yes_no_with_spacing(word, before, after):
    expected = values.Willing.YES if word == "是" else values.Willing.NO
    assert values.parse_willing(before + word + after) is expected


@given(st.integers(1880, 2100), st.integers(1, 12),
       st.sampled_from(["{y}.{m:02d}", "{y}-{m:02d}", "{y}/{m}", "{y}{m:02d}", "{y}年{m}月", "{y}年{m:02d}月",
                        "{y}.{m}", "{y}-{m}-15", "{y}年{m}月3日"]))
def test_birth_month_accepts_the_usual_writings(y, m, fmt):
    assert values.parse_birth_month(fmt.format(y=y, m=m)) == ((y, m),)


@given(st.integers(1880, 2100), st.integers(1, 12), st.integers(1, 28))
def test_birth_month_of_a_date_cell(y, m, d):
    assert values.parse_birth_month(dt.date(y, m, d)) == ((y, m),)
    assert values.parse_birth_month(dt.datetime(y, m, d, 0, 0)) == ((y, m),)


@given(st.integers(1900, 2020), st.integers(1, 12))
def test_birth_month_number_cell_includes_the_typed_month(y, m):
    typed = float(f"{y}.{m:02d}")  # Excel stores 1980.10 as 1980.1
    readings = values.parse_birth_month(typed)
    assert readings and (y, m) in readings


mobiles = st.builds(lambda p, rest: "1" + p + rest, st.sampled_from("3456789"),
                    st.text(alphabet="0123456789", min_size=9, max_size=9))


@given(st.lists(mobiles, min_size=1, max_size=3), st.sampled_from(["/", "、", ",", "，", ";", "；"]))
def test_phone_lists_of_valid_mobiles_are_ok(numbers, sep):
    assert values.phone_ok(sep.join(numbers))
    assert values.phone_ok(float(numbers[0]))  # a phone typed into a number cell


@given(mobiles, st.integers(1, 10))
def test_truncated_mobile_is_not_ok(number, cut):
    assert not values.phone_ok(number[:-cut] if cut < 4 else number[:7])


# --- masking ----------------------------------------------------------------------------------------

@given(cell_values)
def test_maskers_never_raise(value):
    assert isinstance(mask.mask_id(value), str)
    assert isinstance(mask.mask_phone(value), str)
    assert isinstance(mask.mask_text(str(value)), str)


@given(valid_ids(), mobiles, st.text(max_size=20), st.text(max_size=20))
def test_mask_text_hides_every_id_and_mobile_in_free_text(pid, phone, a, b):
    assume(not re.search(r"[0-9A-Za-z]$", a) and not re.match(r"^[0-9A-Za-z]", b))
    text = f"{a}{pid}{b}，电话{phone}。"
    out = mask.mask_text(text)
    assert pid not in out and phone not in out
    assert pid[:6] in out and pid[-4:] in out  # still recognisable to the clerk


@given(valid_ids())
def test_mask_id_keeps_length_and_ends(pid):
    m = mask.mask_id(pid)
    assert len(m) == len(pid) and m.startswith(pid[:6]) and m.endswith(pid[-4:]) and "*" * 8 in m


@given(mobiles)
def test_mask_phone_shows_only_prefix_and_last_four(phone):
    assert mask.mask_phone(phone) == f"{phone[:3]}****{phone[-4:]}"


@given(st.floats(min_value=1e16, max_value=1e18))
def test_id_typed_as_number_is_never_valid(value):
    assert not idcard.is_valid(value, AS_OF)
