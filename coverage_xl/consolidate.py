"""Count a batch of unit submissions into the Annex 4 statistics table (摸底统计表).

The counting contract (issue 3) in one place:

* a data row is a person; in scope (column 7 ticked, no reason) counts in 4 and, by 是否愿意参保,
  in 18 (是) or 17 (否) — in scope with willingness missing or unreadable counts in 4 only;
* out of scope with exactly one reason counts in 5 and in that reason's column (7–9 also in the
  subtotal 6);
* rows whose classification is in error (category ``None`` from the validator: ``category.none``,
  ``category.conflict``, ``category.value``) are counted nowhere in 4–18 and 备注 says how many;
* rows with ID or phone errors are still counted (the person exists, the number needs fixing);
* a person whose ID appears in two units is counted in each unit as reported, listed on the
  重复人员 sheet and noted in both units' 备注 — who owns the person is a human decision.

Counting works on the people DataFrames the validator already made (one ``value_counts`` per
counted file, each file being one unit); no file is read again and no second copy of the people is
made. The result checks its own arithmetic (5 = 6+10+…+16, 6 = 7+8+9,
4 = 17+18+no-willingness, 4+5 = rows read − unclassifiable rows, 合计 = column sums) and raises :class:`CountCheckError` if it ever fails,
because a wrong statistics table sent upwards is worse than no table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from coverage_xl import __version__
from coverage_xl.layout import (
    ANNEX4,
    ANNEX4_COUNT_KEYS,
    EMPLOYEE_PENSION_REASONS,
    IN_SCOPE,
    REASON_KEYS,
    TOTAL_LABEL,
)
from coverage_xl.mask import mask_id
from coverage_xl.survey import FileRecord, SurveyBatch
from coverage_xl.units import Unit, find_unit

NOT_SUBMITTED = "未报送"
# Reasons counted directly in 5 besides the employee-pension subtotal 6 (columns 10–16).
OTHER_REASON_KEYS: tuple[str, ...] = tuple(k for k in REASON_KEYS if k not in EMPLOYEE_PENSION_REASONS)


class CountCheckError(AssertionError):
    """The Annex 4 arithmetic does not hold: a bug in the counting, never a user error."""


@dataclass
class UnitStatus:
    """What the run knows about one unit besides its counts."""

    unit: Unit
    file: FileRecord | None  # the counted file, or None
    problem: str = ""  # why the unit is not counted ('' when counted)
    rows: int = 0  # data rows read from the counted file
    uncounted: int = 0  # rows whose classification is in error
    no_willing: int = 0  # in scope, 是否愿意参保 blank or unreadable
    cross_duplicates: int = 0  # rows whose ID also appears in another unit

    @property
    def counted(self) -> bool:
        return self.file is not None

    def remark(self) -> str:
        parts: list[str] = []
        if self.problem:
            parts.append(self.problem)
        if self.uncounted:
            parts.append(f"{self.uncounted}条记录分类有误，未计入")
        if self.no_willing:
            parts.append(f"{self.no_willing}人未填是否愿意参保（只计入第4列）")
        if self.cross_duplicates:
            parts.append(f"{self.cross_duplicates}人与其他单位重复，见“重复人员”表")
        return "；".join(parts)


@dataclass
class Annex4Result:
    """The Annex 4 table and everything needed to explain it.

    ``table`` is indexed by unit name in Annex 1 order, then ``合计``; its columns are the ANNEX4 keys
    (code, region, population, the 15 count columns, remark). Counts are nullable integers: a unit
    with no counted file has blank counts, not zeros, so nobody reads 未报送 as "nobody there".
    """

    table: pd.DataFrame
    batch: SurveyBatch
    status: dict[str, UnitStatus]
    run_time: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))
    version: str = __version__

    @property
    def as_of(self) -> dt.date:
        return self.batch.as_of

    @property
    def complete(self) -> bool:
        """Every unit has exactly one counted file."""
        return all(s.counted for s in self.status.values())

    @property
    def missing(self) -> list[str]:
        return [name for name, s in self.status.items() if not s.counted]

    def counts(self, unit: str = TOTAL_LABEL) -> dict[str, int | None]:
        """The count columns of one row (a unit name, or 合计), blanks as None."""
        row = self.table.loc[unit, list(ANNEX4_COUNT_KEYS)]
        return {k: (None if pd.isna(v) else int(v)) for k, v in row.items()}

    def rows(self) -> list[list[Any]]:
        """The table as sheet rows (plain Python values, blanks as None), 合计 last."""
        return [[_plain(v) for v in rec] for rec in self.table.itertuples(index=False)]

    def as_dict(self, *, masked: bool = True) -> dict[str, Any]:
        """The run as JSON-ready data: per-unit counts, findings counts, duplicates, problems."""
        units = []
        for name, st in self.status.items():
            f = st.file
            units.append({
                "unit": name,
                "code": st.unit.code,
                "counted": st.counted,
                "file": f.path.name if f else None,
                "rows": st.rows,
                "counts": self.counts(name) if st.counted else None,
                "population": st.unit.population,
                "uncounted_rows": st.uncounted,
                "in_scope_without_willingness": st.no_willing,
                "cross_unit_duplicates": st.cross_duplicates,
                "remark": self.table.loc[name, "remark"],
            })
        files = []
        for f in self.batch.files:
            rep = f.checked.report
            files.append({
                "file": f.path.name,
                "unit": f.unit.name if f.unit else None,
                "size": f.size,
                "sha256": f.sha256,
                "modified": f.modified.isoformat(timespec="seconds"),
                "sheet": rep.sheet,
                "rows": rep.rows,
                "readable": rep.readable,
                "errors": rep.errors,
                "warnings": rep.warnings,
                "findings_by_code": dict(sorted(rep.by_code().items())),
                "counted": f.counted,
                "problem": f.problem,
            })
        show = mask_id if masked else str
        return {
            "tool": "coverage-xl",
            "version": self.version,
            "run_time": self.run_time.isoformat(timespec="seconds"),
            "as_of": self.as_of.isoformat(),
            "complete": self.complete,
            "total": self.counts(TOTAL_LABEL),
            "units": units,
            "files": files,
            "duplicates": [
                {"id": show(d.id), "places": [{"unit": u, "file": fn, "row": r} for u, fn, r in d.places]}
                for d in self.batch.duplicates
            ],
            "problems": [{"unit": name, "problem": st.problem} for name, st in self.status.items() if st.problem]
            + [{"unit": None, "file": f.path.name, "problem": f.problem}
               for f in self.batch.files if f.problem and f.unit is None],
        }


def _plain(v: Any) -> Any:
    """A cell value for openpyxl/JSON: pandas NA -> None, numpy integers -> int."""
    if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
        return None
    if hasattr(v, "item"):
        return v.item()
    return v


def _status(batch: SurveyBatch) -> dict[str, UnitStatus]:
    """Per unit: its counted file, or why there is none (未报送, two files, unreadable...)."""
    status = {u.name: UnitStatus(u, None) for u in batch.units}
    for f in batch.counted:
        if f.unit and f.unit.name in status:
            status[f.unit.name].file = f
            status[f.unit.name].rows = f.checked.report.rows
    for name, problem in batch.unit_problems().items():
        if name in status and not status[name].counted:
            status[name].problem = problem
    # A file that could not be read (or whose unit the contents do not say) names no unit; when its
    # file name does, say so in that unit's 备注 instead of a bare 未报送.
    for f in batch.files:
        if f.counted or f.unit is not None:
            continue
        guess = find_unit(f.path.stem, batch.units)
        if guess is None or guess.name not in status:
            continue
        st = status[guess.name]
        if st.counted:
            continue
        if not f.checked.report.readable:
            note = f"文件“{f.path.name}”无法读取，未计入（原因见汇总记录）"
        else:
            note = f"文件“{f.path.name}”未计入：{f.problem}"
        st.problem = note if st.problem in ("", NOT_SUBMITTED) else f"{st.problem}；{note}"
    return status


def consolidate(batch: SurveyBatch) -> Annex4Result:
    """Count the batch into the Annex 4 table (see the module docstring for the contract)."""
    units = batch.units
    names = [u.name for u in units]
    status = _status(batch)
    by_cat, by_will, uncounted = _tally(batch, names)
    dup_rows: dict[str, int] = {}
    for d in batch.duplicates:
        for u, _, _ in d.places:
            dup_rows[u] = dup_rows.get(u, 0) + 1

    counts = pd.DataFrame(index=pd.Index(names, name="unit"))
    counts[IN_SCOPE] = by_cat[IN_SCOPE]
    counts["out_total"] = by_cat[list(REASON_KEYS)].sum(axis=1)
    counts["employee_subtotal"] = by_cat[list(EMPLOYEE_PENSION_REASONS)].sum(axis=1)
    for k in REASON_KEYS:
        counts[k] = by_cat[k]
    counts["unwilling"] = by_will["否"]
    counts["willing"] = by_will["是"]
    counts = counts[list(ANNEX4_COUNT_KEYS)].astype("Int64")
    for name, st in status.items():
        if st.counted:
            st.uncounted = uncounted[name]
            st.no_willing = int(counts.at[name, IN_SCOPE] - counts.at[name, "unwilling"] - counts.at[name, "willing"])
            st.cross_duplicates = dup_rows.get(name, 0)
        else:
            counts.loc[name, :] = pd.NA

    table = pd.DataFrame(index=pd.Index([*names, TOTAL_LABEL], name="unit"), columns=ANNEX4.keys, dtype=object)
    table["code"] = [u.code for u in units] + [TOTAL_LABEL]
    table["region"] = [u.full_name for u in units] + [""]
    pops = [u.population for u in units]
    table["population"] = pd.array([*pops, sum(p for p in pops if p is not None) if any(p is not None for p in pops)
                                    else None], dtype="Int64")
    totals = counts.sum(axis=0, skipna=True).astype("int64")
    full = pd.concat([counts, totals.to_frame(TOTAL_LABEL).T.astype("Int64")])
    for k in ANNEX4_COUNT_KEYS:
        table[k] = full[k].astype("Int64")
    table["remark"] = [status[n].remark() for n in names] + [_total_remark(status)]
    result = Annex4Result(table, batch, status)
    check(result)
    return result


def _tally(batch: SurveyBatch, names: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """Per unit: people by category, in-scope people by willingness, rows not classifiable.

    Each counted file is one unit, so this counts file by file (a ``value_counts`` per file) instead
    of concatenating every person into one frame: same numbers, no second copy of 745,000 rows."""
    cats: dict[str, pd.Series] = {}
    wills: dict[str, pd.Series] = {}
    uncounted = dict.fromkeys(names, 0)
    for f in batch.counted:
        if f.unit is None or f.unit.name not in uncounted:
            continue
        cat = f.checked.people["category"]
        cats[f.unit.name] = cat.value_counts()
        wills[f.unit.name] = f.checked.people.loc[cat == IN_SCOPE, "willing"].value_counts()
        uncounted[f.unit.name] = int(cat.isna().sum())
    by_cat = (pd.DataFrame(cats).T.reindex(index=names, columns=[IN_SCOPE, *REASON_KEYS])
              .fillna(0).astype("int64"))
    by_will = pd.DataFrame(wills).T.reindex(index=names, columns=["是", "否"]).fillna(0).astype("int64")
    return by_cat, by_will, uncounted


def _total_remark(status: dict[str, UnitStatus]) -> str:
    missing = [n for n, s in status.items() if not s.counted]
    if not missing:
        return f"{len(status)}个单位全部计入"
    return f"{len(missing)}个单位未计入：{'、'.join(missing)}"


def check(result: Annex4Result) -> None:
    """Assert the relations every Annex 4 table must satisfy; raise :class:`CountCheckError`."""
    t = result.table
    counted = [n for n, s in result.status.items() if s.counted]
    c = t.loc[counted, list(ANNEX4_COUNT_KEYS)].astype("int64")
    problems: list[str] = []
    if not (c["out_total"] == c["employee_subtotal"] + c[list(OTHER_REASON_KEYS)].sum(axis=1)).all():
        problems.append("5 ≠ 6 + 10…16")
    if not (c["employee_subtotal"] == c[list(EMPLOYEE_PENSION_REASONS)].sum(axis=1)).all():
        problems.append("6 ≠ 7 + 8 + 9")
    no_will = pd.Series({n: result.status[n].no_willing for n in counted}, dtype="int64")
    if (no_will < 0).any() or not (c[IN_SCOPE] == c["unwilling"] + c["willing"] + no_will).all():
        problems.append("4 ≠ 17 + 18 + 未填意愿")
    total = t.loc[TOTAL_LABEL, list(ANNEX4_COUNT_KEYS)].astype("int64")
    if not (total == c.sum(axis=0)).all():
        problems.append("合计 ≠ 各单位之和")
    classified = pd.Series({n: result.status[n].rows - result.status[n].uncounted for n in counted}, dtype="int64")
    if not (c[IN_SCOPE] + c["out_total"] == classified).all():
        problems.append("4 + 5 ≠ 读取行数 − 分类有误行数")
    if problems:
        raise CountCheckError("附件4 自检失败（程序错误，请报告）：" + "；".join(problems))
