"""coverage-xl: run a county's pension full-coverage campaign in the spreadsheets its people use.

The library works on files and DataFrames; the CLI (:mod:`coverage_xl.cli`) and the Excel layer
(:mod:`coverage_xl.excel`, the only module that imports xlwings) are thin faces over it.
"""

__version__ = "0.1.0"
