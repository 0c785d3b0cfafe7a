"""The benefit estimate (待遇测算): worked examples computed by hand, one per branch, and the parameter file.

Default parameters: tiers 100…2000, subsidy 30 (tiers < 500) / 60 (≥ 500), central basic pension 93 yuan a
month, divisor 139; the provincial and local additions, the long-contribution extra and the interest
rate are blank (待市局填写) and so count as 0.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

import pytest

from coverage_xl.errors import InputError, ParameterError
from coverage_xl.estimate import (
    DEFAULT_PARAMS_PATH,
    PARAM_SPECS,
    ROW_FIELDS,
    estimate,
    estimate_context,
    estimate_table_rows,
    estimate_to_dict,
    load_params,
    parse_birth,
    pension_udf,
)

# ---------------------------------------------------------------------------------------------
# helpers: write a parameter file as the bureau would (a tiny TOML writer for our flat layout)
# ---------------------------------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "[" + ", ".join(_toml_value(v) for v in value) + "]"


def dump_toml(data: dict[str, dict[str, Any]]) -> str:
    lines = []
    for table, items in data.items():
        lines.append(f"[{table}]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in items.items()]
        lines.append("")
    return "\n".join(lines)


def default_data() -> dict[str, dict[str, Any]]:
    return tomllib.loads(DEFAULT_PARAMS_PATH.read_text(encoding="utf-8"))


def write_params(tmp_path: Path, data: dict[str, dict[str, Any]], name: str = "params.toml") -> Path:
    path = tmp_path / name
    path.write_text(dump_toml(data), encoding="utf-8")
    return path


def bureau_params(tmp_path: Path):
    """A parameter set as a bureau might fill it in (figures made up for the test only)."""
    data = default_data()
    data["meta"]["name"] = "测试用参数"
    data["subsidy"]["value"] = [[100, 30], [200, 35], [500, 60], [1000, 100]]
    data["subsidy"]["floor"] = False  # the bureau entered its own figures
    data["catch_up_subsidy"]["value"] = True
    data["provincial_basic_addition"]["value"] = 10
    data["local_basic_addition"]["value"] = 5
    data["long_contribution_extra"]["value"] = 2
    data["interest_rate"]["value"] = 0.02
    return load_params(write_params(tmp_path, data))


# ---------------------------------------------------------------------------------------------
# worked examples, one per branch (default parameters)
# ---------------------------------------------------------------------------------------------


def test_under45_pays_yearly_until_the_year_before_60():
    # Born 1980-06, enrols 2020 at 300 yuan: contribution years 2020…2039 = 20.
    # Account: 20 × (300 + 30) = 6,600. Personal pension 6,600 / 139 = 47.4820…
    # Monthly: 93 + 47.4820 = 140.4820. Own contributions 20 × 300 = 6,000.
    # Recover: 6,000 / (140.4820 × 12) = 3.5592 years.
    e = estimate("1980-06", 300, 2020)
    assert (e.branch, e.years_to_60, e.catch_up_years, e.total_years) == ("under45", 20, 0, 20)
    assert e.subsidy_per_year == 30
    assert e.own_total == 6000
    assert e.account_at_60 == pytest.approx(6600)
    assert e.basic_pension == pytest.approx(93)
    assert e.personal_pension == pytest.approx(47.482014, abs=1e-6)
    assert e.monthly_pension == pytest.approx(140.482014, abs=1e-6)
    assert e.recover_years == pytest.approx(3.559174, abs=1e-6)
    assert e.catch_up_cost == 0
    assert e.first_pension_month == "2040-07"


def test_catch_up_pays_the_missing_years_in_one_sum_without_subsidy():
    # Born 1965-03, enrols 2020 at 500 yuan: 2020…2024 = 5 yearly years, 10 missing → 补缴 10 × 500 = 5,000.
    # Account: 5 × (500 + 60) + 10 × 500 (补缴: no subsidy) = 2,800 + 5,000 = 7,800.
    # Monthly: 93 + 7,800 / 139 = 93 + 56.1151 = 149.1151. Own: 15 × 500 = 7,500.
    e = estimate("1965-03", 500, 2020)
    assert (e.branch, e.years_to_60, e.catch_up_years, e.total_years) == ("catch_up", 5, 10, 15)
    assert e.catch_up_cost == 5000
    assert e.own_total == 7500
    assert e.account_at_60 == pytest.approx(7800)
    assert e.monthly_pension == pytest.approx(149.115108, abs=1e-6)
    assert e.recover_years == pytest.approx(4.191393, abs=1e-6)
    assert e.first_pension_month == "2025-04"
    assert any("补缴10年" in n and "5000元" in n for n in e.notes)
    assert any("不享受政府缴费补贴" in n for n in e.notes)


def test_over60_may_pay_fifteen_years_in_one_sum():
    # Born 1955-08, 65 in 2020: no yearly payment; 补缴 15 × 100 = 1,500, account 1,500 (no subsidy).
    # Monthly: 93 + 1,500 / 139 = 93 + 10.7914 = 103.7914. Recover: 1,500 / (103.7914 × 12) = 1.2043.
    e = estimate("1955-08", 100, 2020)
    assert (e.branch, e.years_to_60, e.catch_up_years) == ("over60", 0, 15)
    assert e.catch_up_cost == 1500
    assert e.account_at_60 == pytest.approx(1500)
    assert e.monthly_pension == pytest.approx(103.791367, abs=1e-6)
    assert e.recover_years == pytest.approx(1.204339, abs=1e-6)
    assert e.first_pension_month == "补缴后次月"


def test_bureau_figures_add_interest_additions_and_the_long_contribution_extra(tmp_path):
    # Born 1982-12, enrols 2020 at 1,000 yuan: 2020…2041 = 22 years, yearly credit 1,000 + 100 = 1,100.
    # Interest 2 % at year end on the previous balance: 1,100 × (1.02^22 − 1) / 0.02
    #   = 1,100 × (1.5459797 − 1) / 0.02 = 30,028.88.
    # Basic: 93 + 10 + 5 + 2 × (22 − 15) = 122. Personal: 30,028.88 / 139 = 216.0351. Monthly 338.0351.
    e = estimate("1982-12", 1000, 2020, bureau_params(tmp_path))
    assert e.years_to_60 == 22
    assert e.account_at_60 == pytest.approx(30028.8819, abs=1e-3)
    assert e.basic_pension == pytest.approx(122)
    assert e.monthly_pension == pytest.approx(338.0351, abs=1e-3)
    assert e.first_pension_month == "2043-01"  # December birthday: the pension starts in January
    assert e.warnings == ()  # nothing pending, no national floor flagged


def test_catch_up_with_subsidy_and_collective_support(tmp_path):
    # Born 1965-03, 200 yuan, 50 yuan collective support a year, bureau set (subsidy 35, 补缴 subsidised):
    # yearly credit 200 + 35 + 50 = 285 for 5 years at 2 %: 285 × (1.02^5 − 1) / 0.02 = 1,483.1514;
    # 补缴 10 × (200 + 35) = 2,350 (support does not apply to 补缴) → account 3,833.1514.
    # Basic 93 + 10 + 5 = 108 (15 years: no extra). Monthly 108 + 27.5766 = 135.5766. Own 15 × 200 = 3,000.
    e = estimate("1965-03", 200, 2020, bureau_params(tmp_path), support=50)
    assert e.account_at_60 == pytest.approx(3833.1514, abs=1e-3)
    assert e.own_total == 3000
    assert e.monthly_pension == pytest.approx(135.5766, abs=1e-3)
    assert not any("不享受政府缴费补贴" in n for n in e.notes)


@pytest.mark.parametrize(
    ("birth_year", "branch", "yearly", "catch_up"),
    [
        (1976, "under45", 16, 0),  # 44 in 2020
        (1975, "under45", 15, 0),  # 45 in 2020: 2020…2034 is exactly 15 years
        (1974, "catch_up", 14, 1),  # 46
        (1961, "catch_up", 1, 14),  # 59
        (1960, "over60", 0, 15),  # 60 in 2020: the year of the 60th birthday is no contribution year
    ],
)
def test_branch_boundaries_follow_the_calendar_year_convention(birth_year, branch, yearly, catch_up):
    e = estimate(f"{birth_year}-06", 100, 2020)
    assert (e.branch, e.years_to_60, e.catch_up_years) == (branch, yearly, catch_up)
    assert e.total_years == 15 or branch == "under45"


def test_over60_without_one_sum_option_cannot_be_estimated(tmp_path):
    data = default_data()
    data["over60_catch_up"]["value"] = False
    params = load_params(write_params(tmp_path, data))
    e = estimate("1950-01", 300, 2020, params)
    assert e.catch_up_years == 0
    assert e.monthly_pension is None and e.recover_years is None
    assert dict(estimate_table_rows(e))["月养老金合计"] == "无法测算"
    assert pension_udf("1950-01", 300, 2020, params).startswith("错误：")


def test_default_parameters_warn_about_pending_local_figures():
    e = estimate("1980-06", 300, 2020)
    assert e.warnings[0] == (
        "参数待市局填写：湖南省基础养老金提高部分、市县基础养老金提高部分、长缴加发基础养老金（每多缴1年）、"
        "个人账户记账利率（测算中按0计算，结果偏低）。"
    )
    assert e.warnings[1] == "政府缴费补贴按国家最低标准计算，实际以省、市标准为准。"
    assert e.params_id == "national-2020-07"
    assert e.params_name == "国家基本政策默认参数（2020年7月起）"


def test_start_year_defaults_to_this_year():
    this_year = dt.date.today().year
    e = estimate("1990-01", 100)
    assert e.start_year == this_year
    assert e.years_to_60 == 1990 + 60 - this_year


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("1965-13", 300, 2020), "出生年月“1965-13”无法识别"),
        (("1965-03", 350, 2020), "缴费档次“350”不在参数所列档次之中"),
        (("2010-03", 100, 2020), "未满16周岁"),
        (("1965-03", 100, 20), "开始缴费年份“20”无效"),
    ],
)
def test_unusable_inputs_raise_a_chinese_input_error(args, message):
    with pytest.raises(InputError, match=message):
        estimate(*args)


def test_negative_support_is_rejected():
    with pytest.raises(InputError, match="集体补助或代缴金额"):
        estimate("1965-03", 100, 2020, support=-1)


# ---------------------------------------------------------------------------------------------
# birth month parsing and the worksheet function
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["1965-03", "1965-3", "1965.03", "1965/3", "196503", "1965年3月", "1965-03-15", " 1965-03 ", 196503,
     dt.date(1965, 3, 15), dt.datetime(1965, 3, 15, 8, 0), 23812.0],  # 23812 = Excel serial of 1965-03-10
)
def test_birth_month_is_read_from_what_clerks_type(value):
    assert parse_birth(value) == dt.date(1965, 3, 1)


@pytest.mark.parametrize("junk", [None, "", "abc", "1965-00", "65-03", "😀", True, float("nan"), -5, [1965, 3]])
def test_junk_birth_month_is_an_input_error(junk):
    with pytest.raises(InputError, match="出生年月"):
        parse_birth(junk)


def test_pension_udf_takes_excel_values_and_never_raises():
    # Excel passes numbers as floats and dates as datetimes; 23812.0 is a date serial in March 1965.
    assert pension_udf(dt.datetime(1965, 3, 1), 300.0, 2020.0) == 126.45
    assert pension_udf(23812.0, "300", 2020) == 126.45
    assert pension_udf("1980-06", 300, 2020) == 140.48
    for junk in [(None, 300, 2020), ("1965-03", None, 2020), ("1965-03", "x", "y"), ("😀", 300, 2020)]:
        result = pension_udf(*junk)
        assert isinstance(result, str) and result.startswith("错误：")


# ---------------------------------------------------------------------------------------------
# rows and letter context
# ---------------------------------------------------------------------------------------------


def test_table_rows_have_every_label_once_in_the_shared_order():
    rows = estimate_table_rows(estimate("1965-03", 300, 2020))
    labels = [label for label, _ in rows]
    assert labels[:4] == ["出生年月", "缴费档次", "开始缴费年份", "政府缴费补贴"]
    assert labels[4:] == [f.label for f in ROW_FIELDS]
    values = dict(rows)
    assert values["一次性补缴金额"] == "3,000.00 元"
    assert values["月养老金合计"] == "126.45 元/月"
    assert values["收回个人缴费约需"] == "3.0 年"


def test_letter_context_holds_printable_figures_and_the_parameter_sources():
    ctx = estimate_context(estimate("1965-03", 300, 2020))
    assert ctx["monthly_pension"] == "126.45 元/月"
    assert ctx["catch_up_cost"] == "3,000.00 元"
    assert ctx["birth"] == "1965年3月"
    assert ctx["branch"] == "catch_up"
    assert ctx["rows"][0] == {"label": "出生年月", "value": "1965-03"}
    assert ctx["params_name"] == "国家基本政策默认参数（2020年7月起）"
    assert any(line.startswith("个人账户养老金计发月数：139") for line in ctx["params_sources"])
    assert ctx["figures"]["monthly_pension"] == 126.45
    assert ctx["warnings"][0].startswith("参数待市局填写：")


def test_json_dict_rounds_money_to_the_fen():
    d = estimate_to_dict(estimate("1980-06", 300, 2020))
    assert d["birth"] == "1980-06"
    assert d["personal_pension"] == 47.48
    assert isinstance(d["warnings"], list)


# ---------------------------------------------------------------------------------------------
# the parameter file
# ---------------------------------------------------------------------------------------------


def test_every_shipped_figure_names_its_source_and_year():
    data = default_data()
    params = load_params()
    for spec in PARAM_SPECS:
        entry = data[spec.key]
        assert entry["source"].strip(), spec.key
        assert isinstance(entry["year"], int), spec.key
        if entry["value"] == "":
            assert spec.nullable and entry["source"].startswith("待市局填写"), spec.key
    assert {p.key for p in params.pending} == {
        "provincial_basic_addition", "local_basic_addition", "long_contribution_extra", "interest_rate",
    }
    assert params.tiers == (100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1500, 2000)
    assert [params.subsidy_for(t) for t in (100, 400, 500, 2000)] == [30, 30, 60, 60]
    assert params["divisor"].value == 139
    assert params["central_basic_pension"].value == 93


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("divisor"), "缺少参数“个人账户养老金计发月数”"),
        (lambda d: d["central_basic_pension"].update(value=-5), "中央确定的基础养老金最低标准.*不能为负数"),
        (lambda d: d["provincial_basic_addition"].update(value=-1), "湖南省基础养老金提高部分.*不能为负数"),
        (lambda d: d["subsidy"].update(value=[[100, -30]]), "政府缴费补贴.*不能为负数"),
        (lambda d: d["divisor"].update(value=""), "个人账户养老金计发月数.*不能为空"),
        (lambda d: d["divisor"].update(value=0), "个人账户养老金计发月数.*不能为0"),
        (lambda d: d["divisor"].pop("value"), "个人账户养老金计发月数.*没有数值"),
        (lambda d: d["divisor"].update(source=""), "个人账户养老金计发月数.*没有注明来源"),
        (lambda d: d["interest_rate"].update(value=1.75), "个人账户记账利率.*0.0175"),
        (lambda d: d["tiers"].update(value=[300, 100]), "个人缴费档次.*从低到高"),
        (lambda d: d["tiers"].update(value=["一百"]), "个人缴费档次.*正整数"),
        (lambda d: d["subsidy"].update(value=[[200, 30]]), "最低档 100 元没有补贴标准"),
        (lambda d: d["catch_up_subsidy"].update(value="maybe"), "补缴是否享受政府补贴.*“是”或“否”"),
        (lambda d: d["central_basic_pension"].update(value="九十三"), "中央确定的基础养老金最低标准.*应为数字"),
        (lambda d: d["central_basic_pension"].update(year=14), "年份"),
        (lambda d: d["meta"].pop("name"), "参数集名称"),
    ],
)
def test_a_missing_or_bad_parameter_is_a_clear_error(tmp_path, mutate, message):
    data = default_data()
    mutate(data)
    with pytest.raises(ParameterError, match=message):
        load_params(write_params(tmp_path, data))


def test_a_broken_or_missing_parameter_file_is_reported(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("[divisor\nvalue = 139", encoding="utf-8")
    with pytest.raises(ParameterError, match="格式有误"):
        load_params(broken)
    with pytest.raises(InputError, match="找不到测算参数文件"):
        load_params(tmp_path / "nope.toml")


def test_yes_no_words_are_accepted_for_switches(tmp_path):
    data = default_data()
    data["catch_up_subsidy"]["value"] = "是"
    assert load_params(write_params(tmp_path, data))["catch_up_subsidy"].value is True


# ---------------------------------------------------------------------------------------------
# issue 13: wording for someone 59 in the start year, enrolment age to the day, citations
# ---------------------------------------------------------------------------------------------


def _said(e) -> str:
    return " ".join([e.branch_label, *e.notes, e.first_pension_month])


def test_someone_turning_60_in_the_start_year_is_not_called_already_60():
    later = estimate(dt.date(1960, 12, 5), 300, 2020, as_of=dt.date(2020, 9, 30))
    assert later.branch == "over60" and "已满60周岁" not in _said(later)
    assert later.branch_label == "2020年12月年满60周岁，可一次性补缴15年后按月领取"
    assert later.notes[0] == ("将于2020年12月年满60周岁，不能再按年缴满15年；一次性补缴15年（按300元档，共4500元）"
                              "后可从年满60周岁且补缴后的次月起按月领取养老金。")
    assert later.first_pension_month == "补缴后次月（最早2021-01）"
    passed = estimate(dt.date(1960, 3, 5), 300, 2020, as_of=dt.date(2020, 9, 30))
    assert passed.notes[0].startswith("已于2020年3月年满60周岁，不能再按年缴满15年")
    month_only = estimate("1960-12", 300, 2020)
    assert month_only.notes[0].startswith("将于2020年12月年满60周岁") and "已满60周岁" not in _said(month_only)
    older = estimate("1959-12", 300, 2020)
    assert older.branch_label == "已满60周岁，可一次性补缴15年后按月领取" and older.notes[0].startswith("已满60周岁")
    assert older.first_pension_month == "补缴后次月"


def test_enrolment_age_is_counted_in_whole_years_to_the_16th_birthday():
    day = dt.date(2020, 9, 30)
    assert estimate(dt.date(2004, 9, 30), 100, 2020, as_of=day).years_to_60 == 44  # 16 on the day itself
    with pytest.raises(InputError) as exc:
        estimate(dt.date(2004, 10, 1), 100, 2020, as_of=day)
    assert str(exc.value) == ("出生于2004年10月的居民截至2020年9月30日未满16周岁（2020年10月1日年满16周岁），"
                              "还不能参保缴费。")
    # without an as-of date (a start year only) the 16th birthday must fall within the start year
    assert estimate("2004-12", 100, 2020).years_to_60 == 44
    with pytest.raises(InputError, match="截至2020年12月31日未满16周岁"):
        estimate("2005-01", 100, 2020)


def test_citations_say_only_what_the_documents_say():
    params = load_params()
    catch_up = params["catch_up_subsidy"]
    assert catch_up.source.startswith("地方规定（待市局确认）") and "补缴不享受" not in catch_up.source
    assert "不是国发〔2014〕8号的规定" in catch_up.note
    central = params["central_basic_pension"]
    assert "2018〕21号" not in central.source + central.note and "88元" in central.note and "待确认" in central.note
    e = estimate("1965-03", 300, 2020, params)
    assert "按所用参数，补缴部分不享受政府缴费补贴（地方规定，待市局确认）。" in e.notes


def test_letters_use_the_as_of_date_for_age_and_wording(tmp_path):
    import pandas as pd

    from coverage_xl.notices.documents import estimate_letters

    people = pd.DataFrame([
        {"name": "甲", "id": "430981196012050011", "birth": dt.date(1960, 12, 5), "unit": "草尾镇", "phone": ""},
        {"name": "乙", "id": "430981200410010011", "birth": dt.date(2004, 10, 1), "unit": "草尾镇", "phone": ""},
    ])
    letters, skipped = estimate_letters(people, "草尾镇", dt.date(2020, 9, 30), tier=300)
    assert [x["name"] for x in letters] == ["甲"]
    assert letters[0]["notes"][0].startswith("将于2020年12月年满60周岁")
    assert skipped == ["乙：出生于2004年10月的居民截至2020年9月30日未满16周岁（2020年10月1日年满16周岁），还不能参保缴费。"]
