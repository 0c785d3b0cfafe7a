"""Read a unit's Annex 3 workbook (xlsx, xlsm, xls, ods) with python-calamine.

The Annex 3 sheet is found by its header, not by its name or position; columns are mapped by their
header texts (so a moved or renamed column is a ``header.mismatch`` finding, not silent garbage);
data runs from the row after the 1–20 numbering row to the last 合计 row, blank rows and village
subtotals (××村小计) skipped; people listed below the last 合计 are read too, and said. Cell values
keep their raw type — an ID stored as a number stays a float so the validator can say so.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

from coverage_xl.errors import HeaderNotFoundError, UnreadableError
from coverage_xl.findings import Finding
from coverage_xl.layout import ANNEX3, TOTAL_LABEL, header_key, leaf_headers
from coverage_xl.precheck import FORMAT_NAMES, SUFFIX_KIND, Inspection, RefusedError, inspect
from coverage_xl.units import Unit, find_unit

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".xlsb", ".et")  # .et: WPS, BIFF inside
HEADER_SCAN_ROWS = 40  # the header must start within the first rows of a sheet
MIN_HEADER_HITS = 4  # leaf header texts a row needs to count as the Annex 3 header

_LEAVES = leaf_headers(ANNEX3)
_TOP_ROW_COLUMNS = [c for c, cell in ((h.col, h) for h in ANNEX3.header) if cell.row == 0 and cell.span[1] == cell.span[3]]
_PAREN_TAIL = re.compile(r"（[^（）]*）$")


def _loose(text: str) -> str:
    """Header text without its trailing bracketed hint: 属于城乡居保覆盖范围（√） → 属于城乡居保覆盖范围."""
    return _PAREN_TAIL.sub("", text)


_EXPECTED = {n: header_key(t) for n, t in _LEAVES.items()}
_EXPECTED_LOOSE = {n: _loose(t) for n, t in _EXPECTED.items()}


def header_matches(found: object, number: int) -> bool:
    f = header_key(found)
    return f == _EXPECTED[number] or (bool(f) and _loose(f) == _EXPECTED_LOOSE[number])


@dataclass
class SurveySheet:
    """The Annex 3 data of one workbook, with everything needed to point at a cell."""

    path: Path
    sheet: str
    unit: Unit | None
    unit_text: str  # what the sheet says in 填报单位 (may be empty)
    header_row: int  # Excel row number of the first header row
    first_column: int  # Excel column number of column 1 (行政代码); > 1 when the table is shifted right
    columns: dict[str, int | None]  # field key -> Excel column number where it was found (None: missing)
    rows: list[list[Any]]  # data rows, values in Annex 3 column order (20 items, '' when blank)
    row_numbers: list[int]  # Excel row number of each data row
    findings: list[Finding] = field(default_factory=list)
    hidden: bool = False
    uncached: set[tuple[int, int]] = field(default_factory=set)  # (row, column) of formulas never calculated

    def __len__(self) -> int:
        return len(self.rows)


def open_workbook(path: str | Path):
    """Open with calamine, turning every failure into :class:`UnreadableError` with a Chinese reason."""
    return open_inspected(path)[0]


def open_inspected(path: str | Path) -> tuple[Any, Inspection]:
    """Check the file (:func:`coverage_xl.precheck.inspect`), then open it with calamine by its real
    format. Returns the workbook and what the checks found (format notes, stray cells, formulas with
    no cached value). Every failure is an :class:`UnreadableError` with a Chinese reason."""
    from python_calamine import CalamineWorkbook

    path = Path(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise UnreadableError(f"文件打不开（{exc.strerror or exc}）") from exc
    if not head:
        raise UnreadableError("文件是空的（0字节）")
    try:
        found = inspect(path, head)
    except RefusedError as exc:
        raise UnreadableError(str(exc), exc.code) from exc
    except OSError as exc:
        raise UnreadableError(f"文件打不开（{exc.strerror or exc}）") from exc
    if found.kind == "encrypted":
        raise UnreadableError("文件已加密（设置了打开密码），请去掉密码后另存为.xlsx再提交")
    try:
        if found.bounded is not None:
            return CalamineWorkbook.from_filelike(io.BytesIO(found.bounded)), found
        if found.kind in FORMAT_NAMES and SUFFIX_KIND.get(path.suffix.lower()) != found.kind:
            return CalamineWorkbook.from_filelike(io.BytesIO(path.read_bytes())), found  # by content
        return CalamineWorkbook.from_path(str(path)), found
    except Exception as exc:  # calamine raises several error types; all mean "cannot read"
        text = str(exc)
        if "password" in text.lower() or "encrypt" in text.lower():
            reason = "文件已加密（设置了打开密码），请去掉密码后再提交"
        elif head[:2] == b"PK":
            reason = "文件已损坏（压缩包内容不完整），请重新保存或重新导出"
        elif head.lstrip()[:1] in (b"<",):
            reason = "这不是表格文件，而是网页（HTML/XML）改了扩展名，请用 Excel 打开后另存为.xlsx"
        else:
            reason = "这不是 Excel/WPS 表格文件，或文件已损坏（可能是改了扩展名的文本/CSV 文件）"
        raise UnreadableError(reason) from exc


def _find_header(rows: list[list[Any]]) -> tuple[int, int, int] | None:
    """(row index, column index of column 1, hits) of the best Annex 3 header candidate."""
    best: tuple[int, int, int] | None = None
    for r, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        keys = [header_key(v) for v in row]
        hits = 0
        anchor = None
        for c, k in enumerate(keys):
            if not k:
                continue
            for n in _TOP_ROW_COLUMNS:
                if k == _EXPECTED[n] or _loose(k) == _EXPECTED_LOOSE[n]:
                    hits += 1
                    if anchor is None:
                        anchor = c - (n - 1)
                    break
        if hits >= MIN_HEADER_HITS and (best is None or hits > best[2]):
            best = (r, max(anchor or 0, 0), hits)
    return best


def has_annex3_header(rows: list[list[Any]]) -> bool:
    """Whether these rows (a sheet's values from its top) carry the Annex 3 header."""
    return _find_header([list(r or []) for r in rows]) is not None


def _cell(rows: list[list[Any]], r: int, c: int) -> Any:
    if 0 <= r < len(rows) and 0 <= c < len(rows[r]):
        return rows[r][c]
    return ""


def _is_numbering_row(row: list[Any], start: int) -> bool:
    """The row that numbers the columns 1–20. A table with a column deleted or added still has a
    run of increasing small numbers there; that counts too (the header findings say what changed)."""
    vals = [str(v).strip().removesuffix(".0") for v in row[start : start + ANNEX3.width]]
    if vals == [str(n) for n in range(1, ANNEX3.width + 1)]:
        return True
    texts = [str(x).strip().removesuffix(".0") for x in row[start:] if str(x).strip()]
    nums = {int(v) for v in texts if v.isdigit() and len(v) <= 2}
    return len(nums) >= ANNEX3.width - 3 and len(nums) >= len(texts) - 1 and 1 in nums


def _unit_line(rows: list[list[Any]], header_r: int) -> str:
    """The text after 填报单位： in the rows above the header ('' when absent or blank)."""
    for row in rows[:header_r]:
        for c, v in enumerate(row):
            s = str(v) if v is not None else ""
            if "填报单位" in s:
                tail = re.split(r"填报单位[:：]?", s, maxsplit=1)[1]
                tail = re.split(r"填报人|联系方式|\s{2,}", tail)[0].strip()
                if not tail:  # the name may stand in the next filled cell
                    nxt = [x for x in row[c + 1 : c + 4] if str(x).strip()]
                    tail = str(nxt[0]).strip() if nxt and "填报人" not in str(nxt[0]) else ""
                return tail
    return ""


def _map_columns(rows: list[list[Any]], hr: int, c0: int, sheet: str, row_offset: int, col_offset: int
                 ) -> tuple[dict[str, int | None], list[Finding]]:
    """Field key -> 0-based column index within ``rows``; header findings for what does not match."""
    found_at: dict[int, int] = {}  # Annex column number -> 0-based index where its header text is
    for r in (hr, hr + 1):
        row = rows[r] if r < len(rows) else []
        for c, v in enumerate(row):
            k = header_key(v)
            if not k:
                continue
            for n in _EXPECTED:
                if n in found_at:
                    continue
                if k == _EXPECTED[n] or _loose(k) == _EXPECTED_LOOSE[n]:
                    found_at[n] = c
                    break
    mapping: dict[str, int | None] = {}
    findings: list[Finding] = []
    for col in ANNEX3.columns:
        n = col.number
        expected_idx = c0 + n - 1
        sub = 8 <= n <= 17
        here = _cell(rows, hr + (1 if sub else 0), expected_idx)
        other = _cell(rows, hr + (0 if sub else 1), expected_idx)
        if header_matches(here, n) or header_matches(other, n):  # a one-row header is fine too
            mapping[col.key] = expected_idx
            continue
        if not sub and not header_key(here):
            here = other
        if n in found_at:
            idx = found_at[n]
            mapping[col.key] = idx
        elif not any(header_matches(here, m) for m in _EXPECTED if m != n):
            mapping[col.key] = expected_idx  # renamed in place: keep reading it
        else:
            mapping[col.key] = None
        findings.append(Finding(
            "header.mismatch", sheet=sheet, row=row_offset + hr + (2 if sub else 1), column=col_offset + expected_idx + 1,
            field=col.key, value=here if here != "" else None,
            details=(("expected", col.header), ("found", str(here).strip() or "（空）"), ("column", n)),
        ))
    return mapping, findings


def _sheet(wb, name: str, **options: Any) -> tuple[Any, list[list[Any]]]:
    try:
        sheet = wb.get_sheet_by_name(name)
        return sheet, sheet.to_python(**options)
    except Exception as exc:  # calamine raises several error types; all mean "cannot read this sheet"
        raise UnreadableError(f"工作表“{name}”无法读取（{exc}）") from exc


def sheet_rows(wb, name: str, **options: Any) -> list[list[Any]]:
    """The cells of one sheet of an open workbook (``to_python`` options passed on); a sheet calamine
    cannot decode raises :class:`UnreadableError`, so callers catch one error type."""
    return _sheet(wb, name, **options)[1]


def read_survey(path: str | Path) -> SurveySheet:
    """Read the Annex 3 sheet of one workbook.

    Raises :class:`UnreadableError` when the file cannot be opened and :class:`HeaderNotFoundError`
    when no sheet carries the Annex 3 header (callers turn both into findings)."""
    path = Path(path)
    wb, inspection = open_inspected(path)
    candidates = []
    visible = {m.name: str(m.visible).endswith("Visible") for m in wb.sheets_metadata}
    for name in wb.sheet_names:
        sheet, rows = _sheet(wb, name)
        if not rows:
            continue
        found = _find_header(rows)
        if found:
            candidates.append((found[2], visible.get(name, True), name, sheet.start, rows, found))
    if not candidates:
        raise HeaderNotFoundError("找不到附件3表头（行政代码、行政区划、姓名、身份证号码……）")
    # The best header, a visible sheet before a hidden one, then the sheet with more rows.
    candidates.sort(key=lambda c: (c[0], c[1], len(c[4])), reverse=True)
    _, is_visible, name, (r_off, c_off), rows, (hr, c0, _) = candidates[0]
    mapping, findings = _map_columns(rows, hr, c0, name, r_off, c_off)
    others = [c[2] for c in candidates[1:] if len(c[4]) > c[5][0] + ANNEX3.header_rows + 1]
    if others:  # another sheet with the header and rows under it: say so rather than skip it quietly
        findings.append(Finding("sheet.multiple", sheet=name, details=(
            ("detail", "、".join(f"“{o}”" for o in others)), ("expected", name))))
    del candidates

    start = hr + ANNEX3.header_rows
    for r in range(hr + 1, min(hr + 5, len(rows))):
        if _is_numbering_row(rows[r], c0):
            start = r + 1
            break
    else:
        findings.append(Finding("header.numbering", sheet=name, row=r_off + hr + ANNEX3.header_rows + 1,
                                column=c_off + c0 + 1))
    idx = [mapping[c.key] for c in ANNEX3.columns]
    width = max((i for i in idx if i is not None), default=0) + 1
    first_col, second_col = idx[0], idx[1]
    if rows and len(rows[0]) < width:  # calamine rows are rectangular: pad once if a column lies outside
        rows = [row + [""] * (width - len(row)) for row in rows]
    end = len(rows)
    totals = [r for r in _total_candidates(rows, start, end, first_col) if _is_total_row(rows[r], first_col, second_col)]
    skip: set[int] = set(totals)
    after: list[int] = []  # data rows below the last total: read, and said
    if totals:
        for r in range(totals[-1] + 1, end):
            if _is_after_total_data(rows[r], idx):
                after.append(r)
            else:
                skip.add(r)
        if not after:
            end = totals[-1]
        else:
            findings.append(Finding("rows.after_total", sheet=name, row=r_off + after[0] + 1, details=(
                ("detail", _row_list([r_off + r + 1 for r in after])), ("expected", r_off + totals[-1] + 1))))
    if idx == list(range(c0, c0 + ANNEX3.width)):
        if c0 == 0 and rows and len(rows[0]) == ANNEX3.width:
            window = rows[start:end]  # the table is the whole sheet: no copy per row
        else:
            window = [row[c0 : c0 + ANNEX3.width] for row in rows[start:end]]
    else:
        window = [[row[i] if i is not None else "" for i in idx] for row in rows[start:end]]
    name_i, id_i = ANNEX3.col("name") - 1, ANNEX3.col("id") - 1
    # Rows left out: blank ones (no name or no ID, and nothing in columns 3–20), totals and what
    # follows them. Only rows missing a name or an ID can be blank: found with two passes in C.
    maybe = [k for k, a in enumerate(map(itemgetter(name_i), window)) if a == ""]
    maybe += [k for k, a in enumerate(map(itemgetter(id_i), window)) if a == ""]
    drop = {k for k in maybe if _blank_row(window[k])} | {r - start for r in skip if start <= r < end}
    if not drop:
        data, numbers = window, list(range(r_off + start + 1, r_off + end + 1))
    else:
        keep = [k for k in range(len(window)) if k not in drop]
        data = [window[k] for k in keep]
        numbers = [r_off + start + k + 1 for k in keep]
    uncached = inspection.uncached.get(name, set())
    if uncached:
        findings.extend(_uncached_findings(name, uncached, set(numbers), idx, c_off))

    unit_text = _unit_line(rows, hr)
    unit = find_unit(unit_text)
    if unit is None:
        regions = Counter(str(v[1]).strip() for v in data if str(v[1]).strip())
        for text, _ in regions.most_common(3):
            unit = find_unit(text)
            if unit:
                break
    if unit is None:
        unit = find_unit(path.stem)
    return SurveySheet(
        path=path, sheet=name, unit=unit, unit_text=unit_text, header_row=r_off + hr + 1,
        first_column=c_off + c0 + 1, columns={k: (None if i is None else c_off + i + 1) for k, i in zip(ANNEX3.keys, idx, strict=True)},
        rows=data, row_numbers=numbers, findings=inspection.notes + findings, hidden=not is_visible,
        uncached=uncached,
    )


_ELLIPSIS = {"……", "…", "...", "。。。", "......"}


_SUBTOTAL = re.compile(rf"^.{{0,15}}(?:{TOTAL_LABEL}|小计|总计)$")  # 合计, 新建村小计, 总计
_FOOTER_WORDS = ("填表人", "审核", "负责人", "制表", "联系电话：", "填报日期")


def _total_candidates(rows: list[list[Any]], start: int, end: int, first_col: int | None) -> list[int] | range:
    """The rows :func:`_is_total_row` needs to look at: column 1 holds text with 计 in it, or is blank
    (then column 2 decides). Most rows hold a code there and are passed over here, without a call each."""
    if first_col is None:
        return range(start, end)
    labels = list(map(itemgetter(first_col), rows[start:end]))
    # a handful of distinct labels (the code 430981 …): each judged once
    maybe = {a for a in set(labels) if a is None or (a.__class__ is str and ("计" in a or not a.strip()))}
    return [r for r, a in enumerate(labels, start) if a in maybe] if maybe else []


def _is_total_row(row: list[Any], first_col: int | None, second_col: int | None) -> bool:
    """The 合计 row, or a village's subtotal (XX村小计, a second 合计) in column 1 or 2."""
    label = row[first_col] if first_col is not None else ""
    if label.__class__ is str and "计" in label:
        return bool(_SUBTOTAL.match(label.strip().replace(" ", "").replace("\u3000", "")))
    if label is None or not str(label).strip():
        second = row[second_col] if second_col is not None else ""
        if second.__class__ is str and "计" in second:
            return bool(_SUBTOTAL.match(second.strip().replace(" ", "").replace("\u3000", "")))
    return False


def _is_after_total_data(row: list[Any], idx: list[int | None]) -> bool:
    """A row below the last total that lists a person (a name or an ID number and at least one more
    field), not a note in one cell or a signature line (填表人：…, 审核人：…)."""
    values = [row[i] if i is not None and i < len(row) else "" for i in idx]
    if _blank_row(values):
        return False
    if any(isinstance(v, str) and any(w in v for w in _FOOTER_WORDS) for v in row):
        return False
    name, pid = values[ANNEX3.col("name") - 1], values[ANNEX3.col("id") - 1]
    filled = sum(1 for v in values[2:] if v is not None and str(v).strip())
    return filled >= 2 and (bool(str(name).strip()) or bool(str(pid).strip()))


def _row_list(numbers: list[int], shown: int = 10) -> str:
    text = "、".join(str(n) for n in numbers[:shown])
    return f"第{text}行" + (f"等{len(numbers)}行" if len(numbers) > shown else "")


def _uncached_findings(sheet: str, cells: set[tuple[int, int]], data_rows: set[int], idx: list[int | None],
                       c_off: int) -> list[Finding]:
    """One finding per formula cell in the data area that was never calculated (its value is unknown)."""
    by_col = {c_off + i + 1: ANNEX3.columns[n].key for n, i in enumerate(idx) if i is not None}
    return [Finding("cell.formula_uncached", sheet=sheet, row=r, column=c, field=by_col[c])
            for r, c in sorted(cells) if r in data_rows and c in by_col]


def _blank_row(values: list[Any]) -> bool:
    """A row with nothing in columns 3–20 (a template row carrying only 行政代码/行政区划, or the
    notice's "……" example rows) is not a person."""
    for v in values[2:]:
        if v is None or v == "":
            continue
        if isinstance(v, str):
            s = v.strip().replace("\u3000", "")
            if not s or s in _ELLIPSIS:
                continue
        return False
    return True
