"""``coverage-xl dispatch``: match the survey against the registration and payment exports and write
附件5, 进度 and 调度历史 (and, with --lists, one follow-up workbook per unit)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import pandas as pd
from rich.table import Table

from coverage_xl.cli.common import (
    InputPath,
    MultiPathCommand,
    as_of_option,
    console,
    counting_options,
    handle_errors,
    progress_bar,
    styled,
    unmasked_option,
)
from coverage_xl.layout import TOTAL_LABEL
from coverage_xl.mask import mask_id
from coverage_xl.progress import LAGGING

MULTI_OPTIONS = ("--registrations", "-r", "--payments", "-p")
STAGES = {"survey": "读取摸底表", "registration": "读取登记导出", "payment": "读取缴费导出"}
DEFAULT_OUT = Path("调度表.xlsx")


class _MultiPathCommand(MultiPathCommand):
    multi_options = MULTI_OPTIONS


def _count(v: object) -> str:
    return "" if v is None or v is pd.NA or v != v else f"{int(v):,}"


def _pct(v: object) -> str:
    return "" if v is None or v != v else f"{float(v):.2%}"


@click.command("dispatch", cls=_MultiPathCommand)
@click.option("--survey", "survey", required=True, type=InputPath(),
              help="各单位附件3摸底明细表所在文件夹（或单个文件）。")
@click.option("--registrations", "-r", "registrations", multiple=True, required=True,
              type=InputPath(),
              help="参保登记导出文件（xlsx/xls/csv，可跟多个文件或文件夹，也可重复本选项）。")
@click.option("--payments", "-p", "payments", multiple=True, required=True,
              type=InputPath(),
              help="缴费导出文件（xlsx/xls/csv，可跟多个文件或文件夹，也可重复本选项）。")
@as_of_option
@click.option("--year", "campaign_year", type=int, default=None, help="计入的缴费年度（默认统计日期所在年）。")
@click.option("-o", "--output", "out", type=click.Path(path_type=Path), default=DEFAULT_OUT, show_default=True,
              help="写入附件5、进度、调度历史的工作簿（通常是总表；其他工作表保留）。其“重复人员”表"
                   "“归属单位”列已填的，此人只计入该单位。")
@click.option("--lists", "lists_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="另为每个单位生成跟进名单（未登记人员、登记未缴费人员）到此文件夹。")
@click.option("--milestones", type=InputPath(dir_okay=False), default=None,
              help="里程碑节点文件（CSV：月-日,比例,说明；默认8月底50%、10月底100%）。")
@click.option("--statuses", type=InputPath(dir_okay=False), default=None,
              help="参保状态对照表（CSV：status,meaning；meaning 为 registered/drawing/terminated；默认内置）。")
@click.option("--compare", "compare", multiple=True, metavar="FILE[=类别]",
              help="职工养老保险比对数据（如 企业职保.xlsx=省内企业职保，可多次使用；写法同 prefill --compare），"
                   "其中已参加城乡居保登记的人员列入“重复参保”表。")
@counting_options
@click.option("--owners", "owners_path", type=InputPath(dir_okay=False), default=None,
              help="从此工作簿（通常是总表）的“重复人员”表读取“归属单位”；默认读输出工作簿本身。")
@unmasked_option
@handle_errors
def command(survey: Path, registrations: tuple[Path, ...], payments: tuple[Path, ...], as_of, campaign_year,
            out: Path, lists_dir: Path | None, milestones: Path | None, statuses: Path | None,
            compare: tuple[str, ...], rate_basis: str | None, progress_basis: str | None, signed: tuple[Path, ...],
            owners_path: Path | None, unmasked: bool) -> None:
    """调度：把摸底表与参保登记、缴费导出数据比对，生成附件5调度表、任务进度和调度历史。

    退出码：0 正常；1 有导出文件无法使用或有单位未计入（其余数据照常计算并写出）；2 无法运行。
    """
    import datetime as dt

    from coverage_xl import guard
    from coverage_xl.counting import load_counting
    from coverage_xl.dispatch import run_dispatch
    from coverage_xl.jobs.dispatch import employee_ids, write_dispatch
    from coverage_xl.ownership import read_owner_choices

    as_of = as_of or dt.date.today()
    guard.declare_inputs(survey, registrations, payments, milestones, statuses, signed)
    guard.claim(out, kind="dispatch", update=True)
    employees, compare_notes = employee_ids(compare, as_of)
    with progress_bar(transient=True) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, name: str, n: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(STAGES.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=n, total=total, description=f"{STAGES.get(stage, stage)}：{name}")

        result = run_dispatch(survey, list(registrations), list(payments), as_of, campaign_year,
                              milestones=milestones, progress=progress, owners=read_owner_choices(owners_path or out),
                              counting=load_counting(rate_basis, progress_basis), statuses=statuses,
                              signed=list(signed) or None, employees=employees)
        write_dispatch(result, out)
        written = []
        if lists_dir is not None:
            from coverage_xl.followup import write_followup_lists

            written = write_followup_lists(result, lists_dir)

    s = result.summary
    table = Table(title=f"调度表（附件5）  统计日期 {as_of.isoformat()}  缴费年度 {s.campaign_year}")
    for head in ("单位", "应覆盖", "已登记", "已缴费", "未登记", "覆盖率", "缴费率", "任务进度", "状态", "排名"):
        table.add_column(head, justify="left" if head in ("单位", "状态") else "right", no_wrap=True)
    prog = result.progress.set_index("unit")
    for name, row in result.annex5.iterrows():
        p = prog.loc[name] if name in prog.index else None
        table.add_row(
            str(name), *(_count(row[k]) for k in ("should_cover", "registered", "paid", "unregistered")), _pct(row["coverage_rate"]), _pct(row["payment_rate"]),
            styled(_pct(p["done_share"]), *((("（超100%）", "yellow"),) if p.get("flag") else ())) if p is not None else "",
            (styled((p["status"], "red")) if p["status"] == LAGGING else str(p["status"])) if p is not None else "",
            str(p["rank"]) if p is not None else "", style="bold" if name == TOTAL_LABEL else None)
    console.print(table)
    info = Table(title="数据比对情况", show_header=False)
    info.add_column("项目")
    info.add_column("数量", justify="right")
    for label, value in s.rows():
        info.add_row(label, str(value))
    console.print(info)
    if len(result.unmatched):
        sample = [i if unmasked else mask_id(i) for i in result.unmatched["id"].head(5)]
        console.print(f"导出中不在摸底表的身份证号（示例）：{'、'.join(sample)}")
    for name, why in s.unit_problems.items():
        console.print(styled(("未计入：", "yellow"), f"{name}：{why}"))
    decided = sum(1 for d in result.batch.duplicates if d.owner)
    if decided:
        console.print(f"按“重复人员”表的归属单位，{decided} 人只计入所定单位。")
    for f in result.batch.owner_findings:
        console.print(styled(("归属单位", "yellow"), f" 重复人员表第{f.row}行：{f.message(masked=not unmasked)}"),
                      soft_wrap=True)
    for w in [*s.warnings, *compare_notes]:
        console.print(styled(("提示：", "yellow"), w))
    for p in s.problems:
        console.print(styled(("无法使用：", "red"), p))
    console.print(f"已写入：{out}（附件5、进度、调度历史、重复参保）")
    if written:
        console.print(f"已生成跟进名单 {len(written)} 个：{lists_dir}")
    sys.exit(1 if s.problems or s.unit_problems else 0)
