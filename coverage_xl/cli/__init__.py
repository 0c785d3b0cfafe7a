"""The ``coverage-xl`` command line: a thin face over the library.

Each command lives in its own module in this package, parses arguments, calls one library
function, prints with rich, and exits with the documented code. Library errors
(:class:`coverage_xl.errors.CoverageError`) become a Chinese message on stderr, never a traceback;
click's own usage errors are shown in Chinese too (:mod:`coverage_xl.cli.usage_errors`).

Every CLI call (and every ribbon click) starts a new Python, so start-up counts: a command's module
is imported only when that command runs. ``coverage-xl --help`` lists the commands from the
docstrings in the modules' source, read without importing them (pandas, openpyxl and the library
are not loaded to print a list).
"""

from __future__ import annotations

import ast
import importlib
from functools import cache
from pathlib import Path

import click

from coverage_xl import __version__
from coverage_xl.cli.usage_errors import ChineseGroup

# Command modules, each defining a click command (or group) named ``command`` whose name is the
# module's name. Add new ones here.
COMMAND_MODULES = (
    "validate",
    "consolidate",
    "dispatch",
    "templates",
    "master",
    "addin",
    "doctor",
    "notices",
    "estimate",
    "prefill",
    "sample",
    "ledger",
)


@cache
def command_help(name: str) -> str:
    """The docstring of ``command`` in ``cli/<name>.py``, read from the source (no import)."""
    tree = ast.parse((Path(__file__).parent / f"{name}.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "command":
            return ast.get_docstring(node) or ""
    return ""


class LazyGroup(ChineseGroup):
    """A group that imports a command's module only when the command is asked for (and shows click's
    errors in Chinese, see :class:`ChineseGroup`)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMAND_MODULES, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMAND_MODULES and cmd_name not in self.commands:
            self.add_command(importlib.import_module(f"coverage_xl.cli.{cmd_name}").command, cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = [(n, click.utils.make_default_short_help(command_help(n).split("\b")[0], limit)) for n in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="coverage-xl")
def main() -> None:
    """coverage-xl：沅江市城乡居保全覆盖专项行动的摸底表校验、汇总、调度与通报工具。"""
