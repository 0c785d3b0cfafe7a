"""The per-row check column of the unit templates: one formula per row that names its first problem.

Data validation does not run on paste, and a paste replaces the pasted cells' conditional formats, so
the template also carries a column after 备注 whose formula re-checks the row from its values and
returns the Chinese title of the first problem (the same titles as :mod:`coverage_xl.codes`), or 0,
which the cells' number format (``;;;@``) shows as nothing. Two counts at the top of that column
survive any paste of values into A:T: rows with a problem (check cells holding a text), and rows whose
check cell no longer holds the formula (ISFORMULA).

Why the column is built the way it is (issue 15: a full 琼湖街道 template must open and take an edit in
LibreOffice within 1.5× a plain sheet with the same data; measured in ``benchmarks/templates.py``):

* The formula lives once, in the sheet's defined name 行检查 (references sheet-qualified, column
  absolute, row relative: in a defined name they count from A1, so in U6 it checks row 6); every check
  cell holds ``=行检查``. Calc gives every formula cell its own copy of its tokens, and an application
  that saves the file (Calc does) writes each cell's formula in full: with the 5,000-character formula
  in the cells, a full template saved by Calc was 220 MB of XML and took 4× a plain sheet to open.
* A clean row gives 0, not "": LibreOffice treats a cached empty text as "no cached result" when it
  opens an .xlsx, so every clean row of a saved file was dirty, and the first edit, which recalculates
  the problem count at the top, computed all 33,740 checks (2–4 s). A cached 0 is kept, so an edit
  computes the edited row and the counts only.
* The template as written carries the results it knows (blank rows: 0; with no people, the counts
  and the 合计 row too; :class:`coverage_xl.sheets.cells.Formula`), so opening computes nothing.
  Filled rows of a pre-filled list have no cached result: they are computed on the first edit.

* No array constants, no INDIRECT, no volatile function (TODAY): a volatile function recalculates
  every row on every edit of a 35,000-row sheet. The ID check character comes from two DECIMAL
  calls (the body read in base 13, see :func:`id_sum`) rather than 17 MIDs.
* Conditions test the common, correct form first and alone (IF short-circuits), and the slow forms
  are reached only by rows that need them.
* No per-row COUNTIF over the whole ID column for duplicates (O(n²) on each edit of column D): the
  ID column has Excel's native duplicate-values conditional format instead, and the Python validator
  reports the rows.
* IF chains short-circuit in Excel, WPS and LibreOffice, so a blank row costs one COUNTA.

The Python validator stays the authority: these formulas mirror its rules for what can be checked
cheaply inside the sheet (not the address code, age or a birth date after the day of checking), in
the validator's order (unit, ID, name, 出生年月, category, willingness, phone).
"""

from __future__ import annotations

from copy import copy

from openpyxl.cell.cell import Cell
from openpyxl.styles import Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.worksheet import Worksheet

from coverage_xl.codes import rule
from coverage_xl.layout import ANNEX3, IN_SCOPE, REASON_KEYS
from coverage_xl.sheets.cells import Formula, write_formula, write_value
from coverage_xl.sheets.frame import BORDER, CENTER, FONT_NAME
from coverage_xl.units import CITY_CODE, CITY_NAME, Unit

CHECK_HEADER = "自动检查，请勿填写"
CHECK_NAME = "行检查"  # the sheet's defined name holding the check formula; every check cell is =行检查
CLEAN = "0"  # what the formula gives for a row without problem (and a blank row)
CLEAN_RESULT = 0
CHECK_NUMBER_FORMAT = ";;;@"  # numbers (the clean 0) show as nothing, texts (the problems) as they are
CHECK_COLUMN = ANNEX3.width + 1  # U: right after 备注
TICK_MARKS = ("√", "✓", "✔")
EARLIEST_BIRTH_YEAR = 1890  # idcard.EARLIEST_BIRTH
CHECK_WIDTH = 24
CHECK_FILL = PatternFill("solid", fgColor="EDEDED")
CHECK_FONT = Font(name=FONT_NAME, size=10, color="C00000")
CHECK_HEADER_FONT = Font(name=FONT_NAME, size=10, bold=True, color="595959")
COUNT_FONT = Font(name=FONT_NAME, size=10, bold=True, color="C00000")

# The codes this column reports, in the order the formula tests them.
CODES = (
    "unit.mismatch", "id.missing", "id.numeric", "id.legacy15", "id.format", "id.birthdate", "id.checksum",
    "name.missing", "birth.missing", "birth.mismatch", "category.value", "category.none", "category.conflict",
    "category.other_detail", "willing.value", "willing.missing", "willing.unexpected", "phone.format",
)


def message(code: str) -> str:
    """What the check cell says for ``code``: the rule's Chinese title (one source: codes.py)."""
    return rule(code).title


def _q(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _refs(row: int, sheet: str | None = None) -> dict[str, str]:
    """Each Annex 3 column's cell in ``row``; with ``sheet``, as a defined name holds them:
    sheet-qualified, column absolute, row relative ('附件3'!$C1)."""
    prefix = "" if sheet is None else "'" + sheet.replace("'", "''") + "'!$"
    return {c.key: f"{prefix}{c.letter}{row}" for c in ANNEX3.columns}


def _span(first: str, last: str) -> str:
    """first:last with the sheet written once ('附件3'!$C1:$T1, as Excel writes a range)."""
    return f"{first}:{last.rsplit('!', 1)[-1]}"


def id_sum(cell: str) -> str:
    """The ISO 7064 MOD 11-2 sum of the ID body modulo 11, in two function calls instead of 17.

    The sum is S = Σ aᵢ·2^(18−i) = 2·Σ aᵢ·2^(17−i). Read as a number in base 13, the body is
    Σ aᵢ·13^(17−i), and 13 ≡ 2 (mod 11), so both agree modulo 11. DECIMAL(…, 13) reads it in two pieces
    that stay exact in a double: the first 9 digits (times 13⁸ ≡ 3) and the last 8. A character that is
    not a base-13 digit makes it an error; the letters A–C are caught by :func:`id_body_bad`."""
    return (f"MOD(2*(3*_xlfn.DECIMAL(LEFT({cell},9),13)+_xlfn.DECIMAL(MID({cell},10,8),13)),11)")


def id_body_bad(cell: str) -> str:
    """TRUE when the first 17 characters are not 17 digits, or the last is not a digit or X."""
    return (f'OR(ISERROR({id_sum(cell)}),NOT(ISNUMBER(-LEFT({cell},17))),'
            f'ISERROR(FIND(UPPER(RIGHT({cell})),"0123456789X")))')


def id_check_char(cell: str) -> str:
    """The check character the 17 digits call for ("#" when they are not digits)."""
    return f'IFERROR(MID("10X98765432",{id_sum(cell)}+1,1),"#")'


def id_date_bad(cell: str) -> str:
    """TRUE when the birth date inside an 18-character ID does not exist (or is before 1890)."""
    y, m, d = f"MID({cell},7,4)", f"(MID({cell},11,2)*1)", f"(MID({cell},13,2)*1)"
    return f"OR({m}<1,{m}>12,{d}<1,{d}>DAY(DATE({y},{m}+1,0)),{y}<{EARLIEST_BIRTH_YEAR})"


def id_legacy(cell: str) -> str:
    return f'AND(LEN({cell})=15,ISNUMBER(-{cell}),ISERROR(FIND(".",{cell})),ISERROR(SEARCH("e",{cell})))'


def birth_mismatch(birth: str, id_cell: str) -> str:
    """TRUE when 出生年月 does not read as the ID's year and month.

    The usual form (1965.03) is tested first and alone (IF short-circuits). Otherwise accepted like
    values.parse_birth_month: 1965.3, 1965-03, 1965/3, 196503, 19650315, 1965年3月, 1965年3月15日,
    1965.03.15, a date cell, and a number 1965.03 or 1965.1 (which may be a 1965.10 whose zero Excel
    dropped). 年 and 月 become dots, so every dotted form is matched by its prefix up to the dot after
    the month."""
    y, mm = f"MID({id_cell},7,4)", f"MID({id_cell},11,2)"
    m1 = f"({mm}*1)"
    n = f'{birth}&""'
    for old, new in (("年", "."), ("月", "."), ("/", "."), ("-", ".")):  # what follows the month is not read
        n = f'SUBSTITUTE({n},"{old}","{new}")'
    text_ok = (f'OR(LEFT({n}&".",8)={y}&"."&{mm}&".",LEFT({n}&".",LEN({m1})+6)={y}&"."&{m1}&".",'
               f"AND(OR(LEN({n})=6,LEN({n})=8),LEFT({n},6)={y}&{mm}))")
    number_ok = (f"IF(AND({birth}>=3000,{birth}<=80000),AND(YEAR({birth})={y}*1,MONTH({birth})={m1}),"
                 f"OR(ABS({birth}-{y}-{m1}/100)<0.001,AND({m1}<10,ABS({birth}-{y}-{m1}/10)<0.001)))")
    slow = f"NOT(IF(ISNUMBER({birth}),OR({number_ok},{text_ok}),{text_ok}))"
    return f'IF({birth}&""={y}&"."&{mm},FALSE,{slow})'


def phone_bad(cell: str) -> str:
    """TRUE for a number written with digits only whose length or start no phone has: a mobile is
    1[3-9] plus 9 digits (so a 10-digit "mobile" is caught), a landline 7–8 digits starting 2–9, with an
    area code 0xx(x) before it. Numbers with '-', spaces, brackets, '+86' or several numbers are left
    to the Python validator. An 11-digit mobile is judged first and alone."""
    n = f"LEN({cell})"
    first = f"LEFT({cell},1)"
    digits = f'AND(ISNUMBER(-{cell}),ISERROR(FIND(".",{cell})),ISERROR(SEARCH("e",{cell})),ISERROR(FIND("+",{cell})))'
    ok = (f'IF({first}="1",AND({n}=11,MID({cell},2,1)>="3"),'
          f'IF({first}="0",OR(AND({n}>=10,{n}<=11,MID({cell},4,1)>="2"),AND({n}>=11,{n}<=12,MID({cell},5,1)>="2")),'
          f'IF(AND({n}=13,LEFT({cell},2)="86"),TRUE,OR({n}=7,{n}=8))))')
    return f'IF({cell}="",FALSE,IF({digits},NOT({ok}),FALSE))'


def _ticks(first: str, last: str) -> str:
    return "+".join(f'COUNTIF({_span(first, last)},"{m}")' for m in TICK_MARKS)


def row_check_formula(row: int, unit: Unit | None, sheet: str | None = None) -> str:
    """The check formula of data row ``row`` (without '='): the first problem's title, or 0 (shown as
    nothing, see :data:`CHECK_NUMBER_FORMAT`); with ``sheet``, written as the defined name
    :data:`CHECK_NAME` holds it (see :func:`check_name_formula`).

    A chain of IF(condition, message, …) in the order of :data:`CODES`; where one condition decides
    between two messages the "message" is itself an IF. Conditions test the common, correct case first
    so that a clean row evaluates as little as possible."""
    c = _refs(row, sheet)
    d, g, p, q = c["id"], c[IN_SCOPE], c[REASON_KEYS[-2]], c[REASON_KEYS[-1]]
    willing = c["willing"]
    m = {code: _q(message(code)) for code in CODES}
    tests: list[tuple[str, str]] = []
    if unit is not None:
        a, b = c["code"], c["region"]
        bad_code = f'AND({a}&""<>"",{a}&""<>"{CITY_CODE}",{a}&""<>"{unit.code}")'
        bad_region = f'AND({b}&""<>"",{b}&""<>"{unit.name}",{b}&""<>"{CITY_NAME}{unit.name}")'
        tests.append((f"OR({bad_code},{bad_region})", m["unit.mismatch"]))
    tests += [
        (f'{d}=""', m["id.missing"]),
        (f"ISNUMBER({d})", m["id.numeric"]),
        (f"LEN({d})<>18", f'IF({id_legacy(d)},{m["id.legacy15"]},{m["id.format"]})'),
        (f"OR({id_check_char(d)}<>UPPER(RIGHT({d})),NOT(ISNUMBER(-LEFT({d},17))))",
         f'IF({id_body_bad(d)},{m["id.format"]},IF({id_date_bad(d)},{m["id.birthdate"]},{m["id.checksum"]}))'),
        (id_date_bad(d), m["id.birthdate"]),
        (f'{c["name"]}=""', m["name.missing"]),
        (f'{c["birth"]}=""', m["birth.missing"]),
        (birth_mismatch(c["birth"], d), m["birth.mismatch"]),
        (f'IF(COUNTA({_span(g, p)})=COUNTIF({_span(g, p)},"{TICK_MARKS[0]}"),FALSE,COUNTA({_span(g, p)})>{_ticks(g, p)})',
         m["category.value"]),
        (f"COUNTA({_span(g, q)})<>1",
         f'IF(COUNTA({_span(g, q)})=0,{m["category.none"]},{m["category.conflict"]})'),
        (f'OR({q}="{TICK_MARKS[0]}",{q}="{TICK_MARKS[1]}",{q}="{TICK_MARKS[2]}")', m["category.other_detail"]),
        (f'IF({willing}="",FALSE,AND({willing}<>"是",{willing}<>"否"))', m["willing.value"]),
        (f'AND({g}<>"",{willing}="")', m["willing.missing"]),
        (f'AND({g}="",{willing}<>"")', m["willing.unexpected"]),
        (phone_bad(c["phone"]), m["phone.format"]),
    ]
    formula = CLEAN
    for cond, value in reversed(tests):
        formula = f"IF({cond},{value},{formula})"
    return f'IF(COUNTA({_span(c["name"], c["remark"])})=0,{CLEAN},{formula})'


def check_letter() -> str:
    return get_column_letter(CHECK_COLUMN)


def problem_count_formula(first: int, last: int) -> str:
    """Top of the column: how many rows have a problem (check cells holding a text; a clean row's 0
    is not one). O(rows) per edit, and it reads cached results: only the edited row is computed."""
    rng = f"{check_letter()}{first}:{check_letter()}{last}"
    return f'="有问题的行："&SUMPRODUCT(--ISTEXT({rng}))'


def overwritten_count_formula(first: int, last: int) -> str:
    """Top of the column: rows whose check cell is not the formula any more (pasted over, cleared,
    or a new row inserted without it). ISFORMULA is an Excel 2013 function: in the file it is written
    with its ``_xlfn.`` prefix, as Excel itself stores it."""
    rng = f"{check_letter()}{first}:{check_letter()}{last}"
    return f'="检查公式缺失的行："&(ROWS({rng})-SUMPRODUCT(--_xlfn.ISFORMULA({rng})))'


def check_name_formula(sheet: str, unit: Unit | None) -> str:
    """What the defined name :data:`CHECK_NAME` holds: the check formula of row 1, its references
    sheet-qualified, column absolute and row relative. Relative references in a defined name are
    relative to A1 in the file (Excel, WPS and LibreOffice), so in U6 the name checks row 6."""
    return row_check_formula(1, unit, sheet)


def write_check_column(ws: Worksheet, first: int, last: int, unit: Unit | None, *,
                       blank_from: int | None = None) -> None:
    """The check column of rows ``first``..``last``: header, shaded unlocked formula cells, and the two
    counts in the title rows above it (which are locked with the header).

    Every check cell holds ``=行检查``, the sheet's defined name (:func:`check_name_formula`), as a
    formula of its own, not a shared one: LibreOffice 7.4 opens 33,740 shared ``=行检查`` cells about
    1 s (CPU) slower and recomputes them all on the first edit even with cached results. Rows from
    ``blank_from`` on are empty, so their check result (0) is written as the cells' cached value; so
    are the counts when there is no filled row (see the module's notes)."""
    letter = check_letter()
    col = CHECK_COLUMN
    blank_from = first if blank_from is None else max(blank_from, first)
    header_top = first - ANNEX3.header_rows - 1
    write_value(ws, header_top, col, CHECK_HEADER)
    ws.merge_cells(start_row=header_top, start_column=col, end_row=first - 2, end_column=col)
    for r in range(header_top, first):
        c = ws.cell(r, col)
        c.font, c.fill, c.alignment, c.border = CHECK_HEADER_FONT, CHECK_FILL, CENTER, BORDER
    ws.defined_names[CHECK_NAME] = DefinedName(CHECK_NAME, attr_text=check_name_formula(ws.title, unit))
    none_filled = blank_from == first
    write_formula(ws, 1, col, problem_count_formula(first, last),
                  result="有问题的行：0" if none_filled else None).font = COUNT_FONT
    write_formula(ws, 2, col, overwritten_count_formula(first, last), result="检查公式缺失的行：0").font = COUNT_FONT
    ws.column_dimensions[letter].width = CHECK_WIDTH
    text = "=" + CHECK_NAME
    prototype = write_formula(ws, first, col, Formula(text, result=CLEAN_RESULT if first >= blank_from else None))
    prototype.font, prototype.fill, prototype.protection = CHECK_FONT, CHECK_FILL, Protection(locked=False)
    prototype.number_format = CHECK_NUMBER_FORMAT
    style = prototype._style
    cells = ws._cells
    for r in range(first + 1, last + 1):
        cells[(r, col)] = Cell(ws, row=r, column=col, value=Formula(text, result=CLEAN_RESULT if r >= blank_from else None),
                               style_array=copy(style))
