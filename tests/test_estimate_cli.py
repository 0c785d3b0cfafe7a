"""``coverage-xl estimate``: the Chinese table, JSON output, parameter sources and Chinese errors."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from coverage_xl.cli import main
from coverage_xl.estimate import DEFAULT_PARAMS_PATH


def run(*args: str):
    return CliRunner().invoke(main, ["estimate", *args], terminal_width=120)


def test_text_output_is_a_chinese_table_with_the_parameter_set_under_it():
    result = run("--birth", "1965-03", "--tier", "300", "--start", "2020")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "城乡居保待遇测算" in out
    for label, value in [
        ("至60周岁按年缴费年限", "5 年"),
        ("一次性补缴年限", "10 年"),
        ("一次性补缴金额", "3,000.00 元"),
        ("个人缴费合计", "4,500.00 元"),
        ("开始领取时个人账户储存额", "4,650.00 元"),
        ("月养老金合计", "126.45 元/月"),
        ("收回个人缴费约需", "3.0 年"),
    ]:
        line = next(line for line in out.splitlines() if label in line)
        assert value in line, line
    assert "参数待市局填写：" in out
    assert "所用参数：国家基本政策默认参数（2020年7月起）（内置）" in out
    assert "国发〔2014〕8号" in out


def test_json_output_has_the_figures_and_the_parameter_set():
    result = run("--birth", "1980-06", "--tier", "300", "--start", "2020", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["branch"] == "under45"
    assert data["monthly_pension"] == 140.48
    assert data["params_id"] == "national-2020-07"
    assert data["warnings"][0].startswith("参数待市局填写：")


def test_params_option_uses_the_bureau_file(tmp_path):
    text = DEFAULT_PARAMS_PATH.read_text(encoding="utf-8")
    text = text.replace('name = "国家基本政策默认参数（2020年7月起）"', 'name = "沅江市2020年测算参数"')
    text = re.sub(r'(\[provincial_basic_addition\][^\[]*?)value = ""', r"\1value = 10", text)
    path = tmp_path / "params.toml"
    path.write_text(text, encoding="utf-8")
    result = run("--birth", "1980-06", "--tier", "300", "--start", "2020", "--params", str(path), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["params_name"] == "沅江市2020年测算参数"
    assert data["basic_pension"] == 103.0
    assert "湖南省基础养老金提高部分" not in data["warnings"][0]


def test_invalid_birth_is_a_chinese_error_with_exit_code_2():
    result = run("--birth", "1965-13", "--tier", "300")
    assert result.exit_code == 2
    assert "错误：出生年月“1965-13”无法识别" in result.stderr
    assert "Traceback" not in result.output


def test_invalid_tier_and_bad_parameter_file_exit_2(tmp_path):
    result = run("--birth", "1965-03", "--tier", "三百")
    assert result.exit_code == 2 and "缴费档次“三百”应为整数" in result.stderr
    result = run("--birth", "1965-03", "--tier", "350")
    assert result.exit_code == 2 and "缴费档次“350”不在参数所列档次之中" in result.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("[meta]\nname = \"x\"\n", encoding="utf-8")
    result = run("--birth", "1965-03", "--tier", "300", "--params", str(bad))
    assert result.exit_code == 2 and "缺少参数“个人缴费档次”" in result.stderr


def test_help_is_chinese():
    result = CliRunner().invoke(main, ["estimate", "--help"])
    assert result.exit_code == 0
    assert "城乡居保待遇测算" in result.output and "出生年月" in result.output
