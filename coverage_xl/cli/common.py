"""Helpers shared by the CLI commands: dates, the console, error handling."""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

from coverage_xl import guard
from coverage_xl.errors import CoverageError

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def parse_date(_ctx: click.Context | None, _param: click.Parameter | None, value: str | None) -> dt.date | None:
    """--as-of YYYY-MM-DD (also 2020/9/30, 20200930, 2020年9月30日)."""
    if value is None:
        return None
    from coverage_xl.values import parse_date as read_date

    day = read_date(value)
    if day is None:
        raise click.BadParameter(f"日期“{value}”无法识别，请写成 2020-09-30 的形式。")
    return day


as_of_option = click.option("--as-of", "as_of", callback=parse_date, metavar="YYYY-MM-DD",
                            help="统计日期（默认今天），用于年龄、里程碑和文件日期。")
unmasked_option = click.option("--unmasked", is_flag=True, default=False,
                               help="显示完整的身份证号码和电话（默认打码）。")


def counting_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--rate-basis and --progress: the bureau's counting choices (default data/counting.toml)."""
    from coverage_xl.counting import PROGRESS_BASES, RATE_BASES

    func = click.option("--progress", "progress_basis", type=click.Choice(list(PROGRESS_BASES)), default=None,
                        help="任务完成进度口径：registered 已登记（默认）；paid 已缴费；signed 已登记+拒绝参保并签订意愿书"
                             "（意愿书由 --signed 指定的跟进名单“是否签订意愿书”列给出）。")(func)
    func = click.option("--rate-basis", "rate_basis", type=click.Choice(list(RATE_BASES)), default=None,
                        help="参保缴费率（附件5第8列）口径：payers_due 第5列÷应缴费人数（默认，扣除领取待遇且未缴费人员）；"
                             "registered 第5列÷第4列。")(func)
    return click.option("--signed", "signed", multiple=True, type=click.Path(exists=True, path_type=Path),
                        help="各单位交回的跟进名单（文件或文件夹，可重复），读取其中“是否签订意愿书”列。")(func)


def interrupted_message(written: list) -> str:
    """What Ctrl-C left behind: only what the guard really replaced is named (each write is atomic)."""
    if not written:
        return "已中断：输出文件未改动。"
    names = "、".join(escape(str(p)) for p in written[:5]) + (f" 等 {len(written)} 个" if len(written) > 5 else "")
    return f"已中断：已写完的输出为 {names}（旧版本在 coverage-xl备份 文件夹中）；其余输出文件未改动。"


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library errors into a Chinese message and the documented exit code, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with guard.session() as run:
            try:
                return func(*args, **kwargs)
            except CoverageError as exc:
                err_console.print(f"[bold red]错误：[/]{escape(str(exc))}", soft_wrap=True)
                sys.exit(exc.exit_code)
            except KeyboardInterrupt:
                err_console.print(interrupted_message(run.written), soft_wrap=True)
                sys.exit(130)

    return wrapper


class MultiPathCommand(click.Command):
    """Let ``--registrations a.csv b.xlsx`` take several paths: each following argument that is not
    an option is given its own ``--registrations`` before click parses (repeating the option works too).
    Subclasses name their multi-path options in ``multi_options``."""

    multi_options: tuple[str, ...] = ()

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        out: list[str] = []
        current: str | None = None
        for a in args:
            if a == "--":
                current = None
                out.append(a)
                continue
            if a.startswith("-") and a != "-":
                name = a.split("=", 1)[0]
                current = name if name in self.multi_options else None
                out.append(a)
                continue
            if current is not None and out and out[-1] != current:
                out.append(current)  # after --registrations=x, or a second path
            out.append(a)
        return super().parse_args(ctx, out)
