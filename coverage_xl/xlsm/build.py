"""Build the macro packages: the bureau's master (.xlsm, ribbon tab 城乡居保) and the add-in (.xlam,
tab 城乡居保校验), each with xlwings and our callbacks, through the one package writer."""

from __future__ import annotations

from pathlib import Path

from coverage_xl.xlsm.ovba import build_vba_project
from coverage_xl.xlsm.package import (
    CT_ADDIN_MAIN,
    CT_MACRO_MAIN,
    RibbonParts,
    make_xlsm,
    read_package,
    worksheet_parts,
)
from coverage_xl.xlsm.ribbon import ADDIN_RIBBON, MASTER_RIBBON, Ribbon, load_ribbon_xml
from coverage_xl.xlsm.vba_sources import project_modules


def build_macro_workbook(xlsx: str | Path | bytes, out_path: str | Path, *, update: bool = False) -> Path:
    """Turn an openpyxl-written workbook into the macro-enabled master at ``out_path`` (through the output guard; ``update`` when it replaces a master whose content was carried over).

    Worksheets get code names Sheet1, Sheet2, ... in tab order, each with its document module; the
    project also holds xlwings' module and Dictionary class from the installed xlwings (a
    CoverageError in Chinese if it is missing) and the callback module from ``templates/vba``.
    """
    return _build(xlsx, out_path, MASTER_RIBBON, CT_MACRO_MAIN, kind="master", update=update)


def record_xlwings_version(wb) -> str:
    """Record in ``wb`` (openpyxl, before packaging) the xlwings version the embedded VBA needs, as
    the defined name CXL_XLWINGS_VERSION that ``coverage-xl doctor`` and the 检查环境 button read."""
    from openpyxl.workbook.defined_name import DefinedName

    from coverage_xl.doctor import VERSION_NAME
    from coverage_xl.xlsm.vba_sources import embedded_xlwings_version

    version = embedded_xlwings_version()
    wb.defined_names[VERSION_NAME] = DefinedName(VERSION_NAME, attr_text=f'"{version}"')
    return version


def build_addin_package(xlsx: str | Path | bytes, out_path: str | Path) -> Path:
    """The same, as an Excel add-in (.xlam content type) with the add-in's ribbon and callbacks."""
    return _build(xlsx, out_path, ADDIN_RIBBON, CT_ADDIN_MAIN, kind="addin")


def _build(xlsx: str | Path | bytes, out_path: str | Path, spec: Ribbon, main_type: str, *, kind: str,
           update: bool = False) -> Path:
    raw = xlsx if isinstance(xlsx, bytes) else Path(xlsx).read_bytes()
    codes = [f"Sheet{i}" for i in range(1, len(worksheet_parts(read_package(raw))) + 1)]
    vba_bin = build_vba_project(project_modules(codes, spec=spec))
    return make_xlsm(raw, out_path, vba_bin, RibbonParts.from_xml(load_ribbon_xml(spec)), sheet_code_names=codes,
                     main_type=main_type, kind=kind, update=update)
