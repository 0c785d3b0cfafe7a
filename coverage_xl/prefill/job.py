"""The prefill job: read the list and the comparison sources, group, and write every unit's workbook."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from coverage_xl import guard, idcard
from coverage_xl.errors import InputError
from coverage_xl.layout import (
    header_key,
)
from coverage_xl.prefill.people import (
    Evidence,
    Person,
    PriorityRule,
    SourceSummary,
    load_priority,
    read_list,
    read_source,
    status_evidence,
)
from coverage_xl.prefill.result import BadId, CrossUnit, Listed, PrefillResult, UnitSummary
from coverage_xl.prefill.sources import (
    NORMAL_STATUSES,
    UNRECOGNISED_FILE,
    WORKBOOK_NAME,
    CompareSource,
    scheme_of,
)
from coverage_xl.prefill.workbooks import new_prefill_workbook, save_book, sort_key, write_summary
from coverage_xl.rules.person import STUDENT_AGE_LIMIT
from coverage_xl.units import CITY_CODE, Unit, default_units, find_unit


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
    guard.declare_inputs(list_path, [s.path for s in compare])
    guard.check_folder(out_dir, ["prefill"], command="prefill")  # never over town-edited workbooks

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
    result.summary_files = write_summary(result, out_dir, as_of)
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
    members.sort(key=sort_key)
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
    line.file = save_book(new_prefill_workbook(unit, rows, day), target)
    result.files.append(line.file)
    return line
