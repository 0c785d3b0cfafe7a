"""The ``coverage-xl`` command line: a thin face over the library.

Each command lives in its own module in this package, parses arguments, calls one library
function, prints with rich, and exits with the documented code. Library errors
(:class:`coverage_xl.errors.CoverageError`) become a Chinese message on stderr, never a traceback.
"""

from __future__ import annotations

import importlib

import click

from coverage_xl import __version__

# Command modules, each defining a click command named ``command``. Add new ones here.
COMMAND_MODULES = (
    "validate",
    "consolidate",
    "dispatch",
    "templates",
    "master",
    "notices",
    "estimate",
    "prefill",
    "sample",
    "ledger",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="coverage-xl")
def main() -> None:
    """coverage-xl：沅江市城乡居保全覆盖专项行动的摸底表校验、汇总、调度与通报工具。"""


for _name in COMMAND_MODULES:
    main.add_command(importlib.import_module(f"coverage_xl.cli.{_name}").command)
