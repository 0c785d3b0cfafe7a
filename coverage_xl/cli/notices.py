"""``coverage-xl notices``: bulletins, unit notices, statements, reason sheets and SMS lists from
templates (a thin face over :func:`coverage_xl.notices.render_notices`)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click
from rich.progress import TaskID
from rich.table import Table

from coverage_xl import guard
from coverage_xl.cli.common import (
    DATE,
    InputPath,
    as_of_option,
    console,
    counting_options,
    handle_errors,
    progress_bar,
    styled,
)
from coverage_xl.counting import load_counting
from coverage_xl.notices.documents import KIND_LABELS, KINDS, render_notices
from coverage_xl.notices.make_templates import copy_builtin
from coverage_xl.notices.render import BUILTIN_DIR

KIND_HELP = "；".join(f"{k}={v}" for k, v in KIND_LABELS.items()) + "；all=全部"


def _files(paths: tuple[Path, ...]) -> list[Path]:
    return [Path(p) for p in paths]


@click.command("notices")
@click.argument("kinds", nargs=-1, type=click.Choice([*KINDS, "all"]), metavar="KIND...")
@click.option("--survey", type=InputPath(), help="各单位附件3摸底明细表所在文件夹（或单个文件）。")
@click.option("-r", "--registrations", multiple=True, type=InputPath(),
              help="参保登记导出（xlsx/xls/csv，或文件夹），可重复。")
@click.option("-p", "--payments", multiple=True, type=InputPath(),
              help="缴费导出（xlsx/xls/csv，或文件夹），可重复。")
@as_of_option
@click.option("--templates", "templates", type=click.Path(file_okay=False, path_type=Path),
              help="自定义模板文件夹：其中有的模板优先使用，没有的用内置模板。")
@click.option("-o", "--output", "out", type=click.Path(file_okay=False, path_type=Path), help="输出文件夹：本次的全部文件写好后整套替换，旧的一套存入旁边的 coverage-xl备份 文件夹；"
                   "文件夹中只能有以前 notices 生成且未被修改的文件。")
@click.option("--months", default=3, show_default=True, type=click.IntRange(1, 24), help="到龄提醒：几个月内年满60周岁。")
@click.option("--deadline", type=DATE, metavar="YYYY-MM-DD", help="督办通知的整改期限（默认下一个时间节点）。")
@click.option("--tier", type=int, help="测算告知书的缴费档次（元/年，默认最低档）。")
@click.option("--params", "params_path", type=InputPath(dir_okay=False),
              help="测算告知书所用的测算参数（.toml，或含“测算参数”表的总表 .xlsx/.xlsm），默认内置的国家标准参数。")
@click.option("--allow-incomplete", is_flag=True,
              help="测算参数有待市局填写的项目时仍生成测算告知书（每页注明参数待填写、结果偏低）；"
                   "默认不生成并以退出码1结束。")
@click.option("--milestones", type=InputPath(dir_okay=False),
              help="时间节点文件（CSV：月-日,比例,说明），默认附件1说明2的两个节点。")
@counting_options
@click.option("--copy-templates", "copy_to", type=click.Path(file_okay=False, path_type=Path),
              help="把内置模板复制到此文件夹供修改（已有的文件不覆盖），然后退出。")
@handle_errors
def command(kinds: tuple[str, ...], survey: Path | None, registrations: tuple[Path, ...], payments: tuple[Path, ...],
            as_of: dt.date | None, templates: Path | None, out: Path | None, months: int, deadline: dt.date | None,
            tier: int | None, params_path: Path | None, allow_incomplete: bool, milestones: Path | None,
            rate_basis: str | None, progress_basis: str | None, signed: tuple[Path, ...], copy_to: Path | None) -> None:
    """按模板生成通报、督办通知、意愿书、原因反馈表、测算告知书和短信名单。

    KIND 可写多个：bulletin 月度通报；unit 督办通知（进度滞后的单位）；sms 缴费提醒短信；turning60 到龄提醒短信；
    statement 不参保意愿书；reasons 未参保原因反馈表；estimate 待遇测算告知书；all 全部。

    退出码：0 完成；1 测算参数有待市局填写的项目、未生成测算告知书（其余照常生成）；2 参数错误或无法运行。
    """
    if copy_to is not None:
        for p in copy_builtin(copy_to):
            console.print(str(p))
        console.print(f"已复制内置模板。修改后用 --templates {copy_to} 生成。")
        return
    if not kinds:
        raise click.UsageError(f"请指定要生成的内容：{KIND_HELP}。")
    if survey is None:
        raise click.UsageError("请用 --survey 指定摸底明细表所在文件夹。")
    if out is None:
        raise click.UsageError("请用 -o 指定输出文件夹。")
    as_of = as_of or dt.date.today()
    guard.declare_inputs(survey, registrations, payments, templates, milestones, signed)
    guard.may_write_folder(out, kind="notices")  # before the dispatch: a folder we may not replace fails fast
    with progress_bar("生成通报") as bar:
        task = bar.add_task("", total=1)
        kind_tasks: dict[str, TaskID] = {}

        def step(label: str, n: int, total: int) -> None:
            bar.update(task, completed=n, total=max(total, 1), description=label)

        def unit_step(kind: str, unit: str, n: int, total: int) -> None:
            """A bar for each document kind written unit by unit (a kind can take a while at city scale)."""
            if kind not in kind_tasks:
                kind_tasks[kind] = bar.add_task("", total=max(total, 1))
            bar.update(kind_tasks[kind], completed=n, total=max(total, 1), description=f"{KIND_LABELS[kind]}：{unit}")

        run = render_notices(kinds, survey, _files(registrations), _files(payments), as_of, out_dir=out,
                             templates=templates, months=months, deadline=deadline, tier=tier,
                             milestones=milestones, progress=step,
                             counting=load_counting(rate_basis, progress_basis), signed=list(signed) or None,
                             params=params_path, allow_incomplete=allow_incomplete, kind_progress=unit_step)
    table = Table(title=f"已生成（统计日期 {as_of.isoformat()}）", show_header=True, header_style="bold")
    table.add_column("内容")
    table.add_column("文件数", justify="right")
    table.add_column("模板", overflow="fold")
    for kind, paths in run.written.items():
        tpl = run.templates.get(kind)
        origin = "" if tpl is None else ("内置：" if tpl.parent == BUILTIN_DIR else "") + tpl.name
        table.add_row(KIND_LABELS[kind], str(len(paths)), origin)
    console.print(table)
    console.print(f"输出文件夹：{out}（个人资料按单位分文件夹存放：{out / '各单位'}）")
    for note in run.notes:
        console.print(note, soft_wrap=True)
    for warning in run.warnings:
        console.print(styled(("注意：", "bold yellow"), warning), soft_wrap=True)
    for why in run.refused:
        console.print(styled(("未生成：", "bold red"), why), soft_wrap=True)
    if run.refused:
        sys.exit(1)
