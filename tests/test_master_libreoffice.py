"""The master .xlsm opens in LibreOffice headless (through UNO: loaded, every sheet there, the VBA
modules imported into its Basic library) and converts without error."""

from __future__ import annotations

import pytest
from lo_helpers import convert, needs_soffice, run_uno

from coverage_xl.master import SHEET_ORDER, build_master

pytestmark = pytest.mark.libreoffice


@pytest.fixture(scope="module")
def master(tmp_path_factory):
    return build_master(tmp_path_factory.mktemp("lo-master") / "总表.xlsm")


def test_master_opens_in_libreoffice_with_sheets_and_modules(master):
    [res] = run_uno([{"path": master, "invalid": False}])
    assert res["loaded"] and "error" not in res, res
    assert res["sheets"] == list(SHEET_ORDER)
    modules = {m for mods in res.get("basic", {}).values() for m in mods}
    assert "CoverageXL" in modules, res.get("basic")


@needs_soffice
def test_master_converts_headless_without_error(master, tmp_path):
    proc = convert(master, "ods", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "总表.ods").stat().st_size > 0
