"""Shared test fixtures: LibreOffice helpers and one generated 14-unit folder for the whole session.

* :func:`require_soffice` / fixture ``soffice``: the soffice binary, or skip the test.
* :func:`libreoffice_convert` ``(path, fmt, outdir)``: convert with LibreOffice headless (xls, ods,
  xlsx, csv, ``csv:Text - txt - csv (StarCalc):44,34,76,1``…), return the new file; skips without soffice.
* fixture ``unit_folder`` (session): a realistic, deterministic folder of the 14 units' Annex 3
  submissions (~600 rows, planted mistakes of every kind, one cross-unit duplicate, an .xls and an
  .ods member when LibreOffice is present, instructions sheets, a file whose name hides its unit) and
  the truth behind every row. **Read-only**: tests that change files use ``unit_folder_copy``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from coverage_xl.libreoffice import convert_with_libreoffice, soffice_binary
from coverage_xl.synth import SampleUnit, build_sample_folder

UNIT_FOLDER_ROWS = 600
UNIT_FOLDER_SEED = 2020


def require_soffice() -> str:
    """The soffice binary; skip the calling test when LibreOffice is not installed."""
    exe = soffice_binary()
    if exe is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    return exe


def libreoffice_convert(path: str | Path, fmt: str, outdir: str | Path) -> Path:
    """Convert ``path`` to ``fmt`` into ``outdir`` with LibreOffice headless; skip without soffice."""
    require_soffice()
    return convert_with_libreoffice(Path(path), fmt, Path(outdir))


@pytest.fixture
def soffice() -> str:
    return require_soffice()


@dataclass
class UnitFolder:
    """A generated folder of unit submissions and the truth behind it."""

    path: Path
    units: dict[str, SampleUnit]  # by unit name, Annex 1 order
    legacy: bool  # True when the .xls/.ods members were made by LibreOffice

    def files(self) -> list[Path]:
        return sorted(p for p in self.path.iterdir() if p.is_file())


@pytest.fixture(scope="session")
def unit_folder(tmp_path_factory: pytest.TempPathFactory) -> UnitFolder:
    folder = tmp_path_factory.mktemp("units") / "units"
    units = build_sample_folder(folder, UNIT_FOLDER_ROWS, seed=UNIT_FOLDER_SEED)
    legacy = any(su.path.suffix in (".xls", ".ods") for su in units.values())
    return UnitFolder(folder, units, legacy)


@pytest.fixture
def unit_folder_copy(unit_folder: UnitFolder, tmp_path: Path) -> UnitFolder:
    """A private copy of the session folder that a test may change (same truth, new paths)."""
    target = tmp_path / "units"
    shutil.copytree(unit_folder.path, target)
    units = {n: SampleUnit(su.unit, target / su.path.name, su.people, su.planted) for n, su in unit_folder.units.items()}
    return UnitFolder(target, units, unit_folder.legacy)


# Tests that drive LibreOffice (conversions, rendering, UNO) or kill subprocesses are marked ``slow``:
# `make test` runs them all, `make test-fast` (``-m "not slow"``) leaves them out for the inner loop.
SLOW_MODULES = ("test_nothing_lost.py", "test_bad_input.py")
SLOW_FIXTURES = ("soffice", "lo_corpus")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        name = item.path.name
        if (name.endswith("_libreoffice.py") or name in SLOW_MODULES or item.get_closest_marker("libreoffice")
                or any(f in getattr(item, "fixturenames", ()) for f in SLOW_FIXTURES)):
            item.add_marker(pytest.mark.slow)
