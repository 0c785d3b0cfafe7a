"""The macro-enabled master workbook: VBA project writer, ribbon, and package assembly.

Public entry points:

* :func:`build_macro_workbook` (xlsx -> master .xlsm with ribbon, xlwings and callbacks);
* :func:`save_preserving` (every later write of the master through openpyxl);
* :func:`make_xlsm`, :func:`build_vba_project`, :func:`read_vba_project` for lower-level use.
"""

from coverage_xl.xlsm.build import build_macro_workbook
from coverage_xl.xlsm.ovba import VbaModule, build_vba_project, read_vba_project
from coverage_xl.xlsm.package import make_xlsm
from coverage_xl.xlsm.preserve import save_preserving

__all__ = ["VbaModule", "build_macro_workbook", "build_vba_project", "make_xlsm", "read_vba_project", "save_preserving"]
