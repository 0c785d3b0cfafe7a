"""A fast start: ``coverage-xl --help`` loads no command module and none of the heavy libraries, and
the command list it prints is the commands' own help."""

from __future__ import annotations

import inspect
import subprocess
import sys

import click

from coverage_xl.cli import COMMAND_MODULES, command_help, main

PROBE = """
import sys
from coverage_xl.cli import main
try:
    main(["--help"])
except SystemExit:
    pass
heavy = ("pandas", "numpy", "openpyxl", "python_calamine", "rich", "jinja2", "coverage_xl.validate")
light = ("coverage_xl.cli.usage_errors",)  # click's errors in Chinese: click and re only
print("LOADED", sorted(m for m in sys.modules if m.split(".")[0] in heavy or m.startswith("coverage_xl.cli.")
                       or m in heavy if m not in light))
"""


def test_help_imports_no_command_and_no_heavy_library():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout
    assert "validate" in out and "consolidate" in out  # the list is printed
    assert out.splitlines()[-1] == "LOADED []"


def test_the_listed_help_is_each_commands_own():
    ctx = click.Context(main)
    assert main.list_commands(ctx) == sorted(COMMAND_MODULES)
    for name in COMMAND_MODULES:
        assert command_help(name) == inspect.cleandoc(main.get_command(ctx, name).help), name


def test_an_unknown_command_is_a_usage_error():
    from click.testing import CliRunner

    r = CliRunner().invoke(main, ["no-such-command"])
    assert r.exit_code == 2 and "no-such-command" in r.output


VALIDATE_PROBE = """
import sys
from coverage_xl.cli import main
try:
    main(["validate", sys.argv[1], "--as-of", "2020-09-30"])
except SystemExit as exc:
    print("EXIT", exc.code)
print("LOADED", sorted(m for m in ("pandas", "numpy", "openpyxl", "jinja2", "xlwings", "rich.progress", "stdnum.cn")
                       if m in sys.modules))
"""


def test_validate_checks_a_file_without_loading_pandas_numpy_or_openpyxl(tmp_path):
    from coverage_xl import synth

    folder = tmp_path / "units"
    synth.write_sample_folder(folder, 60, seed=3, errors_per_unit=1)
    book = next(p for p in sorted(folder.glob("*.xlsx")) if not p.name.startswith("~$"))
    out = subprocess.run([sys.executable, "-c", VALIDATE_PROBE, str(book)], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out[-2:] == ["EXIT 1", "LOADED []"]  # one planted error: exit 1, and none of them was needed
