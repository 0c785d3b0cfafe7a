"""Native input checks for an Annex 3 sheet: data validation, conditional formatting, protection.

A unit's template must check itself with no macro and no Python, because many town offices use WPS
(where VBA is often missing) or an Excel with macros disabled. Everything here is plain OOXML that
Excel, WPS and LibreOffice evaluate themselves:

* 身份证号码: the cells are text-formatted (Excel would keep only 15 digits of a number); a custom
  validation rule rejects a wrong length or check character as it is typed, and a conditional format
  paints what slipped past it (pasted values, numbers). The check character is computed with
  ``ROW(INDIRECT("1:17"))`` weights because array constants are not allowed in validation and
  conditional-format formulas (see DOMAIN.md).
* tick columns 7–16 take √ from a drop-down (✓ and ✔, which other programs type, are accepted too);
  column 17 (其他) takes the description;
  是否愿意参保 only 是/否; a conditional format flags a row with more than one of columns 7–17 filled.
* 联系电话 rejects lengths no phone number has.
* The same ID twice: Excel's native duplicate-values conditional format on the ID column, which is
  evaluated only for the cells on screen (a COUNTIF per row would be O(n²) on every edit).
* The title and header rows are locked; every other cell of the sheet is not (no password: a clerk may
  unprotect if needed). Excel and LibreOffice refuse to delete a row holding a locked cell, so the
  data rows must be unlocked across all 16,384 columns: the columns carry an unlocked style.

The formula texts are public functions so the tests evaluate exactly the same text in LibreOffice.
"""

from __future__ import annotations

from openpyxl.formatting.rule import FormulaRule, Rule
from openpyxl.styles import Font, PatternFill, Protection
from openpyxl.styles.cell_style import StyleArray
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from coverage_xl.codes import Severity
from coverage_xl.layout import ANNEX3, IN_SCOPE, REASON_KEYS

TICK = "√"
TICK_CHOICES = ("√", "✓", "✔")
WILLING_CHOICES = ("是", "否")
RED_FILL = PatternFill("solid", fgColor=Severity.ERROR.fill, bgColor=Severity.ERROR.fill)
RED_FONT = Font(color="9C0006")
YELLOW_FILL = PatternFill("solid", fgColor=Severity.WARNING.fill, bgColor=Severity.WARNING.fill)
YELLOW_FONT = Font(color="9C5700")
TEXT_FORMAT = "@"
UNLOCKED = Protection(locked=False)

ID_COL = ANNEX3.by_key["id"].letter
PHONE_COL = ANNEX3.by_key["phone"].letter
WILLING_COL = ANNEX3.by_key["willing"].letter
FIRST_CATEGORY_COL = ANNEX3.by_key[IN_SCOPE].letter  # G
LAST_CATEGORY_COL = ANNEX3.by_key[REASON_KEYS[-1]].letter  # Q (其他: holds the description)
TICK_KEYS = (IN_SCOPE, *REASON_KEYS[:-1])  # columns 7–16 take a √


# --------------------------------------------------------------------------- formula texts


def id_checksum_formula(cell: str) -> str:
    """TRUE when ``cell`` holds 18 characters whose last one is the right check character.

    Weights 2^(18-i) are computed from ROW(INDIRECT("1:17")), not written as an array constant,
    and IFERROR turns a non-digit among the first 17 into FALSE (AND does not short-circuit)."""
    rows = 'ROW(INDIRECT("1:17"))'
    total = f"SUMPRODUCT(MID({cell},{rows},1)*2^(18-{rows}))"
    return (f'AND(LEN({cell})=18,IFERROR(MID("10X98765432",MOD({total},11)+1,1)=UPPER(RIGHT({cell})),FALSE))')


def id_legacy_formula(cell: str) -> str:
    """TRUE for a legacy 15-digit number (digits only): accepted, but painted yellow."""
    return f"AND(LEN({cell})=15,ISNUMBER(-{cell}),ISERROR(FIND(\".\",{cell})))"


def id_valid_formula(cell: str) -> str:
    """The data-validation rule of the ID column: blank, a correct 18-character number, or a
    15-digit legacy number."""
    return f'OR({cell}="",{id_checksum_formula(cell)},{id_legacy_formula(cell)})'


def id_flag_formula(cell: str) -> str:
    """Conditional format (red): something typed or pasted that is not a usable ID number, including
    a number (a numeric cell has already lost its last digits)."""
    return f'AND({cell}<>"",OR(NOT(ISTEXT({cell})),NOT(OR({id_checksum_formula(cell)},{id_legacy_formula(cell)}))))'


def conflict_formula(row: int) -> str:
    """Conditional format: more than one of columns 7–17 filled (two reasons, or 属于 plus a reason)."""
    return f'COUNTA(${FIRST_CATEGORY_COL}{row}:${LAST_CATEGORY_COL}{row})>1'


def phone_valid_formula(cell: str) -> str:
    """Phone lengths that exist: digits only must be a mobile of 11 digits starting with 1 (so a
    10-digit "mobile" is refused), a landline of 7–8 digits, or 10–12 digits starting with the 0 of
    an area code; with separators (-, /, spaces, several numbers) anything from 7 to 40 characters."""
    n = f"LEN({cell})"
    first = f"LEFT({cell},1)"
    digits_only = f'AND(ISNUMBER(-{cell}),ISERROR(FIND(".",{cell})))'
    lengths = f'IF({first}="1",{n}=11,IF({first}="0",AND({n}>=10,{n}<=12),OR({n}=7,{n}=8)))'
    return f'OR({cell}="",AND({n}>=7,{n}<=40,IF({digits_only},{lengths},TRUE)))'


# --------------------------------------------------------------------------- the checks


def _validation(kind: str, formula: str, sqref: str | list[str], *, title: str, prompt: str, error: str,
                style: str = "stop") -> DataValidation:
    dv = DataValidation(type=kind, formula1=formula, allow_blank=True, showErrorMessage=True,
                        showInputMessage=True, errorStyle=style, errorTitle=title[:32], error=error[:225],
                        promptTitle=title[:32], prompt=prompt[:255])
    for ref in [sqref] if isinstance(sqref, str) else sqref:
        dv.add(ref)
    return dv


def add_input_checks(ws: Worksheet, first_row: int, last_row: int, *, protect: bool = True) -> None:
    """Add validation, conditional formats and protection to the data rows of an Annex 3 sheet.

    ``first_row``..``last_row`` are the rows to type into (as returned by ``write_annex3``). Rows
    inserted inside that block later inherit the rules (Excel and LibreOffice extend the ranges).
    """
    if last_row < first_row:
        raise ValueError("last_row must not be above first_row")
    def rng(letter: str, last_letter: str | None = None) -> str:
        return f"{letter}{first_row}:{last_letter or letter}{last_row}"

    id_cell = f"{ID_COL}{first_row}"  # the text format of columns D and S comes from write_annex3

    checks = [
        _validation("custom", id_valid_formula(id_cell), rng(ID_COL), title="身份证号码",
                    prompt="请输入18位身份证号码（最后一位可能是X）。本列已设为文本格式，请直接输入，不要加空格。",
                    error="身份证号码位数或最后一位校验码不对，请核对后重新输入。15位旧号码请换成18位。"),
        _validation("list", f'"{",".join(WILLING_CHOICES)}"', rng(WILLING_COL), title="是否愿意参保",
                    prompt="属于覆盖范围的人员，从下拉列表选“是”或“否”。",
                    error="只能填“是”或“否”，请从下拉列表选择。"),
        _validation("custom", phone_valid_formula(f"{PHONE_COL}{first_row}"), rng(PHONE_COL), title="联系电话",
                    prompt="填手机号（11位）或固定电话（如 0737-1234567）；多个号码用“/”隔开。",
                    error="电话号码位数不对：手机号为11位，固定电话为7至8位（可加区号）。"),
    ]
    tick = _validation("list", f'"{",".join(TICK_CHOICES)}"', [rng(ANNEX3.by_key[k].letter) for k in TICK_KEYS], title="勾选", prompt="符合的只在一列打“√”（从下拉列表选），其余留空。",
                       error="这一列只能填“√”，请从下拉列表选择。")
    checks.append(tick)
    checks.append(_validation("textLength", "200", rng(LAST_CATEGORY_COL), title="其他（列具体情况）",
                              prompt="不属于覆盖范围且不是第8至16列原因的，在此写明具体情况（不要只打√）。",
                              error="具体情况请控制在200字以内。", style="warning"))
    checks[-1].operator = "lessThanOrEqual"
    for dv in checks:
        ws.add_data_validation(dv)

    cf = ws.conditional_formatting
    cf.add(rng(ID_COL), FormulaRule(formula=[id_flag_formula(id_cell)], fill=RED_FILL, font=RED_FONT,
                                    stopIfTrue=True))
    cf.add(rng(ID_COL), FormulaRule(formula=[f'AND(ISTEXT({id_cell}),{id_legacy_formula(id_cell)})'],
                                    fill=YELLOW_FILL, font=YELLOW_FONT))
    cf.add(rng(ID_COL), Rule(type="duplicateValues", dxf=DifferentialStyle(fill=RED_FILL, font=RED_FONT)))
    cf.add(rng(FIRST_CATEGORY_COL, LAST_CATEGORY_COL),
           FormulaRule(formula=[conflict_formula(first_row)], fill=RED_FILL, font=RED_FONT))
    cf.add(rng(PHONE_COL), FormulaRule(formula=[f"NOT({phone_valid_formula(f'{PHONE_COL}{first_row}')})"],
                                       fill=RED_FILL, font=RED_FONT))
    if protect:
        protect_header(ws, first_row, last_row)


def protect_header(ws: Worksheet, first_row: int, last_row: int) -> None:
    """Lock the title and header rows, leave every other cell editable; no password.

    Unlocked: the columns' own style (every empty cell, to column XFD, so whole rows can be deleted)
    and every cell written in the data rows; locked: the cells of the rows above ``first_row`` and of
    the 合计 row. Formatting, sorting, filtering and inserting/deleting rows stay allowed so the clerk
    can add and remove people above the 合计 row."""
    wb = ws.parent
    unlocked = wb._protections.add(UNLOCKED)
    for letter in {get_column_letter(c) for c in range(1, ws.max_column + 1)}:
        ws.column_dimensions[letter].protection = UNLOCKED
    rest = ws.column_dimensions[get_column_letter(ws.max_column + 1)]
    rest.min, rest.max = ws.max_column + 1, 16384
    rest.width = 9.0
    rest.protection = UNLOCKED
    for r in range(1, first_row):  # explicit (locked) cells across the header, so it stays locked
        for c in range(1, ws.max_column + 1):
            ws.cell(r, c)
    for (r, _c), cell in ws._cells.items():
        if first_row <= r <= last_row:
            if cell._style is None:
                cell._style = StyleArray()
            cell._style.protectionId = unlocked
    p = ws.protection
    p.sheet = True
    p.formatCells = p.formatColumns = p.formatRows = False
    p.insertRows = p.deleteRows = False
    p.sort = p.autoFilter = False
    p.selectLockedCells = p.selectUnlockedCells = False
