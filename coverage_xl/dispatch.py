"""Match the survey against the registration and payment exports: the Annex 5 dispatch table (调度表),
progress against the Annex 1 tasks, and the people each unit must follow up.

The contract (issue 4), per unit, over the counted survey files:

- 3 应覆盖人数 = rows in scope (``category == 'in_scope'``; the same count as Annex 4 column 4);
- 4 已登记 = of those, rows whose person is registered (:func:`coverage_xl.exports.person_facts`: a
  registration row whose 参保状态 is not terminated);
- 5 已缴费 = of those registered (so 5 ⊆ 4), rows whose person has a payment that counts (amount > 0,
  缴费年度 the campaign year or 缴费日期 in it). An in-scope person who paid but is not registered is
  *not* in column 5; they are counted in the summary (``paid_not_registered``);
- 6 = 3 − 4; 7 覆盖率 = 4 / 3; 8 参保缴费率 = 5 ÷ 应缴费人数, where 应缴费人数 (``payers_due``) =
  4 − people drawing a pension who did not pay; the setting ``payment_rate = "registered"``
  (:mod:`coverage_xl.counting`) gives the plain 5 / 4. A zero denominator gives no value.
- A unit without a counted survey file has empty counts (as in Annex 4) and its reason as remark.

People are counted exactly as Annex 4 counts them (:meth:`SurveyBatch.counted_people`): an ID twice
in one unit counts once there; an ID in several units counts in each until the bureau's 归属单位
choice (``owners``, read from the 重复人员 sheet) puts it in one; 6 = 3 − 4 always holds. Export people not in any
counted survey file are ignored for the table and counted in the summary.

:func:`run_dispatch` is the one entry point (CLI, Excel macro, notices); it never imports click or
rich. :func:`coverage_xl.jobs.dispatch.write_dispatch` puts the sheets into a workbook,
:mod:`coverage_xl.followup` writes the per-unit lists.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from coverage_xl import exports as ex
from coverage_xl.consolidate import DEDUP_LABEL
from coverage_xl.counting import RATE_REGISTERED, Counting, load_counting
from coverage_xl.layout import ANNEX5, EMPLOYEE_PENSION_REASONS, IN_SCOPE, REASON_LABELS, TOTAL_LABEL
from coverage_xl.ownership import OwnerChoices
from coverage_xl.progress import Milestone, build_progress, load_milestones
from coverage_xl.survey import SurveyBatch, load_batch
from coverage_xl.units import Unit

Progress = Callable[[str, str, int, int], None]  # (stage, file name, n, total)


@dataclass
class DispatchSummary:
    """Counts a clerk needs to trust the table: what was read, what matched, what was left over."""

    as_of: dt.date
    campaign_year: int
    survey_files: int = 0
    counted_files: int = 0
    survey_rows: int = 0
    in_scope: int = 0
    registration_files: int = 0
    registration_rows: int = 0
    registration_ids: int = 0  # distinct IDs over all registration exports
    payment_files: int = 0
    payment_rows: int = 0
    payment_rows_counted: int = 0  # amount > 0, year or date in the campaign year
    payment_rows_by_date_only: int = 0  # of those, counted by the payment date alone (补缴 of earlier years)
    payment_basis: str = ""  # which columns decided: 缴费年度和缴费日期 / 仅缴费年度 / 仅缴费日期, per file
    unknown_statuses: dict[str, int] = field(default_factory=dict)  # 参保状态 not in the vocabulary: rows
    drawing: int = 0  # in-scope rows registered and drawing a pension
    drawing_unpaid: int = 0  # of those, without a counted payment (out of the payment-rate denominator)
    payers_due: int = 0  # 应缴费人数 = registered − drawing_unpaid
    rate_basis: str = ""  # the payment-rate setting (coverage_xl.counting)
    progress_basis: str = ""  # the progress definition (coverage_xl.counting)
    signed: int = 0  # in-scope people not registered who signed a 意愿书 (from returned follow-up lists)
    payment_rows_other_year: int = 0
    payment_rows_not_positive: int = 0  # campaign year, amount zero, negative or unreadable
    paid_ids: int = 0  # distinct IDs with a counted payment
    export_blank_ids: int = 0
    export_bad_ids: int = 0  # not an 18-character ID (e.g. rounded by Excel)
    registered: int = 0
    paid: int = 0
    unregistered: int = 0
    registered_not_in_survey: int = 0  # distinct IDs
    paid_not_in_survey: int = 0  # distinct IDs with a counted payment
    registered_out_of_scope: int = 0  # distinct IDs registered whose survey rows are all out of scope
    paid_not_registered: int = 0  # in-scope rows with a counted payment but no registration
    missing_units: list[str] = field(default_factory=list)
    unit_problems: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # export files that could not be used
    warnings: list[str] = field(default_factory=list)

    def rows(self) -> list[tuple[str, int | str]]:
        """(Chinese label, value) pairs for the CLI summary and the run log."""
        return [
            ("统计日期", self.as_of.isoformat()), ("缴费年度", self.campaign_year),
            ("摸底表文件数（计入）", f"{self.survey_files}（{self.counted_files}）"),
            ("摸底人数", self.survey_rows), ("应覆盖人数", self.in_scope),
            ("参保登记导出：文件/行/身份证号", f"{self.registration_files}/{self.registration_rows}/{self.registration_ids}"),
            ("缴费导出：文件/行", f"{self.payment_files}/{self.payment_rows}"),
            ("缴费认定依据", self.payment_basis or "（无缴费导出）"),
            ("计入的缴费行（金额>0，缴费年度或缴费日期在本年度）", self.payment_rows_counted),
            ("其中按缴费日期计入（往年补缴、一次性补缴在本年度缴纳）", self.payment_rows_by_date_only),
            ("非本年度缴费行（不计入）", self.payment_rows_other_year),
            ("本年度金额为0或负数的行（不计入）", self.payment_rows_not_positive),
            ("导出中身份证号为空/格式不对的行", f"{self.export_blank_ids}/{self.export_bad_ids}"),
            ("已登记人数", self.registered), ("其中已缴费人数", self.paid), ("未登记人数", self.unregistered),
            ("其中领取待遇人数（已登记）", self.drawing), ("领取待遇且未缴费人数", self.drawing_unpaid),
            ("应缴费人数", self.payers_due), ("参保缴费率口径", self.rate_basis),
            ("进度口径", self.progress_basis), ("拒绝参保并签订意愿书人数", self.signed),
            ("未知参保状态（按已登记计）", "、".join(f"{k}（{v}行）" for k, v in sorted(self.unknown_statuses.items()))
             or "无"),
            ("登记导出中不在摸底表的人数（未计入）", self.registered_not_in_survey),
            ("缴费导出中不在摸底表的人数（未计入）", self.paid_not_in_survey),
            ("已登记但摸底为不属于覆盖范围的人数", self.registered_out_of_scope),
            ("已缴费但登记导出中没有的人数（未计入第5列）", self.paid_not_registered),
        ]


@dataclass
class DispatchResult:
    annex5: pd.DataFrame  # ANNEX5 keys; index: unit names in Annex 1 order, then 合计; a rate is NaN when
    # its denominator is zero (an empty cell in the sheet)
    progress: pd.DataFrame  # coverage_xl.progress.PROGRESS_COLUMNS, one row per unit
    people: pd.DataFrame  # counted survey people + in_scope, registered, drawing, has_payment, paid (bool)
    summary: DispatchSummary
    batch: SurveyBatch
    exports: list[ex.ExportFile]
    milestones: list[Milestone]
    unmatched: pd.DataFrame  # export IDs not in the survey: columns id, kind
    counting: Counting = field(default_factory=Counting)
    dedup: pd.Series | None = None  # 全市去重合计: the Annex 5 keys with each person counted once, + remark
    # 职保 comparison files: match key -> label (e.g. 省内企业职保), and those registered but not surveyed
    employees: dict[str, str] = field(default_factory=dict)
    employees_registered_unsurveyed: list[str] = field(default_factory=list)

    @property
    def as_of(self) -> dt.date:
        return self.summary.as_of

    @property
    def campaign_year(self) -> int:
        return self.summary.campaign_year

    @property
    def units(self) -> tuple[Unit, ...]:
        return self.batch.units

    def totals(self) -> pd.Series:
        return self.annex5.loc[TOTAL_LABEL]

    def registered_unpaid(self, unit: str | None = None) -> pd.DataFrame:
        """In-scope people registered without a counted payment (缴费提醒); people drawing a pension
        are covered and not expected to pay, so they are not reminded."""
        p = self.people
        sel = p["in_scope"] & p["registered"] & ~p["paid"] & ~p["drawing"]
        if unit is not None:
            sel &= p["unit"] == unit
        return p[sel]

    def duplicate_insurance(self) -> pd.DataFrame:
        """重复参保: people in 职工养老保险 — surveyed so (Annex 3 columns 8–10) or in a 职保 comparison
        file (``employees``) — who are also registered in 城乡居保 (not terminated). One row per person
        and unit, in Annex 1 order, with ``evidence`` saying why; then the people of a 职保 file who
        are registered but in no survey file (unit '', only the ID)."""
        p = self.people
        surveyed = p["category"].isin(EMPLOYEE_PENSION_REASONS).fillna(False).astype(bool)
        compared = p["match_id"].isin(self.employees.keys())
        sel = (surveyed | compared) & p["registered"]
        order = {u.name: u.order for u in self.units}
        out = p[sel].assign(_order=p.loc[sel, "unit"].map(order), _surveyed=surveyed[sel], _compared=compared[sel])
        out = out.sort_values(["_order", "row"], kind="stable")
        out["evidence"] = [
            "；".join(x for x in (f"摸底：{REASON_LABELS[c]}" if s else "", f"比对：{self.employees[m]}" if k else "") if x)
            for c, s, k, m in zip(out["category"], out["_surveyed"], out["_compared"], out["match_id"], strict=True)]
        out = out.drop(columns=["_order", "_surveyed", "_compared"])
        extra = pd.DataFrame({"id": self.employees_registered_unsurveyed, "match_id": self.employees_registered_unsurveyed,
                              "unit": "", "evidence": [f"比对：{self.employees[i]}；不在摸底表"
                                                       for i in self.employees_registered_unsurveyed]})
        return pd.concat([out, extra], ignore_index=True) if len(extra) else out.reset_index(drop=True)

    def unregistered(self, unit: str | None = None) -> pd.DataFrame:
        """In-scope people not registered (未登记人员)."""
        p = self.people
        sel = p["in_scope"] & ~p["registered"]
        if unit is not None:
            sel &= p["unit"] == unit
        return p[sel]


def _keys(ids: pd.Series) -> pd.Series:
    """Survey IDs (already normalised by the validator) as match keys: legacy 15 digits → 18."""
    ids = ids.fillna("").astype(str)
    legacy = (ids.str.len() == 15) & ids.str.isdigit()
    if legacy.any():
        ids = ids.copy()
        ids[legacy] = ids[legacy].map(ex.match_key)
    return ids


def read_signed(paths: Iterable[str | Path], as_of: dt.date, summary: DispatchSummary | None = None) -> set[str]:
    """Match keys of the people who signed a 意愿书 (progress definition ``signed``): from the ledger
    (a ``台账.sqlite`` among ``paths``: the signatures recorded from every returned list so far), and
    from returned follow-up lists whose 是否签订意愿书 = 是. The lists are read and checked by
    :func:`coverage_xl.ledger.followups.read_followups`; an entry with an error does not count, and
    a file with errors is named in ``summary.warnings``."""
    from coverage_xl.ledger.followups import read_followups
    from coverage_xl.ledger.query import LEDGER_SUFFIXES, signed_ids

    paths = [Path(p) for p in paths]
    from_ledger = set().union(*(signed_ids(p) for p in paths if p.suffix.lower() in LEDGER_SUFFIXES))
    lists = [p for p in paths if p.suffix.lower() not in LEDGER_SUFFIXES]
    if not lists:
        return from_ledger
    got = read_followups(ex.export_files(lists), as_of)
    for report in got.reports:
        if report.errors and summary is not None:
            summary.warnings.append(f"跟进名单“{report.path.name}”有{report.errors}处错误，出错的行未计入签订意愿书人数")
    c = got.contacts
    return from_ledger | ({ex.match_key(i) for i in c.loc[c["signed"] == "是", "id"]} - {""})


@dataclass
class ExportsRead:
    """The exports as read for one run: the files that could be used, the Chinese problems of those
    that could not, the warnings, and every path in reading order (for the progress steps)."""

    registrations: list[ex.ExportFile] = field(default_factory=list)
    payments: list[ex.ExportFile] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    paths: list[tuple[str, Path]] = field(default_factory=list)  # (kind, path)


def read_exports(registrations: Iterable[str | Path], payments: Iterable[str | Path], year: int,
                 statuses: dict[str, str]) -> ExportsRead:
    """Read every registration and payment export once (a folder gives the files it holds). A file
    that cannot be used becomes a problem (Chinese, naming it) and the others are still read. Calls
    no progress callback: it may run in a thread of its own (:class:`_Overlapped`), and a callback
    such as the Excel status bar must only be called from the main thread."""
    got = ExportsRead()
    for kind, paths, into in ((ex.REGISTRATION, registrations, got.registrations), (ex.PAYMENT, payments, got.payments)):
        for path in ex.export_files(paths):
            got.paths.append((kind, path))
            try:
                f = ex.read_export(path, kind, year, statuses=statuses)
            except ex.ExportError as exc:
                got.problems.append(str(exc))
                continue
            got.warnings.extend(f.warnings)
            into.append(f)
    return got


class _Overlapped:
    """Runs a function in a thread from the first :meth:`start`; :meth:`result` waits for it (or runs
    it in the calling thread when it was never started) and re-raises what it raised.

    Dispatch reads the exports this way while the survey files are checked: the main process only
    waits for its workers then, so the exports cost no time of their own on the critical path."""

    def __init__(self, fn: Callable[[], ExportsRead]) -> None:
        self._fn = fn
        self._thread: threading.Thread | None = None
        self._value: ExportsRead | None = None
        self._error: BaseException | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="coverage-xl-exports", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread by result()
            self._error = exc

    def result(self) -> ExportsRead:
        if self._thread is None:
            self._run()
        else:
            self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value


COUNTS = ("should_cover", "registered", "paid", "drawing_unpaid")
EXTRA_KEYS = ("drawing_unpaid", "payers_due")  # beyond the Annex 5 columns: the payment-rate denominator


def annex5_frame(people: pd.DataFrame, units: tuple[Unit, ...], remarks: dict[str, str] | None = None,
                 counted: set[str] | None = None, *, rate_basis: str = "") -> pd.DataFrame:
    """Annex 5 rows from the matched people table (columns unit, in_scope, registered, paid and,
    optionally, drawing).

    ``payers_due`` (应缴费人数) = registered − registered people drawing a pension who did not pay;
    column 8 = paid ÷ payers_due, or paid ÷ registered when ``rate_basis`` is ``"registered"``.
    A unit without a counted survey file (``counted`` given and the unit not in it) has empty counts
    and rates, as in Annex 4 — not zeros, which would read as "nobody left to register"; its remark
    says why. The 合计 row adds up the counted units."""
    remarks = remarks or {}
    codes, names = pd.factorize(people["unit"])  # each row's unit as a number: counted with bincount

    def per_unit(mask: np.ndarray) -> np.ndarray:
        return np.bincount(codes[mask & (codes >= 0)], minlength=len(names))

    scope = people["in_scope"].to_numpy(dtype=bool)
    registered = scope & people["registered"].to_numpy(dtype=bool)
    paid = people["paid"].to_numpy(dtype=bool)
    drawing = people["drawing"].to_numpy(dtype=bool) if "drawing" in people else np.zeros(len(people), dtype=bool)
    g = pd.DataFrame({"should_cover": per_unit(scope), "registered": per_unit(registered),
                      "paid": per_unit(registered & paid), "drawing_unpaid": per_unit(registered & drawing & ~paid)},
                     index=pd.Index(names, dtype=object))
    rows = []
    for u in units:
        if counted is not None and u.name not in counted:
            rows.append((u.name, u.code, u.full_name, None, None, None, None, remarks.get(u.name, "未报送")))
            continue
        c = g.loc[u.name] if u.name in g.index else None
        got = [int(c[k]) if c is not None else 0 for k in COUNTS]
        rows.append((u.name, u.code, u.full_name, *got, remarks.get(u.name, "")))
    frame = pd.DataFrame(rows, columns=["name", "code", "region", *COUNTS, "remark"])
    for k in COUNTS:
        frame[k] = pd.array(frame[k], dtype="Int64")
    total = frame[list(COUNTS)].sum(skipna=True)
    frame.loc[len(frame)] = [TOTAL_LABEL, TOTAL_LABEL, "", *(int(total[k]) for k in COUNTS), ""]
    frame["unregistered"] = frame["should_cover"] - frame["registered"]
    frame["payers_due"] = frame["registered"] - frame["drawing_unpaid"]
    frame["coverage_rate"] = [rate(r, s) for r, s in zip(frame["registered"], frame["should_cover"], strict=True)]
    denominator = frame["registered"] if rate_basis == RATE_REGISTERED else frame["payers_due"]
    frame["payment_rate"] = [rate(p, r) for p, r in zip(frame["paid"], denominator, strict=True)]
    frame = frame.set_index("name")
    frame.index.name = None
    return frame[[*ANNEX5.keys, *EXTRA_KEYS]]


def dedup_row(people: pd.DataFrame, annex5: pd.DataFrame, units: tuple[Unit, ...], *, rate_basis: str = "",
              undecided: int = 0) -> pd.Series:
    """全市去重合计 under Annex 5's 合计: each person once across units (issue 13).

    A person reported by several units (归属单位 not yet chosen) is counted by the row of the unit
    first in Annex 1 order (a readable classification first), exactly as Annex 4's 全市去重合计
    (:mod:`coverage_xl.consolidate`), so column 3 here equals column 4 there; rows without an ID cannot
    be matched and all count. The remark says how far it is from 合计 and why."""
    order = {u.name: u.order for u in units}
    # rows ordered readable first, then by unit in Annex 1 order (a stable sort: file order kept), and
    # the first row of each ID kept; only the order is computed, the table itself is not sorted
    rank = people["unit"].map(order).to_numpy(dtype=float)  # NaN (a unit not in Annex 1) sorts last
    perm = np.lexsort((rank, people["category"].isna().to_numpy(dtype=bool)))
    ids = people["match_id"].fillna("").astype(str).to_numpy(dtype=object)[perm]
    once = ~(pd.Series(ids).duplicated().to_numpy() & (ids != ""))

    def column(name: str) -> np.ndarray:
        if name not in people:
            return np.zeros(len(perm), dtype=bool)
        return people[name].to_numpy(dtype=bool)[perm] & once

    scope = column("in_scope")
    reg = scope & column("registered")
    paid = reg & column("paid")
    n_scope, n_reg = int(scope.sum()), int(reg.sum())
    row = pd.Series({"code": DEDUP_LABEL, "region": "", "should_cover": n_scope, "registered": n_reg,
                     "paid": int(paid.sum()), "unregistered": n_scope - n_reg,
                     "drawing_unpaid": int((reg & column("drawing") & ~paid).sum())}, dtype=object)
    row["payers_due"] = row["registered"] - row["drawing_unpaid"]
    row["coverage_rate"] = rate(row["registered"], row["should_cover"])
    row["payment_rate"] = rate(row["paid"], row["registered"] if rate_basis == RATE_REGISTERED else row["payers_due"])
    total = annex5.loc[TOTAL_LABEL]
    diff = {ANNEX5.col(k): int(total[k]) - int(row[k]) for k in ("should_cover", "registered", "paid", "unregistered")}
    if not any(diff.values()):
        row["remark"] = "无跨单位重复人员（或均已核定归属单位），与合计相同"
    else:
        shown = "、".join(f"第{c}列少{v}人" for c, v in diff.items() if v)
        row["remark"] = (f"{undecided}人在两个及以上单位上报且未核定归属单位（见“重复人员”表），本行每人只计一次"
                         f"（按附件1单位顺序在先的单位的记录）：{shown}")
    return row


def rate(numerator: object, denominator: object) -> float:
    """A rate as a number; NaN (an empty cell) when the denominator is zero or unknown."""
    if pd.isna(numerator) or pd.isna(denominator) or not denominator:
        return float("nan")
    return float(numerator) / float(denominator)


def run_dispatch(survey: SurveyBatch | str | Path | Iterable[str | Path], registrations: Iterable[str | Path],
                 payments: Iterable[str | Path], as_of: dt.date | None = None, campaign_year: int | None = None,
                 *, milestones: list[Milestone] | str | Path | None = None, progress: Progress | None = None,
                 counting: Counting | None = None, statuses: dict[str, str] | str | Path | None = None,
                 owners: OwnerChoices | None = None, signed: Iterable[str | Path] | None = None,
                 employees: dict[str, str] | None = None) -> DispatchResult:
    """Load the survey (unless a :class:`SurveyBatch` is given), read every export once, match.

    ``counting``: the bureau's choices (payment-rate denominator, progress definition; default
    ``data/counting.toml``). ``statuses``: the 参保状态 vocabulary or a CSV path (default
    ``data/registration_statuses.csv``). ``signed``: returned follow-up lists (files or folders) whose
    是否签订意愿书 column says who refused with a signed 意愿书 (progress definition ``signed``). An
    export that cannot be used is reported in ``summary.problems`` (Chinese, naming the file) and the others are still used; it never raises
    for bad input files. ``employees`` (match key → label) are the people of 职保 comparison files,
    for the 重复参保 list. ``owners`` (the 归属单位 choices) apply when the survey is loaded here; a
    given batch already carries its own."""
    counting = counting or load_counting()
    if not isinstance(statuses, dict):
        statuses = ex.load_statuses(statuses)
    as_of = as_of or dt.date.today()
    year = campaign_year or as_of.year
    registrations, payments = list(registrations), list(payments)
    exports = _Overlapped(lambda: read_exports(registrations, payments, year, statuses))
    if not isinstance(survey, SurveyBatch):
        def survey_step(p: Path, n: int, t: int) -> None:
            # load_batch calls this once its worker processes exist (a fork pool starts them all at its
            # first task), so the reader thread never runs while a worker is forked
            exports.start()
            if progress:
                progress("survey", p.name, n, t)

        survey = load_batch(survey, as_of, progress=survey_step, owners=owners)
    batch = survey
    summary = DispatchSummary(as_of=as_of, campaign_year=year, survey_files=len(batch.files),
                              counted_files=len(batch.counted))
    got = exports.result()
    if progress:
        for n, (kind, path) in enumerate(got.paths, start=1):
            progress(kind, path.name, n, len(got.paths))
    summary.problems += got.problems
    summary.warnings += got.warnings
    reg_files, pay_files = got.registrations, got.payments
    facts = ex.person_facts(reg_files, pay_files, year, statuses=statuses)
    t = facts.table

    summary.registration_files, summary.payment_files = len(reg_files), len(pay_files)
    summary.registration_rows = sum(f.rows for f in reg_files)
    summary.payment_rows = sum(f.rows for f in pay_files)
    summary.registration_ids, summary.paid_ids = int(t["registered"].sum()), int(t["has_payment"].sum())
    summary.payment_rows_counted = sum(f.rows_counted for f in pay_files)
    summary.payment_rows_by_date_only = sum(f.rows_counted_by_date_only for f in pay_files)
    summary.payment_rows_other_year = sum(f.rows_other_year for f in pay_files)
    summary.payment_rows_not_positive = sum(f.rows_not_positive for f in pay_files)
    summary.payment_basis = "；".join(f"{f.path.name}：{f.basis}" for f in pay_files)
    for f in reg_files:
        for k, v in f.unknown_statuses.items():
            summary.unknown_statuses[k] = summary.unknown_statuses.get(k, 0) + v
    summary.export_blank_ids = sum(f.blank_ids for f in reg_files + pay_files)
    summary.export_bad_ids = sum(f.bad_ids for f in reg_files + pay_files)
    summary.rate_basis = ("第5列÷第4列" if counting.payment_rate == RATE_REGISTERED
                          else "第5列÷应缴费人数（第4列−领取待遇且未缴费人数）")

    people = batch.people()
    people["match_id"] = _keys(people["id"])
    has_id = people["match_id"] != ""
    people["in_scope"] = (people["category"] == IN_SCOPE).fillna(False).astype(bool)
    where = facts.positions(people["match_id"])  # each person's row in the facts table, -1 when in no export
    for col in ex.COLUMNS:
        people[col] = has_id & facts.at(col, where)
    signed_ids = read_signed(signed, as_of, summary) if signed else set()
    people["signed"] = has_id & people["match_id"].isin(signed_ids)
    summary.signed = int((people["in_scope"] & ~people["registered"] & people["signed"]).sum())
    summary.progress_basis = f"{counting.progress_label}（{counting.progress_note}）"

    # each export person against the survey, from the positions found above (no second look-up)
    surveyed = has_id.to_numpy() & (where >= 0)
    in_survey, in_scope = np.zeros(len(t), dtype=bool), np.zeros(len(t), dtype=bool)
    in_survey[where[surveyed]] = True
    in_scope[where[surveyed & people["in_scope"].to_numpy(dtype=bool)]] = True
    reg, pay = t["registered"].to_numpy(), t["has_payment"].to_numpy()
    reg_out, pay_out = t.index[reg & ~in_survey], t.index[pay & ~in_survey]
    summary.registered_not_in_survey, summary.paid_not_in_survey = len(reg_out), len(pay_out)
    summary.registered_out_of_scope = int((reg & in_survey & ~in_scope).sum())
    summary.paid_not_registered = int((people["in_scope"] & people["has_payment"] & ~people["registered"]).sum())
    unmatched = pd.concat([pd.DataFrame({"id": reg_out, "kind": ex.REGISTRATION}),
                           pd.DataFrame({"id": t.index[pay & ~in_survey & ~reg], "kind": ex.PAYMENT})],
                          ignore_index=True)

    summary.survey_rows = len(people)
    summary.unit_problems = batch.unit_problems()
    summary.missing_units = [u.name for u in batch.missing_units()]
    annex5 = annex5_frame(people, batch.units, summary.unit_problems,
                          counted={f.unit.name for f in batch.counted if f.unit}, rate_basis=counting.payment_rate)
    tot = annex5.loc[TOTAL_LABEL]
    summary.in_scope, summary.registered = int(tot["should_cover"]), int(tot["registered"])
    summary.paid, summary.unregistered = int(tot["paid"]), int(tot["unregistered"])
    summary.drawing_unpaid, summary.payers_due = int(tot["drawing_unpaid"]), int(tot["payers_due"])
    summary.drawing = int((people["in_scope"] & people["registered"] & people["drawing"]).sum())

    if milestones is None or isinstance(milestones, str | Path):
        milestones = load_milestones(year, milestones)
    counts = pd.DataFrame({
        "surveyed": people.groupby("unit").size(),
        "in_scope": annex5["should_cover"].drop(TOTAL_LABEL).fillna(0),
        "out_of_scope": people[people["category"].notna() & ~people["in_scope"]].groupby("unit").size(),
        "registered": annex5["registered"].drop(TOTAL_LABEL).fillna(0),
        "paid": annex5["paid"].drop(TOTAL_LABEL).fillna(0),
        "payers_due": annex5["payers_due"].drop(TOTAL_LABEL).fillna(0),
        "signed": people[people["in_scope"] & ~people["registered"] & people["signed"]].groupby("unit").size(),
    })
    prog = build_progress(counts, as_of, milestones=milestones, units=batch.units, definition=counting.progress)
    dedup = dedup_row(people, annex5, batch.units, rate_basis=counting.payment_rate,
                      undecided=sum(1 for d in batch.duplicates if d.owner is None))
    employees = {ex.match_key(k): v for k, v in (employees or {}).items()}
    unsurveyed = sorted(set(employees).intersection(reg_out))
    return DispatchResult(annex5, prog, people, summary, batch, reg_files + pay_files, milestones, unmatched,
                          counting, dedup, employees, unsurveyed)
