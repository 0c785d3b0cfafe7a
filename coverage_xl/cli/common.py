"""Helpers shared by the CLI commands: dates, the console, error handling.

Printing: the two consoles never read rich markup or emoji codes, so a cell value, a file name or a
message such as ``[/]``, ``[bold]`` or ``:smile:`` is printed exactly as it is (a stray ``[/]`` used to
crash the text report). Colour is asked for explicitly with :func:`styled` — ``("错误：", "bold red")``
parts — never by writing tags into a string.
"""

from __future__ import annotations

import datetime as dt
import functools
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.text import Text

from coverage_xl import guard
from coverage_xl.errors import CoverageError

if TYPE_CHECKING:
    from rich.progress import Progress

console = Console(highlight=False, markup=False, emoji=False)
err_console = Console(stderr=True, highlight=False, markup=False, emoji=False)

Part = str | tuple[str, str]


def styled(*parts: Part) -> Text:
    """Literal text, with a style only where a ``(text, style)`` part asks for one.

    >>> styled(("错误：", "bold red"), "[/]不是标记").plain
    '错误：[/]不是标记'
    """
    return Text.assemble(*(p if isinstance(p, tuple) else str(p) for p in parts))


def progress_bar(label: str = "", *, transient: bool | None = None) -> Progress:
    """The one progress display: ``label`` in bold, a bar, n/N, the current item (a file name shown
    literally), the time taken. rich.progress is imported here: ``validate`` shows no bar.

    On stderr, so that what a command prints on stdout (its result) stays clean when redirected;
    drawn only when stderr is a terminal (a log or a pipe gets nothing)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = [TextColumn(label, style="bold", markup=False)] if label else []
    return Progress(*columns, BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}", markup=False),
                    TimeElapsedColumn(), console=err_console,
                    transient=(not err_console.is_terminal) if transient is None else transient)


FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2099, 12, 31)
"""Dates the campaign can mean: outside them ages, milestones and file dates make no sense (and date
arithmetic near year 1 or 9999 overflows)."""


class DateType(click.ParamType):
    """The one date option type: 2020-09-30 (also 2020/9/30, 20200930, 2020年9月30日), between
    :data:`FIRST_DAY` and :data:`LAST_DAY`; anything else is a Chinese usage error (exit 2)."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        from coverage_xl.values import parse_date as read_date

        day = read_date(value) if isinstance(value, dt.date | str) else None
        if day is None:
            self.fail(f"日期“{value}”无法识别，请写成 2020-09-30 的形式。", param, ctx)
        if not FIRST_DAY <= day <= LAST_DAY:
            self.fail(f"日期“{value}”超出范围：只能是 {FIRST_DAY:%Y-%m-%d} 至 {LAST_DAY:%Y-%m-%d} 之间的日期。", param, ctx)
        return day


DATE = DateType()


def parse_date(ctx: click.Context | None, param: click.Parameter | None, value: str | None) -> dt.date | None:
    """The same rule as a click callback (for options declared with ``callback=``)."""
    return None if value is None else DATE.convert(value, param, ctx)


class InputPath(click.Path):
    """An input file or folder: it must exist, be a regular file or a folder (a pipe or a device would
    block the run or read forever), and a folder must not be empty."""

    def __init__(self, *, dir_okay: bool = True) -> None:
        super().__init__(exists=True, dir_okay=dir_okay, path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        path = Path(super().convert(value, param, ctx))
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            self.fail(f"无法读取“{path}”：{exc.strerror or exc}。", param, ctx)
        if stat.S_ISDIR(mode):
            if not any(not p.name.startswith(".") for p in path.iterdir()):
                self.fail(f"文件夹“{path}”是空的，没有可读取的文件。", param, ctx)
        elif not stat.S_ISREG(mode):
            self.fail(f"“{path}”不是普通文件（是管道、设备或套接字），不能作为输入。", param, ctx)
        return path


as_of_option = click.option("--as-of", "as_of", type=DATE, metavar="YYYY-MM-DD",
                            help="统计日期（默认今天，须在2000-01-01至2099-12-31之间），用于年龄、里程碑和文件日期。")
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
    names = "、".join(str(p) for p in written[:5]) + (f" 等 {len(written)} 个" if len(written) > 5 else "")
    return f"已中断：已写完的输出为 {names}（旧版本在 coverage-xl备份 文件夹中）；其余输出文件未改动。"


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library errors into a Chinese message and the documented exit code, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with guard.session() as run:
            try:
                return func(*args, **kwargs)
            except CoverageError as exc:
                err_console.print(styled(("错误：", "bold red"), str(exc)), soft_wrap=True)
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
