"""The sheets 测算参数 and 测算器 of the master workbook (openpyxl; formulas only, no macro).

测算参数 lists the parameter set of :mod:`coverage_xl.estimate` for the bureau to edit (read back by
:func:`coverage_xl.estimate.load_params`); 测算器 computes the same estimate as
:func:`coverage_xl.estimate.estimate` with plain Excel formulas, so it works without Python.
"""

from __future__ import annotations

from typing import Any

from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from coverage_xl.estimate import (
    BRANCH_LABELS,
    ESTIMATOR_RESULT_CELLS,
    MIN_ENROL_AGE,
    MIN_YEARS,
    PENDING_PREFIX,
    PENDING_SUFFIX,
    PENSION_AGE,
    ROW_FIELDS,
    SPECS_BY_KEY,
    Params,
    cached_params,
    floor_message,
)
from coverage_xl.layout import ESTIMATOR_SHEET, PARAMS_SHEET
from coverage_xl.sheets.cells import append_row, write_formula, write_value

_PARAM_HEADERS = ("参数", "键", "数值", "单位", "来源", "年份", "说明", "国家最低标准")
_SCALAR_NAMES = {
    "catch_up_subsidy": "CXL_CATCH_UP_SUBSIDY",
    "over60_catch_up": "CXL_OVER60_CATCH_UP",
    "central_basic_pension": "CXL_CENTRAL",
    "provincial_basic_addition": "CXL_PROVINCIAL",
    "local_basic_addition": "CXL_LOCAL",
    "long_contribution_extra": "CXL_LONG_EXTRA",
    "interest_rate": "CXL_INTEREST",
    "divisor": "CXL_DIVISOR",
}


def write_estimator_sheet(wb: Any, params: Params | None = None) -> None:
    """Add (or replace) the sheets 测算参数 and 测算器 in an openpyxl workbook.

    测算参数 lists every parameter with its source and year; the bureau edits the 数值 column.
    测算器 is where a clerk types a birth month and a tier; every result is an Excel formula over
    测算参数 (through defined names ``CXL_*``), so it works in Excel, WPS and LibreOffice without Python.
    """
    params = params or cached_params(None)
    for title in (PARAMS_SHEET, ESTIMATOR_SHEET):
        if title in wb.sheetnames:
            del wb[title]
    bold = Font(bold=True)
    input_fill = PatternFill("solid", fgColor="FFF2CC")

    ps = wb.create_sheet(PARAMS_SHEET)
    write_value(ps, 1, 1, "城乡居保待遇测算参数")
    ps["A1"].font = Font(bold=True, size=14)
    ps.merge_cells("A1:H1")
    write_value(ps, 2, 1, "市局可修改“数值”列；空白表示待市局填写（测算时按0计算并提示）。每项须注明来源和年份。")
    ps.merge_cells("A2:H2")
    append_row(ps, _PARAM_HEADERS)
    for cell in ps[3]:
        cell.font = bold
    for label, key, value in (
        ("参数集名称", "meta.name", params.name),
        ("参数集编号", "meta.id", params.id),
        ("参数集说明", "meta.note", params.note),
    ):
        append_row(ps, (label, key, value))
    names: dict[str, str] = {}
    floor_rows: dict[str, int] = {}
    floor_labels: list[tuple[str, str]] = []
    for p in params.entries.values():
        if p.key == "tiers":
            value: Any = "见下表"
        elif p.key == "subsidy":
            value = "见下表"
        elif isinstance(p.value, bool):
            value = "是" if p.value else "否"
        else:
            value = p.value
        append_row(ps, (p.label, p.key, value, p.unit, p.source, p.year, p.note, "是" if p.floor else None))
        row = ps.max_row
        floor_rows[p.key] = row
        if p.floor:
            floor_labels.append((p.key, p.label))
        if p.key in _SCALAR_NAMES:
            names[_SCALAR_NAMES[p.key]] = f"$C${row}"
            ps.cell(row, 3).fill = input_fill
        if p.key == "interest_rate":
            ps.cell(row, 3).number_format = "0.00%"
    append_row(ps, ())
    append_row(ps, ("缴费档次与政府补贴", "键", "缴费档次（元/年）", "政府补贴（元/年）"))
    for cell in ps[ps.max_row]:
        cell.font = bold
    first = ps.max_row + 1
    for tier in params.tiers:
        append_row(ps, (f"{tier}元档", "tier", tier, params.subsidy_for(tier)))
        ps.cell(ps.max_row, 3).fill = input_fill
        ps.cell(ps.max_row, 4).fill = input_fill
    last = ps.max_row
    names["CXL_TIERS"] = f"$C${first}:$C${last}"
    names["CXL_TIER_TABLE"] = f"$C${first}:$D${last}"
    for col, width in zip("ABCDEFGH", (34, 26, 16, 16, 60, 8, 50, 12), strict=True):
        ps.column_dimensions[col].width = width

    for name, ref in names.items():
        if name in wb.defined_names:
            del wb.defined_names[name]
        wb.defined_names[name] = DefinedName(name, attr_text=f"'{PARAMS_SHEET}'!{ref}")

    ws = wb.create_sheet(ESTIMATOR_SHEET)
    write_value(ws, 1, 1, "城乡居保待遇测算器")
    ws["A1"].font = Font(bold=True, size=14)
    ws.merge_cells("A1:C1")
    write_value(ws, 2, 1, "在黄色格中输入出生年月、缴费档次和开始缴费年份，下方即显示测算结果。")
    ws.merge_cells("A2:C2")
    inputs = (
        ("出生年月（如 1965-03）", "B3", None),
        ("缴费档次（元/年）", "B4", params.tiers[0]),
        ("开始缴费年份", "B5", "=YEAR(TODAY())"),
        ("集体补助或代缴（元/年）", "B6", 0),
    )
    for i, (label, ref, default) in enumerate(inputs):
        write_value(ws, 3 + i, 1, label).font = bold
        target = ws[ref]
        if isinstance(default, str) and default.startswith("="):
            write_formula(ws, target.row, target.column, default)
        else:
            write_value(ws, target.row, target.column, default)
        target.fill = input_fill
    ws["B3"].number_format = "yyyy-mm"
    tier_list = DataValidation(type="list", formula1="CXL_TIERS", allow_blank=False)
    tier_list.error = "请从参数表所列档次中选择。"
    tier_list.errorTitle = "缴费档次"
    ws.add_data_validation(tier_list)
    tier_list.add("B4")

    # Working cells (column E labels, F values). F5 holds an input error message or "".
    err = "$F$5"
    work = (
        ("出生年份", "=IFERROR(IF(ISNUMBER(B3),YEAR(B3),VALUE(LEFT(TRIM(B3),4))),\"\")"),
        ("出生月份", "=IFERROR(IF(ISNUMBER(B3),MONTH(B3),VALUE(MID(TRIM(B3),6,2))),\"\")"),
        (
            "输入检查",
            '=IF(B3="","请输入出生年月",IF(OR(F3="",F4=""),"出生年月无法识别，请按 1965-03 的格式输入",'
            'IF(ISNA(MATCH(B4,CXL_TIERS,0)),"缴费档次须为参数表所列档次之一",'
            f'IF(B5-F3<{MIN_ENROL_AGE},"开始缴费年份时未满{MIN_ENROL_AGE}周岁",""))))',
        ),
        ("按年缴费年限", f'=IF({err}<>"","",MAX(0,F3+{PENSION_AGE}-B5))'),
        (
            "补缴年限",
            f'=IF({err}<>"","",IF(F6>={MIN_YEARS},0,IF(F6>0,{MIN_YEARS}-F6,'
            f'IF(CXL_OVER60_CATCH_UP="是",{MIN_YEARS},0))))',
        ),
        ("政府补贴", f'=IF({err}<>"","",VLOOKUP(B4,CXL_TIER_TABLE,2,FALSE))'),
        ("每年记账额", f'=IF({err}<>"","",B4+F8+N(B6))'),
        ("记账利率", "=N(CXL_INTEREST)"),
        ("按年缴费账户", f'=IF({err}<>"","",IF(F10=0,F9*F6,F9*((1+F10)^F6-1)/F10))'),
        ("补缴记账额", f'=IF({err}<>"","",F7*(B4+IF(CXL_CATCH_UP_SUBSIDY="是",F8,0)))'),
        ("可按月领取", f'=IF({err}<>"",0,IF(F6+F7>={MIN_YEARS},1,0))'),
    )
    write_value(ws, 2, 5, "计算过程（请勿修改）")
    for i, (label, formula) in enumerate(work):
        write_value(ws, 3 + i, 5, label)
        write_formula(ws, 3 + i, 6, formula)

    ok = f'{err}<>""'
    can = "$F$13=0"
    first = f'(F3+{PENSION_AGE}+IF(F4=12,1,0))&"-"&TEXT(MOD(F4,12)+1,"00")'  # the month after the 60th birthday
    formulas = {
        "branch_label": (
            f'=IF({ok},{err},IF(F6>={MIN_YEARS},"{BRANCH_LABELS["under45"]}",'
            f'IF(F6>0,"{BRANCH_LABELS["catch_up"]}",IF(B5-F3={PENSION_AGE},'
            f'(F3+{PENSION_AGE})&"年"&F4&"月年满{PENSION_AGE}周岁，可一次性补缴{MIN_YEARS}年后按月领取",'
            f'"{BRANCH_LABELS["over60"]}"))))'
        ),  # someone turning 60 in the start year is 59 until the birthday: not "已满60周岁"
        "years_to_60": f'=IF({ok},"",F6)',
        "catch_up_years": f'=IF({ok},"",F7)',
        "catch_up_cost": f'=IF({ok},"",F7*B4)',
        "own_total": f'=IF({ok},"",(F6+F7)*B4)',
        "account_at_60": f'=IF({ok},"",F11+F12)',
        "basic_pension": (
            f'=IF({can},"",N(CXL_CENTRAL)+N(CXL_PROVINCIAL)+N(CXL_LOCAL)'
            f"+N(CXL_LONG_EXTRA)*MAX(0,F6+F7-{MIN_YEARS}))"
        ),
        "personal_pension": f'=IF({can},"",(F11+F12)/CXL_DIVISOR)',
        "monthly_pension": "",  # filled below: needs the rows of basic and personal
        "recover_years": "",
        "first_pension_month": (
            f'=IF({ok},"",IF(F6=0,IF(B5-F3={PENSION_AGE},"补缴后次月（最早"&{first}&"）","补缴后次月"),{first}))'
        ),
    }
    rows = {key: int(ref[1:]) for key, ref in ESTIMATOR_RESULT_CELLS.items()}
    top = min(rows.values())
    write_value(ws, top - 1, 1, "测算结果").font = bold
    formulas["monthly_pension"] = f'=IF({can},"",B{rows["basic_pension"]}+B{rows["personal_pension"]})'
    formulas["recover_years"] = (
        f'=IF({can},"",IF(B{rows["monthly_pension"]}>0,B{rows["own_total"]}/(B{rows["monthly_pension"]}*12),""))'
    )
    for f in ROW_FIELDS:
        r = rows[f.key]
        write_value(ws, r, 1, f.label).font = bold
        write_formula(ws, r, 2, formulas[f.key])
        write_value(ws, r, 3, f.unit)
        if f.kind == "money":
            ws.cell(r, 2).number_format = "#,##0.00"
        elif f.kind == "years":
            ws.cell(r, 2).number_format = "0.0"
    r = top + len(ROW_FIELDS) + 1
    pending = "&".join(
        f'IF({_SCALAR_NAMES[p.key]}="","{p.label}、","")' for p in params.entries.values() if SPECS_BY_KEY[p.key].nullable
    )
    write_value(ws, r, 1, "提示").font = bold
    write_formula(ws, r, 2, f'=IF(({pending})="","","{PENDING_PREFIX}"&LEFT({pending},LEN({pending})-1)&"{PENDING_SUFFIX}")')
    floors = "&".join(
        f'IF(\'{PARAMS_SHEET}\'!$H${floor_rows[key]}="是","{floor_message(label)}","")' for key, label in floor_labels
    )
    if floors:
        write_formula(ws, r + 1, 2, f"={floors}")
    write_value(ws, r + 2, 1, "所用参数").font = bold
    write_formula(ws, r + 2, 2, f"='{PARAMS_SHEET}'!C4")
    write_value(ws, r + 3, 1, "说明").font = bold
    write_value(ws, r + 3, 2, "至60周岁按年缴费年限＝60周岁那一年减去开始缴费年份；60周岁当年不计缴费年。补缴部分在60周岁时一次记入，不计利息。")
    for row in (r, r + 1, r + 3):
        ws.cell(row, 2).alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 46
    ws.column_dimensions["C"].width = 8
    ws.column_dimensions["E"].width = 14
    ws.column_dimensions["F"].width = 12
