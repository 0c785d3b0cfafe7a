"""Running the CLI in tests: in-process (click's CliRunner) or in a measured subprocess."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from coverage_xl.cli import main

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    code: int
    output: str  # stdout and stderr together
    seconds: float = 0.0
    max_rss_mb: float = 0.0


def cli(*args: object) -> Run:
    """Invoke ``coverage-xl`` in-process. A Python exception escaping the command (anything but
    SystemExit) fails the test with the traceback: no traceback may ever reach a user."""
    runner = CliRunner()
    t0 = time.perf_counter()
    result = runner.invoke(main, [str(a) for a in args], catch_exceptions=True)
    elapsed = time.perf_counter() - t0
    output = result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        tb = "".join(traceback.format_exception(result.exception))
        pytest.fail(f"coverage-xl {' '.join(map(str, args))} raised {result.exception!r}\n{tb}\n{output}")
    assert "Traceback (most recent call last)" not in output, output
    return Run(result.exit_code, output, elapsed)


def _peak_of(text: str) -> float:
    import re

    m = re.search(r"__PEAK_RSS_KB=(\d+)", text)
    return int(m.group(1)) / 1024 if m else 0.0


def cli_measured(*args: object, timeout: float = 300) -> Run:
    """Like :func:`cli_process`, but the child prints its own peak RSS when it exits."""
    # VmHWM is this process's own high-water mark; ru_maxrss would also count the RSS of the (large)
    # pytest process it was forked from, which Linux carries across exec.
    snippet = ("import atexit, resource, sys\n"
               "def _peak():\n"
               "    try:\n"
               "        for line in open('/proc/self/status'):\n"
               "            if line.startswith('VmHWM:'):\n"
               "                return int(line.split()[1])\n"
               "    except OSError:\n"
               "        pass\n"
               "    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
               "atexit.register(lambda: print(f'__PEAK_RSS_KB={_peak()}'))\n"
               "from coverage_xl.cli import main\n"
               "main()\n")
    cmd = [sys.executable, "-c", snippet, *[str(a) for a in args]]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, cwd=ROOT, timeout=timeout,
                          env={**os.environ, "COLUMNS": "200"})
    text = proc.stdout.decode("utf-8", "replace") + proc.stderr.decode("utf-8", "replace")
    assert "Traceback (most recent call last)" not in text, text
    return Run(proc.returncode, text, time.perf_counter() - t0, _peak_of(text))


def said(run: Run, text: str) -> bool:
    """The message is in the output (the console may wrap long lines)."""
    return re.sub(r"\s", "", text) in re.sub(r"\s", "", run.output)


def sha(path: Path) -> str:
    """SHA-256 of a file: "byte-identical afterwards" in the output-guard tests."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def digest(folder: Path) -> dict[str, str]:
    """name -> SHA-256 of every file under ``folder``."""
    return {str(p.relative_to(folder)): sha(p) for p in sorted(folder.rglob("*")) if p.is_file()}
