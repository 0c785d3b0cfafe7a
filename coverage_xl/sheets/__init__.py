"""openpyxl writers for the annex sheets and the master workbook's other sheets."""
