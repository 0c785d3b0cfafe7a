"""Build the bureau's master workbook as .xlsm: ribbon tab 城乡居保 + xlwings + our callbacks."""

from __future__ import annotations

from pathlib import Path

from coverage_xl.xlsm.ovba import build_vba_project
from coverage_xl.xlsm.package import RibbonParts, make_xlsm, read_package, worksheet_parts
from coverage_xl.xlsm.ribbon import load_ribbon_xml
from coverage_xl.xlsm.vba_sources import project_modules


def build_macro_workbook(xlsx: str | Path | bytes, out_path: str | Path) -> Path:
    """Turn an openpyxl-written workbook into the macro-enabled master at ``out_path`` (atomic write).

    Worksheets get code names Sheet1, Sheet2, ... in tab order, each with its document module; the
    project also holds xlwings' module and Dictionary class from the installed xlwings (a
    CoverageError in Chinese if it is missing) and the callback module from ``templates/vba``.
    """
    raw = xlsx if isinstance(xlsx, bytes) else Path(xlsx).read_bytes()
    codes = [f"Sheet{i}" for i in range(1, len(worksheet_parts(read_package(raw))) + 1)]
    vba_bin = build_vba_project(project_modules(codes))
    return make_xlsm(raw, out_path, vba_bin, RibbonParts.from_xml(load_ribbon_xml()), sheet_code_names=codes)
