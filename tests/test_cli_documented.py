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
    for name, cmd in sorted(group.commands.items()):
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
