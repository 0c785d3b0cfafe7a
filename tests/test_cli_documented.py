"""Every CLI command and option is documented (as sqlite-utils checks its own): each command has help
text and its name, and each of its options, appears in README.md or docs/*.md."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from coverage_xl.cli import main

ROOT = Path(__file__).resolve().parents[1]


def commands(group: click.Group = main, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    out = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        path = (*prefix, name)
        out.append((path, cmd))
        if isinstance(cmd, click.Group):
            out += commands(cmd, path)
    return out


def docs_text() -> str:
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


def long_options(cmd: click.Command) -> list[str]:
    names = []
    for p in cmd.params:
        if isinstance(p, click.Option):
            longs = [o for o in (*p.opts, *p.secondary_opts) if o.startswith("--")]
            names += longs or list(p.opts)
    return [n for n in names if n not in ("--help",)]


COMMANDS = commands()


def test_the_commands_are_found():
    assert {("validate",), ("consolidate",), ("dispatch",)} <= {path for path, _ in COMMANDS}


@pytest.mark.parametrize(("path", "cmd"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_command_has_help_and_is_documented(path, cmd):
    assert (cmd.help or "").strip(), f"coverage-xl {' '.join(path)} has no help text"
    assert f"coverage-xl {' '.join(path)}" in docs_text(), f"coverage-xl {' '.join(path)} is in no doc"


@pytest.mark.parametrize(("path", "cmd"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_option_is_documented(path, cmd):
    text = docs_text()
    assert [o for o in long_options(cmd) if o not in text] == []


def reference_markdown() -> str:
    """docs/cli.md: every command with its help text and options (regenerate after adding options:
    ``.venv/bin/python tests/test_cli_documented.py > docs/cli.md``)."""
    import inspect

    out = ["# Command reference\n",
           "Every `coverage-xl` command and option, with the help text the command prints "
           "(`coverage-xl COMMAND --help`).",
           "The guides (README.md, docs/consolidate.md, docs/dispatch.md, …) explain when to use them;",
           "`tests/test_cli_documented.py` fails when a command or option is missing from the docs "
           "(regenerate this page with `.venv/bin/python tests/test_cli_documented.py > docs/cli.md`).\n",
           "Exit codes: 0 done, nothing to report; 1 done, with something the clerk must look at (errors in a",
           "workbook, a unit not counted, an export that could not be used); 2 could not run (bad argument,",
           "unreadable file named on the command line, output that cannot be written). Each command's help "
           "says which.\n"]
    for path, cmd in COMMANDS:
        out.append(f"## `coverage-xl {' '.join(path)}`\n")
        out.append(inspect.cleandoc((cmd.help or "").split("\b")[0]) + "\n")
        rows = [(f"`{p.human_readable_name}`", "参数" + ("（必填）" if p.required else ""))
                for p in cmd.params if isinstance(p, click.Argument)]
        rows += [(", ".join(f"`{o}`" for o in (*p.opts, *p.secondary_opts)),
                  (p.help or "").replace("\n", " ").replace("|", "｜"))
                 for p in cmd.params if isinstance(p, click.Option)]
        if rows:
            out.append("| option | meaning |\n|---|---|")
            out += [f"| {a} | {b} |" for a, b in rows]
            out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    print(reference_markdown())
