"""Pre-filled Annex 3 workbooks: the province's list joined with the departments' comparison data.

The campaign starts from the province's list of people to verify (Annex 1) and from comparison data
(省内/省外职保, 机关事保, 教育, 民政/卫健, 司法, 公安, 城乡居保 itself). :func:`prefill` joins them by ID
number and writes one Annex 3 workbook per unit with the person columns filled, a *suggested* tick
where exactly one category has evidence, and the evidence in 备注 ("比对：省内企业职保"), so village
staff confirm and correct instead of researching every household. Nothing is decided for them:
conflicting evidence leaves the row open, willingness stays blank, and every row keeps going through
the same validator as a hand-filled sheet.

Choices (see docs/prefill.md): 行政代码 is the unit's own 9-digit code, as the unit template writes
in its blank rows (the city's 430981, as in the notice's examples, with ``city_code=True``; the
validator accepts both). Rows are sorted by village
(村/社区 from a village column or parsed from the address; unknown last) and then by name in code
point order. People whose unit cannot be recognised go to 未识别单位人员.xlsx, never dropped.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coverage_xl import idcard
from coverage_xl.atomic import write_atomic, write_text_atomic
from coverage_xl.errors import InputError
from coverage_xl.layout import ANNEX3, CATEGORY_KEYS, IN_SCOPE, REASON_KEYS, REASONS, header_key
from coverage_xl.tables import (
    ADDRESS_HEADERS,
    NAME_HEADERS,
    UNIT_HEADERS,
    VILLAGE_HEADERS,
    find_column,
    find_id_column,
    read_table,
)
from coverage_xl.templates import new_unit_workbook
from coverage_xl.units import CITY_CODE, Unit, default_units, find_unit
from coverage_xl.villages import village_of

ENROLLED = "enrolled"  # a comparison source listing people already in 城乡居保: evidence for in_scope
SOURCE_CATEGORIES: tuple[str, ...] = (*CATEGORY_KEYS, ENROLLED)
TICK = "√"
UNRECOGNISED_FILE = "未识别单位人员.xlsx"
SUMMARY_XLSX = "预填汇总.xlsx"
SUMMARY_CSV = "预填汇总.csv"
WORKBOOK_NAME = "{unit}_摸底明细表_预填.xlsx"
EXTRA_ROWS = 100  # blank rows after the list, for people found on the visits

# Short label of each category, used in 备注 when a source has no label of its own.
DEFAULT_LABELS: dict[str, str] = {
    IN_SCOPE: "已参加城乡居保", ENROLLED: "已参加城乡居保",
    "prov_enterprise": "省内企业职保", "prov_institution": "省内机关事保", "other_province": "省外职保",
    "statutory": "职工养老保险法定人员", "student": "在校学生", "military": "现役军人",
    "prisoner": "服刑人员", "emigrated": "已出国（境）定居", "deceased": "已死亡", "other": "其他",
}

# Names a clerk gives a comparison file or a category -> (category, label for 备注, text for column 17).
# Matched exactly first, then as a part of the text (file names: "2020年8月省内企业职保比对.xlsx");
# the longest matching name wins.
SOURCE_ALIASES: tuple[tuple[str, str, str, str], ...] = (
    ("城乡居保已参保", ENROLLED, "已参加城乡居保", ""),
    ("城乡居保参保", ENROLLED, "已参加城乡居保", ""),
    ("已参加城乡居保", ENROLLED, "已参加城乡居保", ""),
    ("城乡居保", ENROLLED, "已参加城乡居保", ""),
    ("居民养老保险", ENROLLED, "已参加城乡居保", ""),
    ("居保", ENROLLED, "已参加城乡居保", ""),
    ("省内企业职保", "prov_enterprise", "省内企业职保", ""),
    ("企业职保", "prov_enterprise", "省内企业职保", ""),
    ("企业养老", "prov_enterprise", "省内企业职保", ""),
    ("机关事保", "prov_institution", "机关事保", ""),
    ("机关事业", "prov_institution", "机关事保", ""),
    ("省外职保", "other_province", "省外职保", ""),
    ("外省职保", "other_province", "省外职保", ""),
    ("外省职工", "other_province", "省外职保", ""),
    ("法定人员", "statutory", "职工养老保险法定人员", ""),
    ("在校学生", "student", "在校学生", ""),
    ("学籍", "student", "教育学籍", ""),
    ("教育", "student", "教育在校学生", ""),
    ("学生", "student", "在校学生", ""),
    ("现役军人", "military", "现役军人", ""),
    ("军人", "military", "现役军人", ""),
    ("服刑", "prisoner", "服刑人员", ""),
    ("司法", "prisoner", "司法服刑人员", ""),
    ("监狱", "prisoner", "服刑人员", ""),
    ("出国", "emigrated", "出国（境）定居", ""),
    ("出境", "emigrated", "出国（境）定居", ""),
    ("死亡注销", "deceased", "死亡注销", ""),
    ("死亡", "deceased", "死亡", ""),
    ("火化", "deceased", "火化", ""),
    ("殡葬", "deceased", "殡葬火化", ""),
    ("公安迁出", "other", "公安迁出", "户籍已迁出"),
    ("迁出", "other", "户籍迁出", "户籍已迁出"),
    ("公安注销", "other", "公安注销", "户籍已注销"),
    ("注销", "other", "户籍注销", "户籍已注销"),
)

# A household status in the province's list that is itself evidence; other non-normal statuses are
# only copied into 备注.
STATUS_ALIASES: tuple[tuple[str, str, str], ...] = (
    ("死亡", "deceased", ""), ("迁出", "other", "户籍已迁出"), ("注销", "other", "户籍已注销"),
    ("出国", "emigrated", ""), ("出境", "emigrated", ""), ("服刑", "prisoner", ""), ("现役", "military", ""),
)
NORMAL_STATUSES = frozenset({"", "正常", "在籍", "户籍正常", "正常户", "有效", "本地户籍", "常住"})

STATUS_HEADERS = ("户籍状态", "户口状态", "人员状态", "户籍标志", "状态")


# --------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class CompareSource:
    """One comparison file and what its people are evidence for.

    ``category`` is an Annex 3 category key (:data:`coverage_xl.layout.CATEGORY_KEYS`) or
    ``"enrolled"`` (already in 城乡居保, evidence for in scope). ``label`` is written after 比对： in
    备注; ``other_text`` is the description written in column 17 when the category is ``other``.
    """

    path: Path
    category: str
    label: str = ""
    other_text: str = ""
    id_column: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))
        if self.category not in SOURCE_CATEGORIES:
            resolved = resolve_category(self.category)
            if resolved is None:
                raise InputError(f"比对数据“{self.path.name}”的类别“{self.category}”无法识别。可用类别：{category_help()}。")
            cat, label, text = resolved
            object.__setattr__(self, "category", cat)
            object.__setattr__(self, "label", self.label or label)
            object.__setattr__(self, "other_text", self.other_text or text)
        if not self.label:
            object.__setattr__(self, "label", DEFAULT_LABELS[self.category])
        if self.category == "other" and not self.other_text:  # 公安迁出 → 户籍已迁出, else the label itself
            resolved = resolve_category(self.label)
            text = resolved[2] if resolved and resolved[0] == "other" and resolved[2] else self.label
            object.__setattr__(self, "other_text", text)

    @property
    def tick(self) -> str:
        """The Annex 3 column key this source suggests."""
        return IN_SCOPE if self.category == ENROLLED else self.category


def _alias_table() -> list[tuple[str, str, str, str]]:
    rows = list(SOURCE_ALIASES)
    for key, _n, header, short in REASONS:
        rows.append((header_key(header), key, DEFAULT_LABELS[key], ""))
        rows.append((short, key, DEFAULT_LABELS[key], ""))
    rows.append(("属于城乡居保覆盖范围", IN_SCOPE, DEFAULT_LABELS[IN_SCOPE], ""))
    return rows


def resolve_category(text: str) -> tuple[str, str, str] | None:
    """(category, label, other text) for a category key, an Annex 3 header or a source name such as
    省内企业职保, 教育, 火化, 公安迁出, 城乡居保已参保 — or a file name containing one. None when nothing
    or two different categories match equally well."""
    s = header_key(text)
    if s in SOURCE_CATEGORIES:
        return s, DEFAULT_LABELS[s], ""
    table = _alias_table()
    for alias, cat, label, other in table:
        if s == alias:
            return cat, label, other
    hits = [(len(a), cat, label, other) for a, cat, label, other in table if a and a in s]
    if not hits:
        return None
    hits.sort(key=lambda h: -h[0])
    best = [h for h in hits if h[0] == hits[0][0]]
    if len({h[1] for h in best}) > 1:
        return None
    return best[0][1], best[0][2], best[0][3]


def category_help() -> str:
    return "、".join(SOURCE_CATEGORIES) + "，或中文名称如 省内企业职保、机关事保、省外职保、教育、火化、服刑、公安迁出、城乡居保已参保"


def parse_compare_spec(spec: str) -> CompareSource:
    """``FILE=类别`` (or ``FILE=类别:备注标签``) from the command line; without ``=类别`` the category
    is recognised from the file name."""
    path, sep, cat = spec.rpartition("=") if "=" in spec else (spec, "", "")
    label = ""
    if sep and ":" in cat and not Path(spec).exists():
        cat, label = cat.split(":", 1)
    if not sep:
        resolved = resolve_category(Path(path).stem)
        if resolved is None:
            raise InputError(f"无法从文件名“{Path(path).name}”判断比对数据的类别，请写成 --compare “{path}=类别”。"
                             f"可用类别：{category_help()}。")
        cat = resolved[0]
        label = label or resolved[1]
        return CompareSource(Path(path), cat, label, resolved[2])
    return CompareSource(Path(path), cat.strip(), label.strip())


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a TOML config: ``list``, ``out_dir``, ``units``, ``city_code`` and ``[[compare]]`` tables
    (file, category, label, other_text, id_column). Relative paths are relative to the config file."""
    import tomllib

    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise InputError(f"无法读取配置文件“{path}”：{exc.strerror or exc}。") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"配置文件“{path.name}”格式错误：{exc}。") from exc
    base = path.parent

    def here(p: str) -> Path:
        q = Path(p)
        return q if q.is_absolute() else base / q

    out: dict[str, Any] = {}
    if "list" in data:
        out["list"] = here(str(data["list"]))
    if "out_dir" in data:
        out["out_dir"] = here(str(data["out_dir"]))
    if "units" in data:
        units = data["units"]
        out["units"] = [units] if isinstance(units, str) else list(units)
    if "city_code" in data:
        out["city_code"] = bool(data["city_code"])
    sources = []
    for i, item in enumerate(data.get("compare", []), start=1):
        if not isinstance(item, dict) or "file" not in item:
            raise InputError(f"配置文件“{path.name}”的第{i}个 [[compare]] 缺少 file。")
        cat = item.get("category") or ""
        if not cat:
            resolved = resolve_category(Path(item["file"]).stem)
            if resolved is None:
                raise InputError(f"配置文件第{i}个 [[compare]]（{item['file']}）缺少 category，且无法从文件名判断。")
            cat = resolved[0]
        sources.append(CompareSource(here(item["file"]), cat, item.get("label", ""), item.get("other_text", ""),
                                     item.get("id_column")))
    out["compare"] = sources
    return out


# --------------------------------------------------------------------------- people


@dataclass(frozen=True)
class Evidence:
    tick: str  # Annex 3 column key
    label: str
    other_text: str = ""


@dataclass
class Person:
    """One person of the province's list with what the comparison data say about them."""

    source_row: int
    name: str
    id: str  # as written into the workbook: normalised (15-digit numbers converted to 18)
    key: str  # join key ('' when unusable)
    id_problem: str | None  # idcard.check code when the number needs correcting
    birth: str
    address: str
    village: str
    unit: Unit | None
    unit_text: str
    status: str
    evidence: list[Evidence] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ticks(self) -> list[str]:
        return sorted({e.tick for e in self.evidence}, key=CATEGORY_KEYS.index)

    @property
    def suggestion(self) -> str | None:
        """The one category with evidence, or None (no evidence, or conflicting evidence)."""
        t = self.ticks
        return t[0] if len(t) == 1 else None

    @property
    def conflict(self) -> bool:
        return len(self.ticks) > 1

    def remark(self) -> str:
        parts = []
        if self.id_problem:
            parts.append(f"需核实身份证号码（{ID_PROBLEMS.get(self.id_problem, self.id_problem)}）")
        if self.conflict:
            by_tick = defaultdict(list)
            for e in self.evidence:
                by_tick[e.tick].append(e.label)
            listed = "；".join("、".join(dict.fromkeys(by_tick[t])) for t in self.ticks)
            parts.append(f"比对冲突：{listed}，请入户核实后勾选")
        elif self.evidence:
            parts.append("比对：" + "、".join(dict.fromkeys(e.label for e in self.evidence)))
        parts.extend(self.notes)
        return "；".join(parts)

    def row(self, code: str, region: str) -> dict[str, Any]:
        """The Annex 3 row by field key."""
        r: dict[str, Any] = {"code": code, "region": region, "name": self.name, "id": self.id,
                             "birth": self.birth, "address": self.address, "remark": self.remark()}
        s = self.suggestion
        if s == "other":
            r["other"] = "；".join(dict.fromkeys(e.other_text or e.label for e in self.evidence))
        elif s is not None:
            r[s] = TICK
        return r


ID_PROBLEMS = {
    "id.missing": "名单中未填号码", "id.format": "号码位数或格式不对", "id.checksum": "校验位错误",
    "id.birthdate": "出生日期不存在", "id.legacy15": "名单为15位旧号码，已换算为18位",
    "id.numeric": "名单中号码被存为数字，后几位已丢失",
}



def _join_key(value: str, as_of: dt.date | None = None) -> tuple[str, str, str | None]:
    """(ID to write, join key, problem) for one list or comparison cell."""
    s = idcard.normalise(value)
    if re.fullmatch(r"\d(\.\d+)?E\+\d+", s):
        return s, "", "id.numeric"
    res = idcard.check(s, as_of)
    if res.code == "id.legacy15":
        return res.expected, res.expected, "id.legacy15"
    if res.code in (None, "id.region"):
        return s, s, None
    return s, (s if len(s) == 18 else ""), res.code


def read_list(path: str | Path, units: tuple[Unit, ...] | None = None, as_of: dt.date | None = None) -> list[Person]:
    """The province's list as people, with each one's unit recognised (or None)."""
    path = Path(path)
    df = read_table(path)
    id_col = find_id_column(df)
    if id_col is None:
        raise InputError(f"省名单“{path.name}”中找不到身份证号码列（表头如“身份证号码”“公民身份号码”）。"
                         f"找到的表头：{'、'.join(map(str, df.columns))}。")
    name_col = find_column(df, NAME_HEADERS, ("姓名",))
    address_col = find_column(df, ADDRESS_HEADERS, ("户籍地址", "地址", "住址", "户籍所在"))
    status_col = find_column(df, STATUS_HEADERS, ("户籍状态", "户口状态"))
    unit_col = find_column(df, UNIT_HEADERS, ("乡镇", "街道", "行政区划"))
    village_col = find_column(df, VILLAGE_HEADERS, ("村（社区）", "村社区"))
    if village_col in (address_col, unit_col):
        village_col = None
    if name_col is None:
        raise InputError(f"省名单“{path.name}”中找不到“姓名”列。找到的表头：{'、'.join(map(str, df.columns))}。")
    if unit_col is None and address_col is None:
        raise InputError(f"省名单“{path.name}”中既没有乡镇（单位）列，也没有户籍地址列，无法判断每个人所属的单位。")
    units = units or default_units()
    cache: dict[str, Unit | None] = {}

    def unit_of(text: str) -> Unit | None:
        if text not in cache:
            cache[text] = find_unit(text, units) if text else None
        return cache[text]

    people = []
    for src_row, rec in zip(df.index, df.to_dict("records"), strict=True):
        raw_id = rec[id_col]
        written, key, problem = _join_key(raw_id, as_of)
        address = rec[address_col] if address_col else ""
        unit_text = rec[unit_col] if unit_col else ""
        unit = unit_of(unit_text) or unit_of(address)
        born = idcard.birth_date(written) if re.fullmatch(r"\d{17}[\dX]", written) else None
        village = (rec[village_col] if village_col else "") or village_of(address, unit)
        people.append(Person(
            source_row=int(src_row), name=rec[name_col].strip(), id=written, key=key, id_problem=problem,
            birth=f"{born.year}.{born.month:02d}" if born else "", address=address, village=village,
            unit=unit, unit_text=unit_text or address, status=rec[status_col].strip() if status_col else "",
        ))
    return people


@dataclass
class SourceSummary:
    source: CompareSource
    rows: int  # ID rows read
    ids: int  # distinct usable IDs
    matched: int  # of those, people in the list
    bad_ids: int  # rows whose number could not be used

    @property
    def not_in_list(self) -> int:
        return self.ids - self.matched


def read_source(source: CompareSource, as_of: dt.date | None = None) -> tuple[set[str], int, int]:
    """(join keys, ID rows read, unusable rows) of one comparison file."""
    df = read_table(source.path)
    col = source.id_column if source.id_column in df.columns else find_id_column(df)
    if source.id_column and source.id_column not in df.columns:
        raise InputError(f"比对数据“{source.path.name}”中没有名为“{source.id_column}”的列。"
                         f"找到的表头：{'、'.join(map(str, df.columns))}。")
    if col is None:
        raise InputError(f"比对数据“{source.path.name}”中找不到身份证号码列（表头如“身份证号码”“公民身份号码”“证件号码”）。"
                         f"找到的表头：{'、'.join(map(str, df.columns))}。")
    keys: set[str] = set()
    rows = bad = 0
    for v in df[col]:
        if not v:
            continue
        rows += 1
        _w, key, problem = _join_key(v, as_of)
        if key and problem in (None, "id.legacy15"):
            keys.add(key)
        else:
            bad += 1
    return keys, rows, bad


def status_evidence(status: str) -> Evidence | None:
    s = header_key(status)
    if s in NORMAL_STATUSES:
        return None
    for alias, cat, text in STATUS_ALIASES:
        if alias in s:
            return Evidence(cat, f"名单户籍状态{alias}", text or status)
    return None


# --------------------------------------------------------------------------- result


@dataclass
class UnitSummary:
    """One unit's line of the summary (``unit`` None: the people whose unit was not recognised)."""

    unit: Unit | None
    rows: int = 0
    by_source: Counter = field(default_factory=Counter)  # source label -> people with that evidence
    by_category: Counter = field(default_factory=Counter)  # suggested category -> people
    conflicts: int = 0
    bad_ids: int = 0
    duplicates: int = 0  # list rows merged into another row of the same person
    file: Path | None = None

    @property
    def name(self) -> str:
        return self.unit.name if self.unit else "未识别单位"

    @property
    def suggested(self) -> int:
        return sum(self.by_category.values())

    @property
    def to_visit(self) -> int:
        """Rows with no suggestion: no evidence, or conflicting evidence — the door-to-door work."""
        return self.rows - self.suggested


@dataclass(frozen=True)
class BadId:
    unit: str
    source_row: int
    name: str
    id: str
    problem: str

    @property
    def reason(self) -> str:
        return ID_PROBLEMS.get(self.problem, self.problem)


@dataclass
class PrefillResult:
    units: list[UnitSummary]
    unrecognised: UnitSummary
    sources: list[SourceSummary]
    bad_ids: list[BadId]
    files: list[Path]
    summary_files: list[Path]
    list_rows: int
    excluded: int = 0  # people of units not asked for (--units)

    @property
    def all_lines(self) -> list[UnitSummary]:
        return [*self.units, *([self.unrecognised] if self.unrecognised.rows else [])]

    @property
    def source_labels(self) -> list[str]:
        labels = [s.source.label for s in self.sources]
        extra = sorted({k for u in self.all_lines for k in u.by_source} - set(labels))
        return list(dict.fromkeys([*labels, *extra]))


# --------------------------------------------------------------------------- writing


def _new_workbook(unit: Unit | None, rows: list[dict[str, Any]], day: dt.date):
    """The unit template (same layout, input checks and 填表说明 as a blank one) holding ``rows``, with
    a few blank rows after them for people found on the visits who are not on the list."""
    wb = new_unit_workbook(unit, rows, day=day, rows=EXTRA_ROWS)
    ws = wb.worksheets[0]
    ws.freeze_panes = ws.cell(_first_data_row(ws), ANNEX3.col("id"))
    return wb


def _first_data_row(ws) -> int:
    """The row after the 1–20 numbering row (where the template's data starts)."""
    for r in range(1, 15):
        if ws.cell(r, 1).value in (1, "1") and ws.cell(r, 2).value in (2, "2"):
            return r + 1
    return 1


def _save(wb, path: Path) -> Path:
    return write_atomic(path, lambda p: wb.save(p), backup=False)


def _sort_key(p: Person) -> tuple:
    return (p.village == "", p.village, p.name, p.id)


SUMMARY_FIXED = ("名单人数", "预分类人数", "建议属于覆盖范围", "建议不属于覆盖范围", "证据冲突", "待入户核实", "身份证号码需核实", "名单重复行")


def summary_table(result: PrefillResult) -> tuple[list[str], list[list[Any]]]:
    """The per-unit summary as a header and rows (with a 合计 row): what the CLI prints and writes."""
    labels = result.source_labels
    header = ["行政区划", *SUMMARY_FIXED[:2], *(f"比对：{lb}" for lb in labels), *SUMMARY_FIXED[2:], "文件"]
    rows = []
    totals = [0] * (len(header) - 2)
    for u in result.all_lines:
        nums = [u.rows, u.suggested, *(u.by_source.get(lb, 0) for lb in labels),
                u.by_category.get(IN_SCOPE, 0), sum(u.by_category[k] for k in REASON_KEYS), u.conflicts,
                u.to_visit, u.bad_ids, u.duplicates]
        totals = [a + b for a, b in zip(totals, nums, strict=True)]
        rows.append([u.name, *nums, u.file.name if u.file else ""])
    rows.append(["合计", *totals, ""])
    return header, rows


def _write_summary(result: PrefillResult, out_dir: Path, day: dt.date) -> list[Path]:
    import openpyxl
    from openpyxl.styles import Font

    header, rows = summary_table(result)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "预填汇总"
    ws.append([f"城乡居保全覆盖摸底预填汇总（{day.year}年{day.month}月{day.day}日）"])
    ws.append(header)
    for r in rows:
        ws.append(r)
    for c in ws[2]:
        c.font = Font(bold=True)
    ws.freeze_panes = "B3"
    src = wb.create_sheet("比对数据")
    src.append(["比对数据", "类别", "文件", "号码行数", "有效号码人数", "在名单中", "不在名单中", "号码无法使用"])
    for s in result.sources:
        src.append([s.source.label, s.source.category, s.source.path.name, s.rows, s.ids, s.matched, s.not_in_list,
                    s.bad_ids])
    bad = wb.create_sheet("身份证号码需核实")
    bad.append(["行政区划", "名单行号", "姓名", "身份证号码", "问题"])
    for b in result.bad_ids:
        bad.append([b.unit, b.source_row, b.name, b.id, b.reason])
        bad.cell(bad.max_row, 4).number_format = "@"
    written = [_save(wb, out_dir / SUMMARY_XLSX)]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    written.append(write_text_atomic(out_dir / SUMMARY_CSV, buf.getvalue(), encoding="utf-8-sig"))
    return written


# --------------------------------------------------------------------------- the job


def prefill(list_path: str | Path, compare: Sequence[CompareSource] = (), units: Iterable[str | Unit] | None = None,
            out_dir: str | Path = ".", as_of: dt.date | None = None, *, city_code: bool = False,
            progress: Callable[[str], None] | None = None) -> PrefillResult:
    """Join the list with the comparison data and write the pre-filled workbooks and the summary.

    ``units`` limits the workbooks to these units (names or :class:`Unit`); people of other units are
    counted as excluded, and people whose unit is not recognised are always written. Raises
    :class:`InputError` for a file that cannot be used (no ID column, unreadable).
    """
    as_of = as_of or dt.date.today()
    out_dir = Path(out_dir)
    all_units = default_units()
    wanted: set[str] | None = None
    if units is not None:
        wanted = set()
        for u in units:
            found = u if isinstance(u, Unit) else find_unit(u, all_units)
            if found is None:
                raise InputError(f"无法识别单位“{u}”。请写单位名称，如 草尾镇、琼湖街道、漉湖芦苇场。")
            wanted.add(found.name)
    say = progress or (lambda _m: None)

    say("读取省名单")
    people = read_list(list_path, all_units, as_of)
    evidence: dict[str, list[Evidence]] = defaultdict(list)
    sources: list[SourceSummary] = []
    list_keys = {p.key for p in people if p.key}
    for s in compare:
        say(f"读取比对数据：{s.path.name}")
        keys, rows, bad = read_source(s, as_of)
        ev = Evidence(s.tick, s.label, s.other_text)
        for k in keys:
            evidence[k].append(ev)
        sources.append(SourceSummary(s, rows, len(keys), len(keys & list_keys), bad))

    groups, merged = group_people(people, evidence)

    files: list[Path] = []
    lines: list[UnitSummary] = []
    bad_ids: list[BadId] = []
    excluded = 0
    for unit in all_units:
        members = groups.get(unit.name, [])
        if wanted is not None and unit.name not in wanted:
            excluded += len(members)
            continue
        if not members:
            continue
        say(f"写入{unit.name}")
        lines.append(_write_unit(unit, members, out_dir, as_of, city_code, merged[unit.name], bad_ids, files))
    unrecognised = UnitSummary(None)
    if groups.get(None):
        say("写入未识别单位人员")
        unrecognised = _write_unit(None, groups[None], out_dir, as_of, city_code, merged[None], bad_ids, files)
    result = PrefillResult(lines, unrecognised, sources, bad_ids, files, [], len(people), excluded)
    result.summary_files = _write_summary(result, out_dir, as_of)
    return result


def group_people(people: list[Person], evidence: Mapping[str, list[Evidence]]
                 ) -> tuple[dict[str | None, list[Person]], Counter]:
    """People by unit name (None: not recognised) with their evidence and notes attached, and the
    number of list rows merged per unit (the same number listed twice for one unit is one row)."""
    # one row per person and unit: repeated list rows of the same number are merged into the first
    groups: dict[str | None, list[Person]] = defaultdict(list)
    first_of: dict[tuple[str | None, str], Person] = {}
    repeats: Counter = Counter()
    merged: Counter = Counter()
    for p in people:
        uname = p.unit.name if p.unit else None
        if p.id and (uname, p.id) in first_of:
            repeats[id(first_of[(uname, p.id)])] += 1
            merged[uname] += 1
            continue
        if p.id:
            first_of[(uname, p.id)] = p
        if p.key and p.id_problem in (None, "id.legacy15"):
            p.evidence.extend(evidence.get(p.key, ()))
        st = status_evidence(p.status)
        if st is not None:
            p.evidence.append(st)
        elif header_key(p.status) not in NORMAL_STATUSES:
            p.notes.append(f"户籍状态：{p.status}")
        if p.unit is None:
            p.notes.append(f"名单单位/地址“{p.unit_text}”无法识别所属单位" if p.unit_text else "名单中没有单位和地址")
        groups[uname].append(p)
    units_of_key: dict[str, list[str]] = defaultdict(list)
    for uname, members in groups.items():
        for p in members:
            if repeats[id(p)]:
                p.notes.append(f"省名单中重复{repeats[id(p)] + 1}次，已合并为一行")
            if p.key:
                units_of_key[p.key].append(uname or "未识别单位")
    for uname, members in groups.items():
        for p in members:
            places = units_of_key.get(p.key, []) if p.key else []
            if len(places) > 1:
                others = "、".join(n for n in dict.fromkeys(places) if n != (uname or "未识别单位"))
                p.notes.append(f"省名单中同时列在{others}，请核实归属")

    return groups, merged


def _write_unit(unit: Unit | None, members: list[Person], out_dir: Path, day: dt.date, city_code: bool,
                duplicates: int, bad_ids: list[BadId], files: list[Path]) -> UnitSummary:
    members.sort(key=_sort_key)
    line = UnitSummary(unit, rows=len(members), duplicates=duplicates)
    code = (CITY_CODE if city_code else unit.code) if unit else ""
    region = unit.name if unit else ""
    rows = []
    for p in members:
        rows.append(p.row(code, region))
        for lb in dict.fromkeys(e.label for e in p.evidence):
            line.by_source[lb] += 1
        if p.suggestion:
            line.by_category[p.suggestion] += 1
        line.conflicts += p.conflict
        if p.id_problem:
            line.bad_ids += 1
            bad_ids.append(BadId(line.name, p.source_row, p.name, p.id, p.id_problem))
    target = out_dir / (WORKBOOK_NAME.format(unit=unit.name) if unit else UNRECOGNISED_FILE)
    line.file = _save(_new_workbook(unit, rows, day), target)
    files.append(line.file)
    return line
