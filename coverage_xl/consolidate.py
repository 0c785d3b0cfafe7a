"""Count a batch of unit submissions into the Annex 4 statistics table (摸底统计表).

The counting contract (issues 3 and 13) in one place; docs/consolidate.md and the 口径说明 printed
under the table say the same (:data:`COUNTING_RULES`):

* a data row is a person; in scope (column 7 ticked, no reason) counts in 4 and, by 是否愿意参保,
  in 18 (是) or 17 (否) — in scope with willingness missing or unreadable counts in 4 only, and the
  check line under the table names how many (第4列 = 第17列 + 第18列 + 未填意愿 N 人);
* out of scope with exactly one reason counts in 5 and in that reason's column (7–9 also in the
  subtotal 6);
* rows whose classification is in error (category ``None`` from the validator: ``category.none``,
  ``category.conflict``, ``category.value``) are counted nowhere in 4–18 and 备注 says how many;
* rows with ID or phone errors are still counted (the person exists, the number needs fixing);
* the same ID twice in one unit counts once there (:meth:`SurveyBatch.counted_people`), and stays
  an ``id.duplicate`` error;
* a person whose ID appears in two units is counted in each unit as reported, listed on the
  重复人员 sheet and noted in both units' 备注 — until the bureau writes the owning unit into its
  归属单位 column: then only there;
* 合计 is the sum of the unit rows (reviewers check that); the row 全市去重合计 under it counts each
  person once across units, and its 备注 explains the difference;
* 户籍人口数 is an input (单位设置); a unit without it is blank, and 合计 says 未填 unless every
  unit has one.

Counting works on the people DataFrames the validator already made (one hash count per
counted file, each file being one unit); no file is read again. The result checks its own arithmetic
(5 = 6+10+…+16, 6 = 7+8+9, 4 = 17+18+no-willingness, 4+5 = counted rows − unclassifiable rows,
合计 = column sums) and raises :class:`CountCheckError` if it ever fails, because a wrong statistics
table sent upwards is worse than no table.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from coverage_xl import __version__
from coverage_xl.errors import CoverageError
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
from coverage_xl.values import plain

NOT_SUBMITTED = "未报送"
DEDUP_LABEL = "全市去重合计"
POPULATION_UNKNOWN = "未填"
COUNTING_RULES: tuple[str, ...] = (
    "一行即一人：第7列打“√”的计入第4列，再按“是否愿意参保”计入第18列（是）或第17列（否）；"
    "未填或填写不规范的只计入第4列，见下方核对行“未填意愿”人数。",
    "不属于覆盖范围且只勾选一项原因的计入第5列及该原因所在列（第7–9列同时计入小计第6列）。",
    "分类有误（未勾选、勾选冲突、勾选内容不规范）的行第4–18列均不计入，备注注明条数；"
    "身份证号码或电话有误的行照常计入。",
    "同一身份证号码在同一单位出现多次的只计一次（按第一条分类可读的记录），并列为错误请单位删除重复行。",
    "同一身份证号码出现在两个及以上单位的，在“重复人员”表“归属单位”列核定前按各单位上报分别计入；"
    "核定后只计入归属单位。",
    "“合计”为各单位数之和；“全市去重合计”每人只计一次（归属未定的按附件1单位顺序在先的单位的记录计），"
    "两行之差见其备注。",
    "户籍人口数取自“单位设置”；未填的单位留空，有单位未填时合计写“未填”。",
)
# Reasons counted directly in 5 besides the employee-pension subtotal 6 (columns 10–16).
OTHER_REASON_KEYS: tuple[str, ...] = tuple(k for k in REASON_KEYS if k not in EMPLOYEE_PENSION_REASONS)


class CountCheckError(CoverageError, AssertionError):
    """The Annex 4 arithmetic does not hold: a bug in the counting, never a user error. A
    :class:`CoverageError` all the same, so a clerk sees the Chinese message, not a traceback."""


@dataclass
class UnitStatus:
    """What the run knows about one unit besides its counts."""

    unit: Unit
    file: FileRecord | None  # the counted file, or None
    problem: str = ""  # why the unit is not counted ('' when counted)
    rows: int = 0  # data rows read from the counted file
    uncounted: int = 0  # counted rows whose classification is in error
    no_willing: int = 0  # in scope, 是否愿意参保 blank or unreadable
    cross_duplicates: int = 0  # rows whose ID also appears in another unit (owner undecided or this unit)
    repeats: int = 0  # rows of an ID already counted in this unit
    given_away: int = 0  # rows whose person the bureau assigned to another unit (归属单位)

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
        if self.repeats:
            parts.append(f"{self.repeats}条记录身份证号码在本表重复，只计一次")
        if self.cross_duplicates:
            parts.append(f"{self.cross_duplicates}人与其他单位重复，见“重复人员”表")
        if self.given_away:
            parts.append(f"{self.given_away}人经核定归属其他单位，未计入")
        return "；".join(parts)

    @property
    def counted_rows(self) -> int:
        """Rows that count in this unit's figures (read − repeats − given away)."""
        return self.rows - self.repeats - self.given_away


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
    dedup: dict[str, int] = field(default_factory=dict)  # 全市去重合计: count key -> people
    dedup_remark: str = ""
    no_willing_dedup: int = 0  # in scope without willingness, each person once
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
        return [[plain(v) for v in rec] for rec in self.table.itertuples(index=False)]

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
                "repeated_rows": st.repeats,
                "assigned_to_other_unit": st.given_away,
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
            "deduplicated_total": dict(self.dedup),
            "deduplicated_remark": self.dedup_remark,
            "balance": self.balance_lines(),
            "units": units,
            "files": files,
            "duplicates": [
                {"id": show(d.id), "places": [{"unit": u, "file": fn, "row": r} for u, fn, r in d.places],
                 "owner": d.owner}
                for d in self.batch.duplicates
            ],
            "owner_findings": [f.as_dict(masked=masked) for f in self.batch.owner_findings],
            "problems": [{"unit": name, "problem": st.problem} for name, st in self.status.items() if st.problem]
            + [{"unit": None, "file": f.path.name, "problem": f.problem}
               for f in self.batch.files if f.problem and f.unit is None],
        }


    def no_willing_total(self) -> int:
        return sum(s.no_willing for s in self.status.values())

    def balance_lines(self) -> list[str]:
        """The check lines printed under the table, with the 合计 row's figures filled in."""
        c = self.counts(TOTAL_LABEL)
        v = {k: c[k] or 0 for k in ANNEX4_COUNT_KEYS}
        others = " + ".join(str(v[k]) for k in OTHER_REASON_KEYS)
        return [
            f"核对（合计行）：第4列 = 第17列 + 第18列 + 未填意愿 {self.no_willing_total()} 人："
            f"{v[IN_SCOPE]} = {v['unwilling']} + {v['willing']} + {self.no_willing_total()}",
            f"核对（合计行）：第5列 = 第6列 + 第10列…第16列：{v['out_total']} = {v['employee_subtotal']} + {others}",
            f"核对（合计行）：第6列 = 第7列 + 第8列 + 第9列：{v['employee_subtotal']} = "
            + " + ".join(str(v[k]) for k in EMPLOYEE_PENSION_REASONS),
        ]


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
    # each counted file's people that count, worked out once for the three uses below
    counted = {str(f.path): batch.counted_people(f) for f in batch.counted if f.unit and f.unit.name in status}
    by_cat, by_will, uncounted = _tally(batch, names, counted)
    dup_rows: dict[str, int] = {}
    for d in batch.duplicates:
        for u, _, _ in d.places:
            if d.owner is None or d.owner == u:
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
            st.given_away, st.repeats = batch.row_accounting(st.file, counted.get(str(st.file.path)))
        else:
            counts.loc[name, :] = pd.NA

    table = pd.DataFrame(index=pd.Index([*names, TOTAL_LABEL], name="unit"), columns=ANNEX4.keys, dtype=object)
    table["code"] = [u.code for u in units] + [TOTAL_LABEL]
    table["region"] = [u.full_name for u in units] + [""]
    pops = [u.population for u in units]
    table["population"] = [*pops, sum(pops) if all(p is not None for p in pops) else POPULATION_UNKNOWN]
    totals = counts.sum(axis=0, skipna=True).astype("int64")
    full = pd.concat([counts, totals.to_frame(TOTAL_LABEL).T.astype("Int64")])
    for k in ANNEX4_COUNT_KEYS:
        table[k] = full[k].astype("Int64")
    table["remark"] = [status[n].remark() for n in names] + [_total_remark(status)]
    result = Annex4Result(table, batch, status)
    result.dedup, result.no_willing_dedup = _dedup_counts(batch, names, counted)
    result.dedup_remark = _dedup_remark(result)
    check(result)
    return result


def _counts_of(cat: pd.Series, will: pd.Series) -> dict[str, int]:
    """The 15 count columns of one group of people (category and willingness columns)."""
    by_cat, by_will = _category_counts(cat, will)
    out = {IN_SCOPE: by_cat[IN_SCOPE], "out_total": sum(by_cat[k] for k in REASON_KEYS),
           "employee_subtotal": sum(by_cat[k] for k in EMPLOYEE_PENSION_REASONS)}
    out.update({k: by_cat[k] for k in REASON_KEYS})
    out["unwilling"], out["willing"] = by_will["否"], by_will["是"]
    return {k: out[k] for k in ANNEX4_COUNT_KEYS}


def _category_counts(cat: pd.Series, will: pd.Series) -> tuple[Counter[str], Counter[str]]:
    """People by category, and in-scope people by willingness: a hash count over the columns as
    Python lists. The columns hold a handful of distinct strings; pandas' ``value_counts`` on a
    string column plus the in-scope mask cost several times more (issue 16, docs/scale.md)."""
    cats = cat.tolist()
    by_will = Counter(w for c, w in zip(cats, will.tolist(), strict=True) if c == IN_SCOPE)
    return Counter(cats), by_will


def _dedup_counts(batch: SurveyBatch, names: list[str], counted: dict[str, pd.DataFrame]) -> tuple[dict[str, int], int]:
    """全市去重合计: every counted person once across units. A person still in several units (owner
    undecided) is counted by the row of the unit first in Annex 1 order (a readable classification
    first, as inside a unit); rows without an ID cannot be matched and all count."""
    order = {n: i for i, n in enumerate(names)}
    frames = [counted[str(f.path)][["id", "category", "willing"]].assign(_unit=order[f.unit.name])
              for f in batch.counted if f.unit and f.unit.name in order]
    if not frames:
        return {k: 0 for k in ANNEX4_COUNT_KEYS}, 0
    people = pd.concat(frames, ignore_index=True)
    people = people.assign(_bad=people["category"].isna()).sort_values(["_bad", "_unit"], kind="stable")
    ids = people["id"].fillna("").astype(str)
    once = people[~(ids.duplicated() & (ids != ""))]
    counts = _counts_of(once["category"], once["willing"])
    return counts, counts[IN_SCOPE] - counts["unwilling"] - counts["willing"]


def _dedup_remark(result: Annex4Result) -> str:
    """Why 全市去重合计 differs from 合计, in numbers a reviewer can check."""
    total = result.counts(TOTAL_LABEL)
    undecided = [d for d in result.batch.duplicates if d.owner is None]
    if not undecided:
        return "无跨单位重复人员（或均已核定归属单位），与合计相同"
    extra = sum(len(d.units) - 1 for d in undecided)
    diff = {ANNEX4.col(k): (total[k] or 0) - result.dedup[k] for k in ANNEX4_COUNT_KEYS}
    shown = "、".join(f"第{c}列少{v}人" for c, v in diff.items() if v)
    return (f"{len(undecided)}人在两个及以上单位上报且未核定归属单位（见“重复人员”表），合计中多计{extra}人次，"
            f"本行每人只计一次（按附件1单位顺序在先的单位的记录）：{shown or '各列人数相同'}")


def _tally(batch: SurveyBatch, names: list[str], counted: dict[str, pd.DataFrame]
           ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """Per unit: people by category, in-scope people by willingness, rows not classifiable.

    Each counted file is one unit, so this counts file by file (a hash count per file) instead
    of concatenating every person into one frame: same numbers, no second copy of 745,000 rows."""
    by_cat: dict[str, Counter[str]] = {}
    by_will: dict[str, Counter[str]] = {}
    uncounted = dict.fromkeys(names, 0)
    for f in batch.counted:
        if f.unit is None or f.unit.name not in uncounted:
            continue
        people = counted[str(f.path)]
        by_cat[f.unit.name], by_will[f.unit.name] = _category_counts(people["category"], people["willing"])
        uncounted[f.unit.name] = int(people["category"].isna().sum())
    none: Counter[str] = Counter()
    cat_keys = [IN_SCOPE, *REASON_KEYS]
    cat_table = pd.DataFrame([[by_cat.get(n, none)[k] for k in cat_keys] for n in names],
                             index=names, columns=cat_keys, dtype="int64")
    will_table = pd.DataFrame([[by_will.get(n, none)[k] for k in ("是", "否")] for n in names],
                              index=names, columns=["是", "否"], dtype="int64")
    return cat_table, will_table, uncounted


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
    classified = pd.Series({n: result.status[n].counted_rows - result.status[n].uncounted for n in counted},
                           dtype="int64")
    if not (c[IN_SCOPE] + c["out_total"] == classified).all():
        problems.append("4 + 5 ≠ 计入行数 − 分类有误行数")
    if result.dedup:
        d = result.dedup
        if not (d["out_total"] == d["employee_subtotal"] + sum(d[k] for k in OTHER_REASON_KEYS)
                and d["employee_subtotal"] == sum(d[k] for k in EMPLOYEE_PENSION_REASONS)
                and result.no_willing_dedup >= 0
                and all(d[k] <= (total[k]) for k in ANNEX4_COUNT_KEYS)):
            problems.append("全市去重合计不平衡或大于合计")
    if problems:
        raise CountCheckError("附件4 自检失败（程序错误，请报告）：" + "；".join(problems))
