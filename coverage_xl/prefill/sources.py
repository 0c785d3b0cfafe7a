"""Comparison sources: the category names (data), ``FILE=类别`` specs, the config file, status aliases."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from coverage_xl.errors import InputError
from coverage_xl.layout import (
    CATEGORY_KEYS,
    EMPLOYEE_PENSION_REASONS,
    IN_SCOPE,
    REASONS,
    header_key,
)

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
