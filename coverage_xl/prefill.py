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
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from coverage_xl import idcard
from coverage_xl.atomic import write_atomic, write_text_atomic
from coverage_xl.errors import InputError
from coverage_xl.layout import (
    ANNEX3,
    CATEGORY_KEYS,
    EMPLOYEE_PENSION_REASONS,
    IN_SCOPE,
    REASON_KEYS,
    REASONS,
    header_key,
)
from coverage_xl.rules.person import STUDENT_AGE_LIMIT
from coverage_xl.sheets.frame import save_workbook
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

# Names a clerk gives a comparison file or a category -> (category, label for 备注, text for column 17),
# from the data file data/compare_categories.csv (the bureau may edit it). Matched exactly first,
# then as a part of the text (file names: "2020年8月省内企业职保比对.xlsx"); the longest name wins.
CATEGORIES_FILE = "data/compare_categories.csv"
PRIORITY_FILE = "data/prefill_priority.csv"
EMPLOYEE_SCHEME, RESIDENT_SCHEME = "职保", "城乡居保"


@dataclass(frozen=True)
class CategoryName:
    """One line of data/compare_categories.csv."""

    name: str
    category: str
    label: str
    other_text: str = ""


def _read_category_names(text: str, where: str) -> tuple[CategoryName, ...]:
    out = []
    for n, rec in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        name, cat = (rec.get("name") or "").strip(), (rec.get("category") or "").strip()
        if not name:
            continue
        if cat not in SOURCE_CATEGORIES:
            raise InputError(f"比对类别表“{where}”第{n}行的类别“{cat}”无法识别。可用类别：{'、'.join(SOURCE_CATEGORIES)}。")
        out.append(CategoryName(header_key(name), cat, (rec.get("label") or "").strip() or name,
                                (rec.get("other_text") or "").strip()))
    return tuple(out)


@cache
def category_names() -> tuple[CategoryName, ...]:
    """The packaged name → category table."""
    text = resources.files("coverage_xl").joinpath(CATEGORIES_FILE).read_text(encoding="utf-8")
    return _read_category_names(text, CATEGORIES_FILE)


def scheme_of(tick: str, category: str) -> str:
    """Which pension a source proves: 职保 (an employee scheme), 城乡居保 (this city's), or ''."""
    if category == ENROLLED:
        return RESIDENT_SCHEME
    return EMPLOYEE_SCHEME if tick in EMPLOYEE_PENSION_REASONS else ""


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
    rows = [(c.name, c.category, c.label, c.other_text) for c in category_names()]
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
    """Read a TOML config: ``list``, ``out_dir``, ``units``, ``city_code``, ``priority`` and ``[[compare]]`` tables
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
    if "priority" in data:
        out["priority"] = here(str(data["priority"]))
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
    scheme: str = ""  # 职保 / 城乡居保 / '': for the 重复参保 list


@dataclass(frozen=True)
class PriorityRule:
    """Evidence for ``higher`` settles a conflict with evidence for ``lower`` (Annex 3 column keys;
    the city's 城乡居保 registrations are ``in_scope``)."""

    higher: str
    lower: str
    note: str = ""


def _rule_key(text: str, where: str, n: int) -> str:
    resolved = resolve_category(text)
    if resolved is None:
        raise InputError(f"优先规则“{where}”第{n}行的类别“{text}”无法识别。可用类别：{category_help()}。")
    return IN_SCOPE if resolved[0] == ENROLLED else resolved[0]


def load_priority(path: str | Path | None = None) -> tuple[PriorityRule, ...]:
    """Priority rules from a CSV (``higher,lower,note``; categories as keys or names such as 火化,
    省内企业职保), or the packaged data/prefill_priority.csv (none: every conflict stays open)."""
    if path is None:
        text, where = resources.files("coverage_xl").joinpath(PRIORITY_FILE).read_text(encoding="utf-8"), PRIORITY_FILE
    else:
        try:
            text, where = Path(path).read_text(encoding="utf-8-sig"), Path(path).name
        except OSError as exc:
            raise InputError(f"无法读取优先规则文件“{path}”：{exc.strerror or exc}。") from exc
    rules = []
    for n, rec in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        hi, lo = (rec.get("higher") or "").strip(), (rec.get("lower") or "").strip()
        if not hi and not lo:
            continue
        rules.append(PriorityRule(_rule_key(hi, where, n), _rule_key(lo, where, n), (rec.get("note") or "").strip()))
    return tuple(rules)


_LABEL = {IN_SCOPE: "已参加城乡居保"}


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
    home_unit: Unit | None = None  # the unit named by the list's 户籍所在地 / 户籍地址
    evidence: list[Evidence] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    overruled: list[tuple[str, str]] = field(default_factory=list)  # (higher, lower) priority rules applied

    @property
    def ticks(self) -> list[str]:
        dropped = {lo for _hi, lo in self.overruled}
        return sorted({e.tick for e in self.evidence} - dropped, key=CATEGORY_KEYS.index)

    def apply_priority(self, rules: Sequence[PriorityRule]) -> None:
        """Settle conflicting evidence by the bureau's rules: a category outranked by another one
        with evidence is set aside (and named in 备注). Without a rule the conflict stays open."""
        have = {e.tick for e in self.evidence}
        if len(have) < 2:
            return
        self.overruled = [(r.higher, r.lower) for r in rules if r.higher in have and r.lower in have]

    @property
    def double_insured(self) -> bool:
        """In an employee pension (职保) and in this city's 城乡居保 registrations: 重复参保."""
        schemes = {e.scheme for e in self.evidence}
        return EMPLOYEE_SCHEME in schemes and RESIDENT_SCHEME in schemes

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
            if self.overruled:
                parts.append("按优先规则：" + "、".join(f"{_short(hi)}优先于{_short(lo)}" for hi, lo in self.overruled))
        if self.double_insured:
            parts.append("重复参保：职保与城乡居保均有参保记录，请核实")
        parts.extend(self.notes)
        return "；".join(parts)

    def row(self, code: str, region: str) -> dict[str, Any]:
        """The Annex 3 row by field key."""
        r: dict[str, Any] = {"code": code, "region": region, "name": self.name, "id": self.id,
                             "birth": self.birth, "address": self.address, "remark": self.remark()}
        s = self.suggestion
        if s == "other":
            r["other"] = "；".join(dict.fromkeys(e.other_text or e.label for e in self.evidence if e.tick == "other"))
        elif s is not None:
            r[s] = TICK
        return r


def _short(key: str) -> str:
    return _LABEL.get(key) or DEFAULT_LABELS.get(key, key)


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
        home = unit_of(address)
        unit = unit_of(unit_text) or home
        born = idcard.birth_date(written) if re.fullmatch(r"\d{17}[\dX]", written) else None
        village = (rec[village_col] if village_col else "") or village_of(address, unit)
        people.append(Person(
            source_row=int(src_row), name=rec[name_col].strip(), id=written, key=key, id_problem=problem,
            birth=f"{born.year}.{born.month:02d}" if born else "", address=address, village=village,
            unit=unit, unit_text=unit_text or address, status=rec[status_col].strip() if status_col else "",
            home_unit=home,
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
    moved_out: int = 0  # list rows of people also listed in another unit and written there
    double_insured: int = 0  # 重复参保: 职保 and this city's 城乡居保
    students_over_age: int = 0  # 在校学生 evidence, aged 25 or more on the as-of date
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


@dataclass(frozen=True)
class CrossUnit:
    """A person listed under several units: written only into ``chosen`` (see :func:`group_people`)."""

    id: str
    name: str
    chosen: str  # unit name, or 未识别单位
    others: tuple[str, ...]
    basis: str  # 户籍所在地, or 名单先后 when the address decides nothing


@dataclass(frozen=True)
class Listed:
    """A person on one of the summary's lists (重复参保, 在校学生年龄需核实)."""

    unit: str
    source_row: int
    name: str
    id: str
    detail: str


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
    cross_units: list[CrossUnit] = field(default_factory=list)
    double_insured: list[Listed] = field(default_factory=list)
    students_over_age: list[Listed] = field(default_factory=list)
    priority: tuple[PriorityRule, ...] = ()

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
    return write_atomic(path, lambda p: save_workbook(wb, p), backup=False)


def _sort_key(p: Person) -> tuple:
    return (p.village == "", p.village, p.name, p.id)


SUMMARY_FIXED = ("名单人数", "预分类人数", "建议属于覆盖范围", "建议不属于覆盖范围", "证据冲突", "待入户核实", "身份证号码需核实",
                 "名单重复行", "跨单位重复（已归入他单位）", "重复参保", "在校学生满25周岁")


def summary_table(result: PrefillResult) -> tuple[list[str], list[list[Any]]]:
    """The per-unit summary as a header and rows (with a 合计 row): what the CLI prints and writes."""
    labels = result.source_labels
    header = ["行政区划", *SUMMARY_FIXED[:2], *(f"比对：{lb}" for lb in labels), *SUMMARY_FIXED[2:], "文件"]
    rows = []
    totals = [0] * (len(header) - 2)
    for u in result.all_lines:
        nums = [u.rows, u.suggested, *(u.by_source.get(lb, 0) for lb in labels),
                u.by_category.get(IN_SCOPE, 0), sum(u.by_category[k] for k in REASON_KEYS), u.conflicts,
                u.to_visit, u.bad_ids, u.duplicates, u.moved_out, u.double_insured, u.students_over_age]
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
    cross = wb.create_sheet("跨单位重复")
    cross.append(["身份证号码", "姓名", "写入单位", "名单中还列在", "依据"])
    for c in result.cross_units:
        cross.append([c.id, c.name, c.chosen, "、".join(c.others), c.basis])
        cross.cell(cross.max_row, 1).number_format = "@"
    for title, people in (("重复参保", result.double_insured), ("在校学生年龄需核实", result.students_over_age)):
        sheet = wb.create_sheet(title)
        sheet.append(["行政区划", "名单行号", "姓名", "身份证号码", "说明"])
        for x in people:
            sheet.append([x.unit, x.source_row, x.name, x.id, x.detail])
            sheet.cell(sheet.max_row, 4).number_format = "@"
    rules = wb.create_sheet("优先规则")
    rules.append(["优先", "次于", "说明"])
    for r in result.priority:
        rules.append([_short(r.higher), _short(r.lower), r.note])
    if not result.priority:
        rules.append(["（无）", "", "没有优先规则：证据冲突的人员一律不预勾选，留待入户核实"])
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
            progress: Callable[[str], None] | None = None,
            priority: Sequence[PriorityRule] | str | Path | None = None) -> PrefillResult:
    """Join the list with the comparison data and write the pre-filled workbooks and the summary.

    ``units`` limits the workbooks to these units (names or :class:`Unit`); people of other units are
    counted as excluded, and people whose unit is not recognised are always written. ``priority``:
    rules that settle conflicting evidence (a CSV path, rules, or None for data/prefill_priority.csv).
    Raises :class:`InputError` for a file that cannot be used (no ID column, unreadable).
    """
    as_of = as_of or dt.date.today()
    rules = tuple(priority) if isinstance(priority, list | tuple) else load_priority(priority)
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
        ev = Evidence(s.tick, s.label, s.other_text, scheme_of(s.tick, s.category))
        for k in keys:
            evidence[k].append(ev)
        sources.append(SourceSummary(s, rows, len(keys), len(keys & list_keys), bad))

    groups, merged, cross = group_people(people, evidence, rules=rules, as_of=as_of)

    files: list[Path] = []
    lines: list[UnitSummary] = []
    bad_ids: list[BadId] = []
    excluded = 0
    moved: Counter = Counter()
    for c in cross:
        for other in c.others:
            moved[other] += 1
    result = PrefillResult(lines, UnitSummary(None), sources, bad_ids, files, [], len(people), 0, cross, priority=rules)
    for unit in all_units:
        members = groups.get(unit.name, [])
        if wanted is not None and unit.name not in wanted:
            excluded += len(members)
            continue
        if not members:
            continue
        say(f"写入{unit.name}")
        line = _write_unit(unit, members, out_dir, as_of, city_code, merged[unit.name], result)
        line.moved_out = moved[unit.name]
        lines.append(line)
    if groups.get(None):
        say("写入未识别单位人员")
        result.unrecognised = _write_unit(None, groups[None], out_dir, as_of, city_code, merged[None], result)
        result.unrecognised.moved_out = moved["未识别单位"]
    result.excluded = excluded
    result.summary_files = _write_summary(result, out_dir, as_of)
    return result


def _one_unit_each(people: list[Person]) -> tuple[dict[str, str | None], list[CrossUnit]]:
    """For each number listed under several units, the one unit whose workbook gets the person: the
    unit of the list's 户籍所在地 (户籍地址) when it is one of them, else the first listed."""
    rows_of: dict[str, list[Person]] = defaultdict(list)
    for p in people:
        if p.key:
            rows_of[p.key].append(p)
    owner: dict[str, str | None] = {}
    cross: list[CrossUnit] = []
    for key, rows in rows_of.items():
        names = list(dict.fromkeys(p.unit.name if p.unit else None for p in rows))
        if len(names) < 2:
            continue
        home = {p.home_unit.name for p in rows if p.home_unit} & {n for n in names if n}
        if len(home) == 1:
            chosen, basis = home.pop(), "户籍所在地"
        else:
            chosen, basis = names[0], "名单先后（户籍所在地无法判断）"
        owner[key] = chosen
        cross.append(CrossUnit(rows[0].id, rows[0].name, chosen or "未识别单位",
                               tuple(n or "未识别单位" for n in names if n != chosen), basis))
    return owner, cross


def group_people(people: list[Person], evidence: Mapping[str, list[Evidence]], *,
                 rules: Sequence[PriorityRule] = (), as_of: dt.date | None = None
                 ) -> tuple[dict[str | None, list[Person]], Counter, list[CrossUnit]]:
    """People by unit name (None: not recognised) with their evidence and notes attached, the
    number of list rows merged per unit (the same number listed twice for one unit is one row), and
    the people listed under several units — each written into one unit only (:func:`_one_unit_each`),
    the others named in 备注."""
    owner, cross = _one_unit_each(people)
    cross_by_key = {c.id: c for c in cross}
    groups: dict[str | None, list[Person]] = defaultdict(list)
    first_of: dict[tuple[str | None, str], Person] = {}
    repeats: Counter = Counter()
    merged: Counter = Counter()
    for p in people:
        uname = p.unit.name if p.unit else None
        if p.key in owner and owner[p.key] != uname:
            continue  # written into the chosen unit's workbook only
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
        p.apply_priority(rules)
        groups[uname].append(p)
    for members in groups.values():
        for p in members:
            if repeats[id(p)]:
                p.notes.append(f"省名单中重复{repeats[id(p)] + 1}次，已合并为一行")
            c = cross_by_key.get(p.key) if p.key else None
            if c is not None:
                p.notes.append(f"省名单中同时列在{'、'.join(c.others)}，按{c.basis}列入本单位，"
                               f"{'、'.join(c.others)}的预填表中不再列出")
            age = _age(p, as_of)
            if "student" in p.ticks and age is not None and age >= STUDENT_AGE_LIMIT:
                p.notes.append(f"比对为在校学生，但截至{as_of:%Y-%m-%d}已满{age}周岁，请核实是否仍在校")
    return groups, merged, cross


def _age(p: Person, as_of: dt.date | None) -> int | None:
    if as_of is None or not re.fullmatch(r"\d{17}[\dX]", p.id or ""):
        return None
    born = idcard.birth_date(p.id)
    return idcard.age_on(born, as_of) if born else None


def _write_unit(unit: Unit | None, members: list[Person], out_dir: Path, day: dt.date, city_code: bool,
                duplicates: int, result: PrefillResult) -> UnitSummary:
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
            result.bad_ids.append(BadId(line.name, p.source_row, p.name, p.id, p.id_problem))
        if p.double_insured:
            line.double_insured += 1
            labels = "、".join(dict.fromkeys(e.label for e in p.evidence if e.scheme))
            result.double_insured.append(Listed(line.name, p.source_row, p.name, p.id, labels))
        age = _age(p, day)
        if "student" in p.ticks and age is not None and age >= STUDENT_AGE_LIMIT:
            line.students_over_age += 1
            result.students_over_age.append(Listed(line.name, p.source_row, p.name, p.id, f"{age}周岁"))
    target = out_dir / (WORKBOOK_NAME.format(unit=unit.name) if unit else UNRECOGNISED_FILE)
    line.file = _save(_new_workbook(unit, rows, day), target)
    result.files.append(line.file)
    return line
