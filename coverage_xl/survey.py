"""Load a folder of unit submissions: validate each file, assign it to a unit, find what is wrong
with the folder as a whole (a unit missing, a unit twice, the same person in two units).

Consolidation, dispatch and notices all start here, so every job counts the same people. Which rows
of a counted file count in its unit's figures is decided here too (:meth:`SurveyBatch.counted_people`):

* the same ID twice inside one unit counts once there (the first row whose classification is
  readable, else the first row); the repeat stays an ``id.duplicate`` error finding;
* an ID reported by several units counts in each of them, until the bureau writes the owning unit
  into the 归属单位 column of the 重复人员 sheet (:mod:`coverage_xl.ownership`); from then on the
  person counts only in that unit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing as mp
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from coverage_xl.findings import FileReport, Finding
from coverage_xl.ownership import OwnerChoice, OwnerChoices
from coverage_xl.units import Unit, default_units
from coverage_xl.validate import Checked, empty_people, spreadsheet_files, validate_file

if TYPE_CHECKING:  # pandas is imported where a table is built: a spawned worker (Windows) never needs it
    import pandas as pd


@dataclass
class FileRecord:
    """One input file as the run log (汇总记录) shows it."""

    path: Path
    size: int
    sha256: str
    modified: dt.datetime
    checked: Checked
    unit: Unit | None
    counted: bool = False
    problem: str = ""  # why it was not counted (Chinese), '' when counted


@dataclass
class CrossDuplicate:
    id: str
    places: list[tuple[str, str, int]]  # (unit name, file name, Excel row), for display
    sources: list[Path] = field(default_factory=list)  # each place's file by full path: names repeat (附件3.xlsx)
    owner: str | None = None  # the unit chosen in 归属单位; None while undecided (counted in each unit)
    choice: OwnerChoice | None = None  # where the choice was written

    @property
    def units(self) -> list[str]:
        """The units that reported the person, in the order of ``places``, each once."""
        return list(dict.fromkeys(u for u, _, _ in self.places))


@dataclass
class SurveyBatch:
    files: list[FileRecord]
    units: tuple[Unit, ...]
    as_of: dt.date
    duplicates: list[CrossDuplicate] = field(default_factory=list)
    owner_findings: list[Finding] = field(default_factory=list)  # about the 归属单位 cells
    owner_source: str = ""  # the workbook the 归属单位 choices were read from
    owner_typed: dict[tuple[str, str], str] = field(default_factory=dict)  # (ID, unit) -> 归属单位 as typed
    given_away: dict[str, frozenset[int]] = field(default_factory=dict)  # file path -> rows owned elsewhere

    @property
    def counted(self) -> list[FileRecord]:
        return [f for f in self.files if f.counted]

    def counted_people(self, rec: FileRecord) -> pd.DataFrame:
        """The rows of one counted file that count in its unit's figures (see the module docstring):
        rows owned by another unit are left out, then an ID repeated inside the file counts once."""
        p = rec.checked.people
        away = self.given_away.get(str(rec.path))
        if away:
            p = p[~p["row"].isin(away)]
        return p[first_of_each_id(p)]

    def row_accounting(self, rec: FileRecord, counted: pd.DataFrame | None = None) -> tuple[int, int]:
        """(rows owned by another unit, repeated rows of an ID already counted in this unit);
        ``counted`` is :meth:`counted_people` of ``rec`` when the caller has it already."""
        people = rec.checked.people
        away = self.given_away.get(str(rec.path), frozenset())
        given = int(people["row"].isin(away).sum()) if away else 0
        return given, len(people) - given - len(self.counted_people(rec) if counted is None else counted)

    def people(self) -> pd.DataFrame:
        """Everyone counted, with their unit: one row per person and unit (:meth:`counted_people`)."""
        import pandas as pd

        frames = [self.counted_people(f).assign(unit=f.unit.name, file=f.path.name) for f in self.counted if f.unit]
        if not frames:
            return empty_people().assign(file=pd.Series(dtype=object))
        return pd.concat(frames, ignore_index=True)

    def missing_units(self) -> list[Unit]:
        have = {f.unit.name for f in self.counted if f.unit}
        twice = {f.unit.name for f in self.files if f.unit and not f.counted and f.checked.report.readable}
        return [u for u in self.units if u.name not in have and u.name not in twice]

    def unit_problems(self) -> dict[str, str]:
        """Unit name -> why it has no counted file (未报送, two files, unreadable)."""
        out: dict[str, str] = {}
        for f in self.files:
            if f.unit and not f.counted:
                out[f.unit.name] = f.problem
        for u in self.missing_units():
            out.setdefault(u.name, "未报送")
        return out


def first_of_each_id(people: pd.DataFrame) -> pd.Series:
    """True for the row that counts for each ID of one unit: the first row whose classification is
    readable (category not None), else the first row. Rows without an ID always count (nobody can
    tell them apart)."""
    import pandas as pd

    ids = people["id"].fillna("").astype(str)
    if not ids[ids != ""].duplicated().any():
        return pd.Series(True, index=people.index)
    unreadable = people["category"].isna()
    order = unreadable.sort_values(kind="stable").index  # readable rows first, file order kept
    repeat = ids.loc[order].duplicated() & (ids.loc[order] != "")
    return ~repeat.reindex(people.index)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _check_one(path: Path, as_of: dt.date) -> tuple[Checked, str, int, float]:
    """Validate one file and fingerprint it (runs in a worker process)."""
    stat = path.stat()
    checked = validate_file(path, as_of)
    checked.materialise()  # the people's columns, from the sheet's rows, which are dropped next
    if checked.survey is not None:
        checked.survey.rows = []
        checked.survey.row_numbers = []
    return checked, sha256_of(path), stat.st_size, stat.st_mtime


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def start_method() -> str:
    """How worker processes start: ``fork`` where the OS has it (Linux, macOS), else ``spawn``
    (Windows, where each worker starts a new Python and re-imports the library).
    ``COVERAGE_XL_START_METHOD=spawn`` forces spawn on Linux, to measure the Windows case."""
    methods = mp.get_all_start_methods()
    wanted = os.environ.get("COVERAGE_XL_START_METHOD", "").strip()
    if wanted in methods:
        return wanted
    return "fork" if "fork" in methods else "spawn"


# Under spawn (Windows) each worker starts a new Python and imports the library before it checks a
# file, so extra workers pay off only for a folder with enough work to share: below this many bytes
# of workbooks one process is faster (measured: default_workers, docs/scale.md).
SPAWN_BREAK_EVEN_BYTES = 2_000_000


def default_workers(files: int | Sequence[str | Path]) -> int:
    """How many processes check a folder. ``files``: the files to check (under spawn their total
    size decides), or only their number.

    ``COVERAGE_XL_WORKERS`` when set. Where workers are forked (Linux, macOS): one per core, at most 4
    and at most one per file. Where they are spawned (Windows), each worker first starts a new Python
    and re-imports the library before its first file, so: one process for a folder under
    :data:`SPAWN_BREAK_EVEN_BYTES` (2 MB of workbooks; a few small units), as many as when forked
    from there on (the city's 14 files, 7.5 MB). The break-even is measured (docs/scale.md, "Spawned
    workers"; re-measure with ``benchmarks/run.py --spawn-sweep``): on the quiet 2-core VM
    (results/latest.md of 14:40) two spawned workers took 1.07× as long as one for 1.11 MB, 0.91× for
    1.96 MB and 0.70× for 7.53 MB, a crossing at about 1.5 MB. The constant sits a little above it,
    at 2 MB, because Windows starts a process more slowly than Linux does.
    Given only a count, under spawn: one (the size is unknown)."""
    env = os.environ.get("COVERAGE_XL_WORKERS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    n = files if isinstance(files, int) else len(files)
    forked = max(1, min(os.cpu_count() or 1, 4, n))
    if start_method() != "spawn":
        return forked
    if isinstance(files, int) or sum(_size(Path(f)) for f in files) < SPAWN_BREAK_EVEN_BYTES:
        return 1
    return forked


def _died(path: Path, exc: BaseException) -> tuple[Checked, str, int, float]:
    """A file whose check killed its worker (abort, out of memory) or raised: ``file.unreadable``
    for that file alone."""
    if isinstance(exc, MemoryError):
        reason = "读取时内存不足（文件过大或结构异常）"
    elif isinstance(exc, BrokenProcessPool):
        reason = "读取时处理进程异常退出（文件结构异常或内存不足），其他文件不受影响"
    else:
        reason = f"读取时出错（{type(exc).__name__}）"
    report = FileReport(path=path, readable=False, findings=[Finding("file.unreadable", details=(("detail", reason),))])
    try:
        stat = path.stat()
        digest, size, mtime = sha256_of(path), stat.st_size, stat.st_mtime
    except OSError:
        digest, size, mtime = "", 0, 0.0
    return Checked(report, empty_people()), digest, size, mtime


def _check_safely(path: Path, as_of: dt.date) -> tuple[Checked, str, int, float]:
    try:
        return _check_one(path, as_of)
    except (MemoryError, RecursionError) as exc:
        return _died(path, exc)


def _check_alone(path: Path, as_of: dt.date, ctx) -> tuple[Checked, str, int, float]:
    """Check one file in a process of its own, so that if it dies, only this file is lost."""
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        try:
            return pool.submit(_check_one, path, as_of).result()
        except Exception as exc:  # the worker died (BrokenProcessPool) or the check raised in it
            return _died(path, exc)


def _check_all(files: list[Path], as_of: dt.date, workers: int | None,
               progress: Callable[[Path, int, int], None] | None) -> Iterator[tuple[Checked, str, int, float]]:
    """Results in file order; ``progress(path, n, total)`` as each file is taken up.

    A worker that dies (SIGABRT from a native allocation failure, the OOM killer) breaks the whole
    pool; every file not finished then is checked again, each in a process of its own, so that the
    file that kills its process becomes ``file.unreadable`` and the others are still counted."""
    workers = workers or default_workers(files)
    total = len(files)
    if workers <= 1 or total <= 1:
        for n, path in enumerate(files, start=1):
            if progress:
                progress(path, n, total)
            yield _check_safely(path, as_of)
        return
    ctx = mp.get_context(start_method())
    # Largest files first, so that no worker is left with the biggest one at the end.
    order = sorted(range(total), key=lambda i: -_size(files[i]))
    broken = False
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        submitted = {i: pool.submit(_check_one, files[i], as_of) for i in order}
        futures = [submitted[i] for i in range(total)]
        for n, (path, fut) in enumerate(zip(files, futures, strict=True), start=1):
            if progress:
                progress(path, n, total)
            if not broken:
                try:
                    yield fut.result()
                    continue
                except BrokenProcessPool:
                    broken = True
                except Exception as exc:  # raised inside the worker (MemoryError …): this file only
                    yield _died(path, exc)
                    continue
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                yield fut.result()  # finished before the pool broke
            else:
                yield _check_alone(path, as_of, ctx)




def load_batch(paths: Iterable[str | Path] | str | Path, as_of: dt.date | None = None, *,
               units: tuple[Unit, ...] | None = None,
               progress: Callable[[Path, int, int], None] | None = None,
               workers: int | None = None, owners: OwnerChoices | None = None) -> SurveyBatch:
    """Validate every workbook (a folder or a list of files) and decide which ones are counted.

    A file is counted when it was read, its unit was recognised, and no other file claims the same
    unit (two files for one unit: neither is counted, the message names both).

    Files are independent, so they are checked in ``workers`` processes (default: one per core, at
    most 4; ``COVERAGE_XL_WORKERS=1`` or ``workers=1`` checks them one by one in this process). The
    result is the same either way, in the same order. The raw cells of each sheet are dropped once
    its people table exists: later steps need only the table, and 745,000 rows of cells would
    otherwise stay in memory.

    ``owners`` are the bureau's 归属单位 choices (:func:`coverage_xl.ownership.read_owner_choices`),
    applied with :func:`apply_owner_choices`."""
    as_of = as_of or dt.date.today()
    units = units or default_units()
    if isinstance(paths, str | Path):
        p = Path(paths)
        files = spreadsheet_files(p) if p.is_dir() else [p]
    else:
        files = [Path(p) for p in paths]
    batch = _load(files, as_of, units, workers, progress)
    if owners:
        apply_owner_choices(batch, owners)
    return batch


def _load(files: list[Path], as_of: dt.date, units: tuple[Unit, ...], workers: int | None,
          progress: Callable[[Path, int, int], None] | None) -> SurveyBatch:
    records: list[FileRecord] = []
    for path, (checked, digest, size, mtime) in zip(files, _check_all(files, as_of, workers, progress), strict=True):
        unit = next((u for u in units if u.name == checked.report.unit), None) if checked.report.unit else None
        rec = FileRecord(path, size, digest, dt.datetime.fromtimestamp(mtime), checked, unit)
        if not checked.report.readable:
            rec.problem = "文件无法读取：" + checked.report.findings[0].message()
        elif checked.survey is None:
            rec.problem = "找不到附件3表头"
        elif unit is None:
            rec.problem = "无法识别填报单位"
        records.append(rec)
    by_unit: dict[str, list[FileRecord]] = {}
    for rec in records:
        if rec.unit and not rec.problem:
            by_unit.setdefault(rec.unit.name, []).append(rec)
    for name, recs in by_unit.items():
        if len(recs) == 1:
            recs[0].counted = True
        else:
            names = "、".join(r.path.name for r in recs)
            for r in recs:
                r.problem = f"{name}有{len(recs)}个文件（{names}），均未计入，请确认保留哪一个"
    batch = SurveyBatch(records, units, as_of)
    batch.duplicates = find_cross_unit_duplicates(batch)
    return batch


def apply_owner_choices(batch: SurveyBatch, owners: OwnerChoices) -> None:
    """Count each decided person only in the chosen unit; a choice that cannot apply is a finding
    (``owner.not_a_place``, ``owner.not_duplicate``) and the person stays counted in each unit."""
    batch.owner_findings = list(owners.findings)
    batch.owner_source = owners.source
    batch.owner_typed = dict(owners.typed)
    by_id = {d.id: d for d in batch.duplicates}
    for pid, ch in owners.choices.items():
        d = by_id.get(pid)
        where = {"sheet": "重复人员", "row": ch.row, "column": ch.column, "field": "owner", "value": ch.text}
        if d is None:
            batch.owner_findings.append(Finding("owner.not_duplicate", **where))
        elif ch.unit not in d.units:
            batch.owner_findings.append(Finding("owner.not_a_place", **where,
                                                details=(("detail", "、".join(d.units)),)))
        else:
            d.owner, d.choice = ch.unit, ch
    away: dict[str, set[int]] = {}
    for d in batch.duplicates:
        if d.owner is not None:
            for (unit, _, row), source in zip(d.places, d.sources, strict=True):
                if unit != d.owner:
                    away.setdefault(str(source), set()).add(row)
    batch.given_away = {k: frozenset(v) for k, v in away.items()}
    batch.owner_findings.sort(key=lambda f: (f.row or 0, f.code))


def find_cross_unit_duplicates(batch: SurveyBatch) -> list[CrossDuplicate]:
    """The same ID in two or more units' counted files; adds ``id.duplicate_cross_unit`` findings."""
    import pandas as pd

    frames = [f.checked.people[["id", "row"]].assign(unit=f.unit.name, file=str(f.path))
              for f in batch.counted if f.unit]
    if not frames:
        return []
    people = pd.concat(frames, ignore_index=True)  # only the columns needed: 745,000 rows stay cheap
    ids = people[people["id"] != ""]
    multi = ids[ids.duplicated("id", keep=False)]
    multi = multi[multi.groupby("id")["unit"].transform("nunique") > 1]
    dups: list[CrossDuplicate] = []
    rec_by_path = {str(r.path): r for r in batch.counted}  # by full path: several units send "附件3.xlsx"
    order = {u.name: i for i, u in enumerate(batch.units)}
    for pid, grp in multi.groupby("id", sort=True):
        found = sorted(((u, f, int(r)) for u, f, r in zip(grp["unit"], grp["file"], grp["row"], strict=True)),
                       key=lambda p: (order.get(p[0], len(order)), Path(p[1]).name, p[2], p[1]))  # Annex 1 order
        places = [(u, Path(f).name, r) for u, f, r in found]
        dups.append(CrossDuplicate(str(pid), places, [Path(f) for _, f, _ in found]))
        for (_, fpath, row), place in zip(found, places, strict=True):
            others = "、".join(f"{u}（{f}第{r}行）" for u, f, r in places if (u, f, r) != place)
            rec = rec_by_path[fpath]
            col = rec.checked.survey.columns.get("id") if rec.checked.survey else None
            rec.checked.report.findings.append(Finding(
                "id.duplicate_cross_unit", sheet=rec.checked.report.sheet, row=row, column=col, field="id",
                value=pid, details=(("detail", others),)))
    return dups
