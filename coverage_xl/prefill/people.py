"""The people on the province's list, the evidence about each from the comparison sources, and
how they are grouped by unit (one unit per person) and prioritised."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from coverage_xl import idcard
from coverage_xl.errors import InputError
from coverage_xl.layout import (
    CATEGORY_KEYS,
    IN_SCOPE,
    header_key,
)
from coverage_xl.prefill.sources import (
    DEFAULT_LABELS,
    EMPLOYEE_SCHEME,
    ENROLLED,
    NORMAL_STATUSES,
    PRIORITY_FILE,
    RESIDENT_SCHEME,
    STATUS_ALIASES,
    STATUS_HEADERS,
    TICK,
    CompareSource,
    category_help,
    resolve_category,
)
from coverage_xl.tables import (
    ADDRESS_HEADERS,
    NAME_HEADERS,
    UNIT_HEADERS,
    VILLAGE_HEADERS,
    find_column,
    find_id_column,
    read_table,
)
from coverage_xl.units import Unit, default_units, find_unit
from coverage_xl.villages import village_of


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
                parts.append("按优先规则：" + "、".join(f"{short_label(hi)}优先于{short_label(lo)}" for hi, lo in self.overruled))
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


def short_label(key: str) -> str:
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
