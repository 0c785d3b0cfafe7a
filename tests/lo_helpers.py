"""LibreOffice for the tests: find soffice and a Python with UNO, run a UNO job, read Calc's HTML.

Not a stand-in: every helper here drives the real LibreOffice. Tests using it are marked
``@pytest.mark.libreoffice`` and skip when soffice (or, for UNO, Debian's python3-uno) is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
UNO_SCRIPT = HERE / "lo_uno_script.py"


def soffice() -> str | None:
    """The same lookup as the shared conftest (coverage_xl.cli.sample.soffice_binary)."""
    try:
        from coverage_xl.libreoffice import soffice_binary
    except ImportError:  # pragma: no cover
        return shutil.which("soffice") or shutil.which("libreoffice")
    return soffice_binary()


def uno_python() -> str | None:
    """A Python interpreter that can ``import uno`` (Debian's python3-uno lives in the system Python)."""
    candidates = [os.environ.get("CXL_UNO_PYTHON"), "/usr/bin/python3", shutil.which("python3"), sys.executable]
    for exe in candidates:
        if not exe or not Path(exe).exists():
            continue
        try:
            ok = subprocess.run([exe, "-c", "import uno"], capture_output=True, timeout=30, env=_clean_env()).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            continue
        if ok:
            return exe
    return None


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.setdefault("HOME", "/tmp")
    return env


needs_soffice = pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) is not installed")


def require_uno() -> str:
    if soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    exe = uno_python()
    if exe is None:
        pytest.skip("no Python with UNO (apt-get install python3-uno)")
    return exe


def run_uno(files: list[dict], timeout: int = 600) -> list[dict]:
    """Run tests/lo_uno_script.py over ``files`` (see its docstring) and return one result per file."""
    exe = require_uno()
    paths = ("path", "html", "save_as")
    job = {"files": [{**f, **{k: str(f[k]) for k in paths if f.get(k)}} for f in files], "soffice": soffice()}
    proc = subprocess.run([exe, str(UNO_SCRIPT)], input=json.dumps(job), capture_output=True, text=True,
                          timeout=timeout, env=_clean_env())
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)["files"]


def convert(path: Path, fmt: str, out_dir: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    """``soffice --headless --convert-to fmt`` with a private profile (parallel runs do not collide)."""
    profile = out_dir / ".lo-profile"
    return subprocess.run(
        [soffice(), f"-env:UserInstallation=file://{profile}", "--headless", "--norestore", "--convert-to", fmt,
         "--outdir", str(out_dir), str(path)], capture_output=True, text=True, timeout=timeout, env=_clean_env())


class _Grid(HTMLParser):
    """The first table of Calc's HTML export as {(row, col): (text, bgcolor)} with merges resolved."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[tuple[int, int], tuple[str, str]] = {}
        self.tables = 0
        self.row = 0
        self.col = 0
        self.current: list[str] | None = None
        self.attrs: dict[str, str] = {}
        self.taken: set[tuple[int, int]] = set()

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "table":
            self.tables += 1
        if self.tables != 1:
            return
        if tag == "tr":
            self.row += 1
            self.col = 0
        elif tag == "td":
            self.col += 1
            while (self.row, self.col) in self.taken:
                self.col += 1
            self.current, self.attrs = [], a
            rs, cs = int(a.get("rowspan", 1)), int(a.get("colspan", 1))
            for dr in range(rs):
                for dc in range(cs):
                    self.taken.add((self.row + dr, self.col + dc))
            self.span = cs

    def handle_data(self, data):
        if self.current is not None:
            self.current.append(data)

    def handle_endtag(self, tag):
        if tag == "td" and self.current is not None and self.tables == 1:
            self.cells[(self.row, self.col)] = ("".join(self.current).strip(), self.attrs.get("bgcolor", "").upper())
            self.col += self.span - 1
            self.current = None


def html_grid(path: Path) -> dict[tuple[int, int], tuple[str, str]]:
    parser = _Grid()
    parser.feed(Path(path).read_text(encoding="utf-8", errors="replace"))
    return parser.cells
