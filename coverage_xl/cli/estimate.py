"""``coverage-xl estimate``: print one benefit estimate (待遇测算) as a small Chinese table."""

from __future__ import annotations

import json
import sys

import click
from rich.table import Table

from coverage_xl.cli.common import console, styled
from coverage_xl.errors import CoverageError, InputError
from coverage_xl.estimate import (
    DEFAULT_PARAMS_PATH,
    estimate,
    estimate_table_rows,
    estimate_to_dict,
    format_param_value,
    load_params,
)


def _int_option(value: str | None, what: str) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        raise InputError(f"{what}“{value}”应为整数。") from None


@click.command(name="estimate")
@click.option("--birth", required=True, metavar="YYYY-MM", help="出生年月，如 1965-03。")
@click.option("--tier", required=True, metavar="元", help="个人缴费档次（元/年），如 300。")
@click.option("--start", metavar="年份", help="开始缴费年份，默认今年。")
@click.option("--support", default="0", show_default=True, metavar="元", help="每年集体补助或代缴金额（元/年）。")
@click.option(
    "--params",
    "params_path",
    type=click.Path(dir_okay=False),
    help="测算参数文件（.toml，或含“测算参数”工作表的 .xlsx/.xlsm），默认用内置的国家标准参数。",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="输出格式。")
def command(birth: str, tier: str, start: str | None, support: str, params_path: str | None, fmt: str) -> None:
    """城乡居保待遇测算：按出生年月和缴费档次测算60周岁时的月养老金。"""
    try:
        tier_value = _int_option(tier, "缴费档次")
        start_value = _int_option(start, "开始缴费年份")
        try:
            support_value = float(support)
        except ValueError:
            raise InputError(f"集体补助或代缴金额“{support}”应为数字。") from None
        params = load_params(params_path)
        result = estimate(birth, tier_value, start_value, params, support=support_value)
    except CoverageError as exc:
        click.echo(f"错误：{exc}", err=True)
        sys.exit(exc.exit_code)

    if fmt == "json":
        click.echo(json.dumps(estimate_to_dict(result), ensure_ascii=False, indent=2))
        return

    table = Table(title="城乡居保待遇测算", show_header=True, header_style="bold")
    table.add_column("项目")
    table.add_column("测算结果", justify="right", overflow="fold")
    for label, value in estimate_table_rows(result):
        table.add_row(label, value)
    console.print(table)
    for note in result.notes:
        console.print(f"说明：{note}")
    for warning in result.warnings:
        console.print(styled((f"注意：{warning}", "bold yellow")))
    origin = "内置" if result.params_origin == str(DEFAULT_PARAMS_PATH) else result.params_origin
    sources = Table(title=f"所用参数：{result.params_name}（{origin}）", show_header=True, header_style="bold")
    sources.add_column("参数", overflow="fold")
    sources.add_column("数值", overflow="fold")
    sources.add_column("来源（年份）", overflow="fold")
    for p in params.entries.values():
        sources.add_row(p.label, format_param_value(p), f"{p.source}（{p.year}）" if p.year else p.source)
    console.print(sources, highlight=False)
