"""What a prefill run found, per unit and in total (the data the summary and the CLI show)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from coverage_xl.prefill.people import ID_PROBLEMS, PriorityRule, SourceSummary
from coverage_xl.units import Unit


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
