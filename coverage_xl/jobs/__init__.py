"""Jobs: put results of the core into files (the master workbook's owned sheets, …).

A job knows files and paths: it takes a finished result from the core, has the writers in
:mod:`coverage_xl.sheets` draw it, and writes it through the output guard. The faces (``cli/``,
``excel.py``) call jobs; the core never does.
"""
