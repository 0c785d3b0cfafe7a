"""The annexes of 沅人社发〔2020〕44号 as data: the contract every reader and writer follows.

Each annex is a :class:`Layout`: its title, its columns (number, field key, leaf header text exactly
as in the notice) and its header cells with their merges. The reader finds the Annex 3 header by
these texts; the writers draw the same headers from the same cells; the templates, the docs and the
tests import the column numbers from here instead of repeating them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class Column:
    number: int  # 1-based column number as printed in the numbering row of the notice
    key: str  # field key used in DataFrames, JSON and templates
    header: str  # leaf header text, exactly as in the notice
    width: float = 10.0  # column width when written

    @property
    def letter(self) -> str:
        from openpyxl.utils import get_column_letter

        return get_column_letter(self.number)


@dataclass(frozen=True)
class HeaderCell:
    """One header cell: its text and the block it covers, relative to the first header row."""

    row: int  # 0-based header row
    col: int  # first column number (1-based)
    text: str
    last_col: int | None = None  # merged across to this column
    last_row: int | None = None  # merged down to this header row (0-based)

    @property
    def span(self) -> tuple[int, int, int, int]:
        return (self.row, self.col, self.last_row if self.last_row is not None else self.row,
                self.last_col if self.last_col is not None else self.col)


@dataclass(frozen=True)
class Layout:
    annex: int
    sheet_name: str
    title: str
    columns: tuple[Column, ...]
    header: tuple[HeaderCell, ...]

    @property
    def header_rows(self) -> int:
        return 1 + max(c.span[2] for c in self.header)

    @property
    def width(self) -> int:
        return len(self.columns)

    @cached_property
    def by_key(self) -> dict[str, Column]:
        return {c.key: c for c in self.columns}

    @cached_property
    def by_number(self) -> dict[int, Column]:
        return {c.number: c for c in self.columns}

    def col(self, key: str) -> int:
        """Column number of a field key."""
        return self.by_key[key].number

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.columns]


def _vertical(col: int, text: str, rows: int) -> HeaderCell:
    return HeaderCell(0, col, text, last_row=rows - 1 if rows > 1 else None)


# --------------------------------------------------------------------------- Annex 3 (摸底明细表)

IN_SCOPE = "in_scope"

# The ten reasons for being out of scope, columns 8–17 of Annex 3, in the notice's order.
# key -> (Annex 3 column, leaf header, short label used in Annex 4 and in messages)
REASONS: tuple[tuple[str, int, str, str], ...] = (
    ("prov_enterprise", 8, "已参加省内企业职保", "已参加省内企业职保"),
    ("prov_institution", 9, "已参加省内机关事保", "已参加省内机关事保"),
    ("other_province", 10, "已参加外省职工养老保险", "已参加外省职工养老保险"),
    ("statutory", 11, "职工养老保险法定人员（未参保）", "职工养老保险法定人员（未参保）"),
    ("student", 12, "在校学生", "在校学生"),
    ("military", 13, "现役军人", "现役军人"),
    ("prisoner", 14, "服刑人员", "服刑人员"),
    ("emigrated", 15, "已出国（境）定居", "已出国（境）定居"),
    ("deceased", 16, "已死亡未销户", "已死亡未销户"),
    ("other", 17, "其他（列具体情况）", "其他"),
)
REASON_KEYS: tuple[str, ...] = tuple(r[0] for r in REASONS)
REASON_LABELS: dict[str, str] = {r[0]: r[3] for r in REASONS}
# Reasons that mean "already in an employee pension": Annex 4 subtotal column 6 = 7 + 8 + 9.
EMPLOYEE_PENSION_REASONS: tuple[str, ...] = ("prov_enterprise", "prov_institution", "other_province")
CATEGORY_KEYS: tuple[str, ...] = (IN_SCOPE, *REASON_KEYS)

ANNEX3 = Layout(
    annex=3,
    sheet_name="附件3",
    title="沅江市城乡居民养老保险全覆盖摸底明细表",
    columns=(
        Column(1, "code", "行政代码", 11),
        Column(2, "region", "行政区划", 12),
        Column(3, "name", "姓名", 9),
        Column(4, "id", "身份证号码", 21),
        Column(5, "birth", "出生年月", 9),
        Column(6, "address", "户籍地址", 24),
        Column(7, IN_SCOPE, "属于城乡居保覆盖范围（√）", 9),
        *(Column(n, k, h, 8 if n < 17 else 14) for k, n, h, _ in REASONS),
        Column(18, "willing", "是否愿意参保（是，否）", 8),
        Column(19, "phone", "联系电话", 14),
        Column(20, "remark", "备注", 20),
    ),
    header=(
        *(_vertical(n, h, 2) for n, h in
          [(1, "行政代码"), (2, "行政区划"), (3, "姓名"), (4, "身份证号码"), (5, "出生年月"),
           (6, "户籍地址"), (7, "属于城乡居保覆盖范围（√）")]),
        HeaderCell(0, 8, "不属于城乡居保覆盖范围（√）", last_col=17),
        *(HeaderCell(1, n, h) for _, n, h, _ in REASONS),
        *(_vertical(n, h, 2) for n, h in [(18, "是否愿意参保（是，否）"), (19, "联系电话"), (20, "备注")]),
    ),
)

# --------------------------------------------------------------------------- Annex 4 (摸底统计表)

ANNEX4 = Layout(
    annex=4,
    sheet_name="附件4",
    title="沅江市城乡居民养老保险全覆盖摸底统计表",
    columns=(
        Column(1, "code", "行政代码", 11),
        Column(2, "region", "行政区划", 16),
        Column(3, "population", "户籍人口数", 10),
        Column(4, IN_SCOPE, "属于城乡居保覆盖范围人数", 10),
        Column(5, "out_total", "合计", 8),
        Column(6, "employee_subtotal", "小计", 8),
        Column(7, "prov_enterprise", "已参加省内企业职保", 9),
        Column(8, "prov_institution", "已参加省内机关事保", 9),
        Column(9, "other_province", "已参加外省职工养老保险", 9),
        Column(10, "statutory", "职工养老保险法定人员（未参保）", 10),
        Column(11, "student", "在校学生", 7),
        Column(12, "military", "现役军人", 7),
        Column(13, "prisoner", "服刑人员", 7),
        Column(14, "emigrated", "已出国（境）定居", 8),
        Column(15, "deceased", "已死亡未销户", 8),
        Column(16, "other", "其他", 7),
        Column(17, "unwilling", "无参保意愿人数", 9),
        Column(18, "willing", "拟参保扩面人数", 9),
        Column(19, "remark", "备注", 30),
    ),
    header=(
        *(_vertical(n, h, 3) for n, h in
          [(1, "行政代码"), (2, "行政区划"), (3, "户籍人口数"), (4, "属于城乡居保覆盖范围人数")]),
        HeaderCell(0, 5, "不属于城乡居保覆盖范围人数", last_col=16),
        HeaderCell(1, 5, "合计", last_row=2),
        HeaderCell(1, 6, "已参加职保人数", last_col=9),
        HeaderCell(2, 6, "小计"),
        HeaderCell(2, 7, "已参加省内企业职保"),
        HeaderCell(2, 8, "已参加省内机关事保"),
        HeaderCell(2, 9, "已参加外省职工养老保险"),
        *(HeaderCell(1, n, h, last_row=2) for n, h in
          [(10, "职工养老保险法定人员（未参保）"), (11, "在校学生"), (12, "现役军人"), (13, "服刑人员"),
           (14, "已出国（境）定居"), (15, "已死亡未销户"), (16, "其他")]),
        *(_vertical(n, h, 3) for n, h in [(17, "无参保意愿人数"), (18, "拟参保扩面人数"), (19, "备注")]),
    ),
)
# Annex 4 count columns, in order (everything but code, region, population and remark).
ANNEX4_COUNT_KEYS: tuple[str, ...] = tuple(c.key for c in ANNEX4.columns[3:18])

# --------------------------------------------------------------------------- Annex 5 (调度表)

ANNEX5 = Layout(
    annex=5,
    sheet_name="附件5",
    title="沅江市城乡居民养老保险全覆盖情况调度表",
    columns=(
        Column(1, "code", "行政代码", 11),
        Column(2, "region", "行政区划", 16),
        Column(3, "should_cover", "城乡居保应覆盖人数", 11),
        Column(4, "registered", "合计", 11),
        Column(5, "paid", "其中已缴费人数", 11),
        Column(6, "unregistered", "未进行城乡居保参保登记人数", 12),
        Column(7, "coverage_rate", "城乡居保覆盖率", 10),
        Column(8, "payment_rate", "参保缴费率", 10),
        Column(9, "remark", "备注", 24),
    ),
    header=(
        *(_vertical(n, h, 2) for n, h in [(1, "行政代码"), (2, "行政区划"), (3, "城乡居保应覆盖人数")]),
        HeaderCell(0, 4, "已进行城乡居保参保登记人数", last_col=5),
        HeaderCell(1, 4, "合计"),
        HeaderCell(1, 5, "其中已缴费人数"),
        *(_vertical(n, h, 2) for n, h in
          [(6, "未进行城乡居保参保登记人数"), (7, "城乡居保覆盖率"), (8, "参保缴费率"), (9, "备注")]),
    ),
)

# --------------------------------------------------------------------------- Annex 1 (任务表)

ANNEX1 = Layout(
    annex=1,
    sheet_name="附件1",
    title="2020年度全市城乡居民基本养老保险参保缴费指导性任务表",
    columns=(
        Column(1, "name", "单位", 16),
        Column(2, "task", "需核实参保任务数", 16),
    ),
    header=(HeaderCell(0, 1, "单位"), HeaderCell(0, 2, "需核实参保任务数")),
)

# --------------------------------------------------------------------------- follow-up lists (跟进名单)

# The columns of a unit's follow-up list: (header, person field or None for a cell the town fills
# in, width). The towns return these lists; the ledger reads the fill-in columns back by header.
FOLLOWUP_COLUMNS: tuple[tuple[str, str | None, float], ...] = (
    ("序号", None, 6), ("村（社区）", "village", 12), ("姓名", "name", 9), ("身份证号码", "id", 21),
    ("户籍地址", "address", 28), ("联系电话", "phone", 14), ("是否愿意参保", "willing", 8),
    ("跟进日期", "followup_date", 11), ("跟进方式", "followup_method", 9), ("跟进结果", "followup_result", 11),
    ("未参保原因", "followup_reason", 18), ("是否签订意愿书", "followup_signed", 9), ("备注", "followup_remark", 16),
)
FOLLOWUP_FILL_KEYS: tuple[str, ...] = ("followup_date", "followup_method", "followup_result", "followup_reason",
                                       "followup_signed", "followup_remark")
FOLLOWUP_METHODS: tuple[str, ...] = ("上门", "电话", "短信", "其他")
FOLLOWUP_RESULTS: tuple[str, ...] = ("已登记", "已缴费", "不愿参保", "联系不上", "不属于", "其他")
FOLLOWUP_UNREACHABLE = "联系不上"
FOLLOWUP_REFUSED = "不愿参保"
FOLLOWUP_SIGNED: tuple[str, ...] = ("是", "否")

TOTAL_LABEL = "合计"
ANNEX_LABEL = "附件{annex}"

# The sheets the tool owns besides the annexes (their ``sheet_name``): a job replaces exactly these
# in a workbook and keeps every other sheet, and the readers find them by these names. Defined once.
HELP_SHEET = "使用说明"
SETTINGS_SHEET = "单位设置"
PROGRESS_SHEET = "进度"
HISTORY_SHEET = "调度历史"
RESULT_SHEET = "校验结果"
RUNLOG_SHEET = "汇总记录"
DUPLICATES_SHEET = "重复人员"
DUPLICATE_INSURANCE_SHEET = "重复参保"  # surveyed as 职保 (Annex 3 columns 8–10) and registered in 城乡居保
PARAMS_SHEET = "测算参数"
ESTIMATOR_SHEET = "测算器"
INSTRUCTIONS_SHEET = "填表说明"
UNREGISTERED_SHEET = "未登记人员"
UNPAID_SHEET = "登记未缴费人员"
LEDGER_SUMMARY_SHEET = "台账汇总"
CONF_SHEET = "xlwings.conf"

_WS = re.compile(r"[\s\u3000\u00a0]+")


def column_letter(column: int) -> str:
    """Excel's column name of a 1-based column number (the core names cells without openpyxl).

    >>> column_letter(1), column_letter(26), column_letter(27), column_letter(16384)
    ('A', 'Z', 'AA', 'XFD')
    """
    letters = ""
    while column > 0:
        column, rem = divmod(column - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def header_key(text: object) -> str:
    """Header text as compared by the reader: no white space or line breaks, half-width brackets
    folded to the notice's full-width ones ("行政\\n代码" == "行政代码")."""
    if text is None:
        return ""
    s = _WS.sub("", str(text))
    return s.replace("(", "（").replace(")", "）").replace(",", "，").replace("✓", "√").replace("✔", "√")


def leaf_headers(layout: Layout) -> dict[int, str]:
    """Column number -> the lowest header text printed above it (what a reader checks)."""
    leaves: dict[int, tuple[int, str]] = {}
    for cell in layout.header:
        r0, c0, r1, c1 = cell.span
        if c0 != c1:
            continue  # a group cell over several columns is not a leaf
        if c0 not in leaves or r0 > leaves[c0][0]:
            leaves[c0] = (r0, cell.text)
    return {c: t for c, (_, t) in sorted(leaves.items())}
