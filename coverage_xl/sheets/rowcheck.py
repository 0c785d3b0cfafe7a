"""The per-row check column of the unit templates: one formula per row that names its first problem.

Data validation does not run on paste, and a paste replaces the pasted cells' conditional formats, so
the template also carries a column after 备注 whose formula re-checks the row from its values and
returns the Chinese title of the first problem (the same titles as :mod:`coverage_xl.codes`), or "".
Two counts at the top of that column survive any paste of values into A:T: rows with a problem, and
rows whose check cell no longer holds the formula (ISFORMULA).

Why the formulas look the way they do:

* No array constants, no INDIRECT, no volatile function (TODAY): a volatile function recalculates
  every row on every edit of a 35,000-row sheet. The ID check character is a plain sum of the 17
  weighted digits.
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
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.worksheet import Worksheet

from coverage_xl.codes import rule
from coverage_xl.layout import ANNEX3, IN_SCOPE, REASON_KEYS
from coverage_xl.sheets.frame import BORDER, CENTER, FONT_NAME
from coverage_xl.units import CITY_CODE, CITY_NAME, Unit

CHECK_HEADER = "自动检查，请勿填写"
CHECK_COLUMN = ANNEX3.width + 1  # U: right after 备注
TICK_MARKS = ("√", "✓", "✔")
# ISO 7064 MOD 11-2 weights 2^(17-i) mod 11 of the 17 body digits
ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
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


def _refs(row: int) -> dict[str, str]:
    return {c.key: f"{c.letter}{row}" for c in ANNEX3.columns}


def id_sum(cell: str) -> str:
    """The weighted digit sum of an 18-character ID (an error when one of the 17 is not a digit)."""
    return "+".join(f"MID({cell},{i + 1},1)*{w}" for i, w in enumerate(ID_WEIGHTS))


def id_problem(cell: str) -> list[tuple[str, str]]:
    """(condition, code) pairs for column D, tested in turn (idcard.check's order)."""
    y, m, d = f"(MID({cell},7,4)*1)", f"(MID({cell},11,2)*1)", f"(MID({cell},13,2)*1)"
    legacy = f'AND(LEN({cell})=15,ISNUMBER(-{cell}),ISERROR(FIND(".",{cell})),ISERROR(SEARCH("e",{cell})))'
    bad_format = (f'OR(LEN({cell})<>18,ISERROR({id_sum(cell)}),'
                  f'ISERROR(FIND(UPPER(RIGHT({cell})),"0123456789X")))')
    bad_date = (f"OR({m}<1,{m}>12,{d}<1,{d}>DAY(DATE({y},{m}+1,0)),{y}<{EARLIEST_BIRTH_YEAR})")
    bad_check = f'MID("10X98765432",MOD({id_sum(cell)},11)+1,1)<>UPPER(RIGHT({cell}))'
    return [
        (f'{cell}=""', "id.missing"),
        (f"ISNUMBER({cell})", "id.numeric"),
        (legacy, "id.legacy15"),
        (bad_format, "id.format"),
        (bad_date, "id.birthdate"),
        (bad_check, "id.checksum"),
    ]


def birth_mismatch(birth: str, id_cell: str) -> str:
    """TRUE when 出生年月 does not read as the ID's year and month.

    Accepted like values.parse_birth_month: 1965.03, 1965.3, 1965-03, 1965/3, 196503, 19650315,
    1965年3月, 1965年3月15日, 1965.03.15, a date cell, and a number 1965.03 or 1965.1 (which may be a
    1965.10 whose zero Excel dropped). 年 and 月 become dots, so every dotted form is matched by
    its prefix up to the dot after the month."""
    y, mm = f"MID({id_cell},7,4)", f"MID({id_cell},11,2)"
    m1 = f"({mm}*1)"
    n = f'{birth}&""'
    for old, new in (("年", "."), ("月", "."), ("日", ""), ("/", "."), ("-", "."), (" ", "")):
        n = f'SUBSTITUTE({n},"{old}","{new}")'
    text_ok = (f'OR(LEFT({n}&".",8)={y}&"."&{mm}&".",LEFT({n}&".",LEN({m1})+6)={y}&"."&{m1}&".",'
               f"AND(OR(LEN({n})=6,LEN({n})=8),LEFT({n},6)={y}&{mm}))")
    number_ok = (f"IF(AND({birth}>=3000,{birth}<=80000),AND(YEAR({birth})={y}*1,MONTH({birth})={m1}),"
                 f"OR(ABS({birth}-{y}-{m1}/100)<0.001,AND({m1}<10,ABS({birth}-{y}-{m1}/10)<0.001)))")
    return f"NOT(IF(ISNUMBER({birth}),OR({number_ok},{text_ok}),{text_ok}))"


def phone_bad(cell: str) -> str:
    """TRUE for a single number written with digits only (and '-' or spaces) whose length or start no
    phone has: a mobile is 1[3-9] plus 9 digits (so a 10-digit "mobile" is caught), a landline 7–8
    digits starting 2–9, with an area code 0xx(x) before it. Several numbers, brackets and '+86'
    are left to the Python validator."""
    p = f'SUBSTITUTE(SUBSTITUTE({cell}&""," ",""),"-","")'
    n = f"LEN({p})"
    first = f"LEFT({p},1)"
    digits = f'AND(ISNUMBER(-{p}),ISERROR(FIND(".",{p})),ISERROR(SEARCH("e",{p})),ISERROR(FIND("+",{p})))'
    ok = (f'IF({first}="1",AND({n}=11,MID({p},2,1)>="3"),'
          f'IF({first}="0",OR(AND({n}>=10,{n}<=11,MID({p},4,1)>="2"),AND({n}>=11,{n}<=12,MID({p},5,1)>="2")),'
          f'IF(AND({n}=13,LEFT({p},2)="86"),TRUE,OR({n}=7,{n}=8))))')
    return f"IF({digits},NOT({ok}),FALSE)"


def _ticks(first: str, last: str) -> str:
    return "+".join(f'COUNTIF({first}:{last},"{m}")' for m in TICK_MARKS)


def row_check_formula(row: int, unit: Unit | None) -> str:
    """The check formula of data row ``row`` (without '='): the first problem's title, or ""."""
    c = _refs(row)
    g, p, q = c[IN_SCOPE], c[REASON_KEYS[-2]], c[REASON_KEYS[-1]]
    willing = c["willing"]
    blank = f"COUNTA({c['name']}:{c['remark']})=0"
    tests: list[tuple[str, str]] = []
    if unit is not None:
        a, b = c["code"], c["region"]
        bad_code = f'AND({a}&""<>"",{a}&""<>"{CITY_CODE}",{a}&""<>"{unit.code}")'
        bad_region = f'AND({b}&""<>"",{b}&""<>"{unit.name}",{b}&""<>"{CITY_NAME}{unit.name}")'
        tests.append((f"OR({bad_code},{bad_region})", "unit.mismatch"))
    tests += id_problem(c["id"])
    tests += [
        (f'{c["name"]}=""', "name.missing"),
        (f'{c["birth"]}=""', "birth.missing"),
        (birth_mismatch(c["birth"], c["id"]), "birth.mismatch"),
        (f"COUNTA({g}:{p})>{_ticks(g, p)}", "category.value"),
        (f"COUNTA({g}:{q})=0", "category.none"),
        (f"COUNTA({g}:{q})>1", "category.conflict"),
        (f'OR({q}="{TICK_MARKS[0]}",{q}="{TICK_MARKS[1]}",{q}="{TICK_MARKS[2]}")', "category.other_detail"),
        (f'AND({willing}<>"",{willing}<>"是",{willing}<>"否")', "willing.value"),
        (f'AND({g}<>"",{willing}="")', "willing.missing"),
        (f'AND({g}="",{willing}<>"")', "willing.unexpected"),
        (phone_bad(c["phone"]), "phone.format"),
    ]
    formula = '""'
    for cond, code in reversed(tests):
        formula = f"IF({cond},{_q(message(code))},{formula})"
    return f'IF({blank},"",{formula})'


def check_letter() -> str:
    return get_column_letter(CHECK_COLUMN)


def problem_count_formula(first: int, last: int) -> str:
    """Top of the column: how many rows have a problem (any non-empty check cell)."""
    rng = f"{check_letter()}{first}:{check_letter()}{last}"
    return f'="有问题的行："&SUMPRODUCT(--({rng}<>""))'


def overwritten_count_formula(first: int, last: int) -> str:
    """Top of the column: rows whose check cell is not the formula any more (pasted over, cleared,
    or a new row inserted without it). ISFORMULA is an Excel 2013 function: in the file it is written
    with its ``_xlfn.`` prefix, as Excel itself stores it."""
    rng = f"{check_letter()}{first}:{check_letter()}{last}"
    return f'="检查公式缺失的行："&(ROWS({rng})-SUMPRODUCT(--_xlfn.ISFORMULA({rng})))'


class SharedFormula(ArrayFormula):
    """One formula shared down a column (OOXML ``<f t="shared">``): written once in the first cell
    (``text`` and ``ref``), referred to by index in the others. Excel, WPS and LibreOffice parse it
    once instead of 37,000 times, and the file stays small. openpyxl writes ArrayFormula attributes as
    given, so the shared form is the same class with other attributes."""

    t = "shared"

    def __init__(self, si: int, ref: str | None = None, text: str | None = None) -> None:
        super().__init__(ref or "", text)
        self.si = si

    def __iter__(self):
        yield "t", "shared"
        if self.ref:
            yield "ref", self.ref
        yield "si", str(self.si)


def write_check_column(ws: Worksheet, first: int, last: int, unit: Unit | None, *, si: int = 0) -> None:
    """The check column of rows ``first``..``last``: header, shaded unlocked formula cells, and the two
    counts in the title rows above it (which are locked with the header)."""
    letter = check_letter()
    col = CHECK_COLUMN
    header_top = first - ANNEX3.header_rows - 1
    ws.cell(header_top, col, CHECK_HEADER)
    ws.merge_cells(start_row=header_top, start_column=col, end_row=first - 2, end_column=col)
    for r in range(header_top, first):
        c = ws.cell(r, col)
        c.font, c.fill, c.alignment, c.border = CHECK_HEADER_FONT, CHECK_FILL, CENTER, BORDER
    ws.cell(1, col, problem_count_formula(first, last)).font = COUNT_FONT
    ws.cell(2, col, overwritten_count_formula(first, last)).font = COUNT_FONT
    ws.column_dimensions[letter].width = CHECK_WIDTH
    text = "=" + row_check_formula(first, unit)
    prototype = ws.cell(first, col, SharedFormula(si, f"{letter}{first}:{letter}{last}", text))
    prototype.font, prototype.fill, prototype.protection = CHECK_FONT, CHECK_FILL, Protection(locked=False)
    style = prototype._style
    cells = ws._cells
    for r in range(first + 1, last + 1):
        cell = Cell(ws, row=r, column=col, value=SharedFormula(si), style_array=copy(style))
        cells[(r, col)] = cell
