"""``coverage-xl ledger``: the campaign ledger (台账).

``ledger update`` reads the inputs given into the ledger database (one transaction); ``ledger export``
writes its faces: one 台账 workbook per unit, 台账汇总, 变更记录 and the lists the notice asks for.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.table import Table

from coverage_xl.cli.common import (
    InputPath,
    MultiPathCommand,
    as_of_option,
    console,
    handle_errors,
    parse_date,
    styled,
    unmasked_option,
)

LEDGER_HELP = "台账数据库文件（默认：总表所在文件夹中的“台账.sqlite”，未给 --master 时为当前文件夹）。"


class _UpdateCommand(MultiPathCommand):
    multi_options = ("--list", "--registrations", "-r", "--payments", "-p")


def _ledger_path(ledger: Path | None, master: Path | None) -> Path:
    from coverage_xl.ledger.store import default_ledger_path

    return ledger or default_ledger_path(master)


ledger_option = click.option("--ledger", "ledger", type=click.Path(dir_okay=False, path_type=Path), default=None,
                             help=LEDGER_HELP)
master_option = click.option("--master", "master", type=click.Path(dir_okay=False, path_type=Path), default=None,
                             help="总表（.xlsm）路径：默认的台账数据库放在它旁边。")


@click.group("ledger")
def command() -> None:
    """台账：把省下发核实名单上的每个人跟踪到销号（建立台账，对账销号）。"""


@command.command("update", cls=_UpdateCommand)
@click.option("--list", "lists", multiple=True, type=InputPath(dir_okay=False),
              help="省下发核实名单（xlsx/xls/csv，可跟多个文件：名单的各部分）。")
@click.option("--survey", "survey", type=InputPath(), default=None,
              help="各单位附件3摸底明细表所在文件夹（与汇总相同的读取方式）。")
@click.option("--registrations", "-r", "registrations", multiple=True, type=InputPath(),
              help="参保登记导出文件（可跟多个文件或文件夹）。")
@click.option("--payments", "-p", "payments", multiple=True, type=InputPath(),
              help="缴费导出文件（可跟多个文件或文件夹）。")
@click.option("--followups", "followups", type=click.Path(exists=True, path_type=Path), default=None,
              help="各单位交回的跟进名单所在文件夹（或单个文件）。")
@as_of_option
@click.option("--year", "campaign_year", type=int, default=None, help="计入的缴费年度（默认统计日期所在年）。")
@ledger_option
@master_option
@click.option("--statuses", type=InputPath(dir_okay=False), default=None,
              help="台账状态与销号口径文件（默认 coverage_xl/data/ledger_statuses.toml）。")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="另把各单位状态人数写成 JSON 摘要（供脚本使用）。")
@unmasked_option
@handle_errors
def update(lists: tuple[Path, ...], survey: Path | None, registrations: tuple[Path, ...], payments: tuple[Path, ...],
           followups: Path | None, as_of, campaign_year: int | None, ledger: Path | None, master: Path | None,
           statuses: Path | None, json_out: Path | None, unmasked: bool) -> None:
    """更新台账：读入本周的名单、摸底表、登记缴费导出和交回的跟进名单，逐人计算状态并记录变更。

    除第一次外每项输入都可省略（沿用上次的）。同样的输入再运行一次不产生任何变更。

    退出码：0 正常；1 有输入文件无法使用或交回的跟进名单有错误（其余照常计入）；2 无法运行（台账未改动）。
    """
    import datetime as dt

    from coverage_xl import guard
    from coverage_xl.findings import Report
    from coverage_xl.jobs.ledger import write_json_summary
    from coverage_xl.ledger import update_ledger
    from coverage_xl.ledger.statuses import load_statuses
    from coverage_xl.ledger.summary import people_in_unit, settled_rate
    from coverage_xl.report import text_summary

    as_of = as_of or dt.date.today()
    path = _ledger_path(ledger, master)
    guard.declare_inputs(lists, survey, registrations, payments, followups, statuses)
    if json_out is not None:
        guard.claim(json_out, kind="ledger")
    book = load_statuses(statuses)
    with console.status("正在更新台账……"):
        result = update_ledger(path, lists=lists, survey=survey, registrations=registrations, payments=payments,
                               followups=followups, as_of=as_of, campaign_year=campaign_year, statuses=book)
    table = Table(title=f"台账  统计日期 {as_of.isoformat()}")
    table.add_column("单位", no_wrap=True)
    for s in book.statuses:
        table.add_column(s.label, justify="right")
    for head in ("名单外", "销号", "销号率", "名单人数"):
        table.add_column(head, justify="right")
    for unit, row in result.per_unit.items():
        if not people_in_unit(row, book) and not row["list_total"]:
            continue
        rate = settled_rate(row, book)
        table.add_row(unit, *(str(row[s.code]) for s in book.statuses), str(row["off_list"]), str(row["settled"]),
                      "" if rate != rate else f"{rate:.1%}", str(row["list_total"]))
    console.print(table)
    console.print(f"台账人数：{result.people}；本次变更：{result.changes} 条（运行编号 {result.run_id}）。")
    for f in result.inputs:
        console.print(f"  读入：{f.name}（SHA-256 {f.sha256[:12]}…，{f.rows}行）")
    for n in result.notes:
        console.print(styled(("提示：", "yellow"), n))
    for w in result.warnings:
        console.print(styled(("提示：", "yellow"), w))
    for p in result.problems:
        console.print(styled(("未计入：", "red"), p))
    followup_errors = sum(r.errors for r in result.followup_reports)
    if result.followup_reports:
        console.print("交回的跟进名单检查结果：")
        console.print(text_summary(Report(result.followup_reports), masked=not unmasked), soft_wrap=True)
    if json_out is not None:
        write_json_summary(result.summary(), json_out)
        console.print(f"已写入摘要：{json_out}")
    console.print(f"台账数据库：{path}")
    sys.exit(1 if result.problems or followup_errors else 0)


class _ExportCommand(MultiPathCommand):
    multi_options = ("--assisted",)


@command.command("export", cls=_ExportCommand)
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="输出文件夹：各单位台账、台账汇总、变更记录和各类名单写到这里。")
@ledger_option
@master_option
@click.option("--from", "start", callback=parse_date, metavar="YYYY-MM-DD", default=None,
              help="变更记录的起始日期（默认第一次更新台账的日期）。")
@click.option("--to", "end", callback=parse_date, metavar="YYYY-MM-DD", default=None,
              help="变更记录的截止日期（默认最近一次更新台账的日期）。")
@click.option("--assisted", multiple=True, type=InputPath(dir_okay=False),
              help="标明建档立卡、低保、特困、重度残疾人员的比对文件（可跟多个）：另出代缴对象名单。")
@click.option("--months", type=click.IntRange(1, 24), default=3, show_default=True,
              help="即将到龄名单：今后几个月内年满60周岁。")
@click.option("--statuses", type=InputPath(dir_okay=False), default=None,
              help="台账状态与销号口径文件（默认 coverage_xl/data/ledger_statuses.toml）。")
@click.option("--to-master", "to_master", is_flag=True, default=False,
              help="同时把台账汇总表写入 --master 指定的总表（其他工作表保留）。")
@unmasked_option
@handle_errors
def export(out_dir: Path, ledger: Path | None, master: Path | None, start, end, assisted: tuple[Path, ...],
           months: int, statuses: Path | None, to_master: bool, unmasked: bool) -> None:
    """导出台账：各单位台账（按村排列）、台账汇总（含周对比）、变更记录，以及未摸底、名单外、
    登记未缴费（税务）、重复参保、即将到龄和代缴对象名单。身份证号码默认打码（--unmasked 显示完整号码）。

    退出码：0 正常；2 无法导出（如台账不存在）。
    """
    from coverage_xl import guard
    from coverage_xl.jobs.ledger import export_ledger, write_ledger_summary_sheet

    path = _ledger_path(ledger, master)
    guard.declare_inputs(path, assisted, statuses)
    if to_master and master is None:
        raise click.UsageError("--to-master 需要同时给出 --master 总表路径。")
    result = export_ledger(path, out_dir, start=start, end=end, unmasked=unmasked, assisted=assisted, months=months,
                           statuses=statuses)
    for p in result.written:
        console.print(f"已写入：{p.name}（{result.counts[p.name]}行）")
    if to_master:
        write_ledger_summary_sheet(path, master, statuses=statuses)
        console.print(f"已写入总表：{master}（台账汇总）")
    console.print(f"台账截至 {result.as_of.isoformat()}；输出文件夹：{out_dir}")
    sys.exit(0)
