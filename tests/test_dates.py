"""One Excel-serial rule and one date-text rule for every place that reads a day (values.excel_date,
values.parse_date): the settings sheet, the history sheet, payment years, 出生年月 and the estimate."""

from __future__ import annotations

import datetime as dt
import doctest

import click
import pytest

from coverage_xl import values
from coverage_xl.cli.common import parse_date as as_of_option_value
from coverage_xl.errors import InputError
from coverage_xl.estimate import parse_birth
from coverage_xl.exports import parse_year
from coverage_xl.master import SETTING_LABELS, UNIT_HEADERS, parse_settings
from coverage_xl.values import EXCEL_SERIAL_MAX, EXCEL_SERIAL_MIN, excel_date, parse_birth_month, parse_date


def settings_day(value: object) -> dt.date | None:
    return parse_settings([[SETTING_LABELS["as_of"], value], list(UNIT_HEADERS)]).as_of


def test_doctests():
    assert doctest.testmod(values).failed == 0


@pytest.mark.parametrize("serial", [EXCEL_SERIAL_MIN - 1, EXCEL_SERIAL_MIN, 10000, 23812, 44104, EXCEL_SERIAL_MAX,
                                    EXCEL_SERIAL_MAX + 1])
def test_a_serial_number_is_the_same_day_everywhere(serial):
    day = dt.date(1899, 12, 30) + dt.timedelta(days=serial) if EXCEL_SERIAL_MIN <= serial <= EXCEL_SERIAL_MAX else None
    assert excel_date(serial) == excel_date(float(serial)) == parse_date(serial) == day
    assert parse_birth_month(float(serial)) == (((day.year, day.month),) if day else None)
    if day:
        assert parse_birth(float(serial)) == day.replace(day=1)
        assert settings_day(float(serial)) == day
        assert parse_year(float(serial)) == day.year or 1900 <= serial <= 2100
    else:
        with pytest.raises(InputError):
            parse_birth(float(serial))
        with pytest.raises(InputError):
            settings_day(float(serial))


@pytest.mark.parametrize("text", ["2020-09-30", "2020/9/30", "2020.9.30", "20200930", "2020年9月30日",
                                  " 2020-09-30 ", "2020-09-30 08:15", "2020/9/30 8:15:00"])
def test_a_date_text_is_read_the_same_by_the_option_and_the_settings_sheet(text):
    assert parse_date(text) == as_of_option_value(None, None, text) == settings_day(text) == dt.date(2020, 9, 30)


@pytest.mark.parametrize("text", ["2020-13-01", "2020-02-30", "30/09/2020", "abc", "2020-09"])
def test_an_unreadable_date_text_is_refused_by_both(text):
    assert parse_date(text) is None
    with pytest.raises(click.BadParameter):
        as_of_option_value(None, None, text)
    with pytest.raises(InputError):
        settings_day(text)


def test_an_ambiguous_birth_number_is_not_guessed_by_the_estimate():
    assert parse_birth_month(1965.1) == ((1965, 1), (1965, 10))
    with pytest.raises(InputError):
        parse_birth(1965.1)
