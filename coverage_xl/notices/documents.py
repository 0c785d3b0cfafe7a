"""Write the notices: 月度通报, 督办通知, 不参保意愿书, 未参保原因反馈表, 测算告知书 and the SMS lists.

:func:`render_notices` is the one entry point (CLI, Excel macro): it runs the dispatch once
(:func:`coverage_xl.dispatch.run_dispatch`), so every document of a run prints the figures of the same
Annex 5 table, then writes the kinds asked for. Output layout::

    OUT/月度通报_2020年9月.docx
    OUT/短信/缴费提醒.csv, OUT/短信/到龄提醒.csv
    OUT/各单位/<单位>/督办通知_<单位>.docx            (lagging units only)
    OUT/各单位/<单位>/不参保意愿书_<单位>.docx         (one page per person)
    OUT/各单位/<单位>/未参保原因反馈表_<单位>.xlsx
    OUT/各单位/<单位>/测算告知书_<单位>.docx           (one page per person)

Everything about a person goes into that person's unit folder, so a unit can be handed its folder
and sees only its own people.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from coverage_xl import guard
from coverage_xl.errors import InputError
from coverage_xl.notices import context as cx
from coverage_xl.notices import render as mt
from coverage_xl.notices import sms
from coverage_xl.notices.render import check_template, find_template, render_docx
from coverage_xl.sheets.frame import HANDWRITING_ROW, save_workbook, setup_print, stamp, wrap_and_fit

KINDS = ("bulletin", "unit", "sms", "turning60", "statement", "reasons", "estimate")
KIND_LABELS = {
    "bulletin": "月度通报", "unit": "督办通知", "sms": "缴费提醒短信", "turning60": "到龄提醒短信",
    "statement": "不参保意愿书", "reasons": "未参保原因反馈表", "estimate": "待遇测算告知书",
}
UNITS_DIR = "各单位"
SMS_DIR = "短信"

Progress = Callable[[str, int, int], None]  # (Chinese label of the step, done, total)
UnitProgress = Callable[[str, int, int], None]  # within one kind: (unit just written, units done, units)
KindProgress = Callable[[str, str, int, int], None]  # (kind, unit just written, units done, units of that kind)


@dataclass
class NoticeRun:
    """What a run wrote, by kind, and what a clerk should know about it (Chinese)."""

    as_of: dt.date
    out_dir: Path
    written: dict[str, list[Path]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    templates: dict[str, Path] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)  # documents withheld on purpose, and why (exit 1)

    @property
    def files(self) -> list[Path]:
        return [p for paths in self.written.values() for p in paths]


def unit_dir(out_dir: Path, unit: str) -> Path:
    return out_dir / UNITS_DIR / unit


# ----------------------------------------------------------------------------------- Word documents

def write_bulletin(annex5: pd.DataFrame, progress: pd.DataFrame, as_of: dt.date, out_dir: Path, *,
                   templates: str | Path | None = None) -> Path:
    ctx = cx.bulletin_context(annex5, progress, as_of)
    out = Path(out_dir) / f"月度通报_{ctx['period']}.docx"
    return render_docx(find_template(mt.BULLETIN, templates), ctx, out)


def write_unit_notices(annex5: pd.DataFrame, progress: pd.DataFrame, as_of: dt.date, out_dir: Path, *,
                       templates: str | Path | None = None, deadline: dt.date | None = None,
                       each: UnitProgress | None = None) -> list[Path]:
    template = find_template(mt.UNIT_NOTICE, templates)
    out = []
    contexts = list(cx.unit_notice_contexts(annex5, progress, as_of, deadline=deadline))
    for ctx in contexts:
        name = ctx["unit"]["name"]
        out.append(render_docx(template, ctx, unit_dir(Path(out_dir), name) / f"督办通知_{name}.docx"))
        if each:
            each(name, len(out), len(contexts))
    return out


def write_statements(people: pd.DataFrame, as_of: dt.date, out_dir: Path, *,
                     templates: str | Path | None = None, each: UnitProgress | None = None) -> list[Path]:
    template = find_template(mt.STATEMENT, templates)
    out = []
    units = list(cx.by_unit(cx.unwilling_people(people)))
    for n, (unit, grp) in enumerate(units, start=1):
        out.append(write_statement(unit, grp, as_of, Path(out_dir), template))
        if each:
            each(unit, n, len(units))
    return out


def write_statement(unit: str, people: pd.DataFrame, as_of: dt.date, out_dir: Path, template: Path) -> Path:
    """不参保意愿书 of one unit: one page per person who declined."""
    ctx = cx.statement_context(unit, people, as_of)
    return render_docx(template, ctx, unit_dir(out_dir, unit) / f"不参保意愿书_{unit}.docx")


def estimate_letters(people: pd.DataFrame, unit: str, as_of: dt.date, *, tier: int | None = None,
                     params: Any = None) -> tuple[list[dict[str, Any]], list[str]]:
    """Letter contexts for a unit's people (estimate_context + the person), and who was skipped why."""
    from coverage_xl.errors import CoverageError
    from coverage_xl.estimate import estimate, estimate_context, load_params

    params = params or load_params()
    tier = tier if tier is not None else params.tiers[0]
    letters, skipped = [], []
    for p in people.to_dict("records"):
        born = p.get("birth")
        if not isinstance(born, dt.date):
            skipped.append(f"{p.get('name')}：出生日期不明")
            continue
        try:
            e = estimate(born, tier, as_of.year, params, as_of=as_of)
        except CoverageError as exc:
            skipped.append(f"{p.get('name')}：{exc}")
            continue
        letters.append({**estimate_context(e), **cx.person_public(p, unit)})
    return letters, skipped


def write_estimate_letters(people: pd.DataFrame, as_of: dt.date, out_dir: Path, *,
                           templates: str | Path | None = None, tier: int | None = None,
                           params: Any = None, each: UnitProgress | None = None) -> tuple[list[Path], list[str]]:
    """测算告知书 for in-scope people not registered, one .docx per unit, one page per person."""
    template = find_template(mt.ESTIMATE_LETTER, templates)
    out, skipped = [], []
    units = list(cx.by_unit(cx.not_registered(people)))
    for n, (unit, grp) in enumerate(units, start=1):
        path, skip = write_estimate_letter(unit, grp, as_of, Path(out_dir), template, tier=tier, params=params)
        out.extend([path] if path else [])
        skipped.extend(skip)
        if each:
            each(unit, n, len(units))
    return out, skipped


def write_estimate_letter(unit: str, people: pd.DataFrame, as_of: dt.date, out_dir: Path, template: Path, *,
                          tier: int | None = None, params: Any = None) -> tuple[Path | None, list[str]]:
    """测算告知书 of one unit (None when nobody could be estimated), and who was skipped why."""
    letters, skip = estimate_letters(people, unit, as_of, tier=tier, params=params)
    path = None
    if letters:
        ctx = {**cx.common_context(as_of), "unit": unit, "letters": letters}
        path = render_docx(template, ctx, unit_dir(out_dir, unit) / f"测算告知书_{unit}.docx")
    return path, [f"{unit}{s}" for s in skip]


# ----------------------------------------------------------------------------------- reasons workbook

REASON_COLUMNS: tuple[tuple[str, float], ...] = (
    ("序号", 6), ("行政区划", 12), ("姓名", 10), ("身份证号码", 21), ("户籍地址", 26), ("联系电话", 14),
    ("是否愿意参保", 8), ("未参保原因", 18), ("联系时间", 12), ("联系方式", 10), ("记录人", 10), ("备注", 20),
)
REASON_CHOICES = ("个人不愿意参保", "人户分离，联系不上", "其他原因未参保")
"""The three cases the notice names (五（三）): each needs its own trace."""
CONTACT_CHOICES = ("上门", "电话", "短信", "微信", "其他")
UNWILLING_REASON = REASON_CHOICES[0]


def _body_styles() -> tuple[Any, Any]:
    from openpyxl.styles import Border, Font, Side

    thin = Side(style="thin")
    return Font(name="宋体", size=10), Border(left=thin, right=thin, top=thin, bottom=thin)


_BODY_FONT, _BOX = _body_styles()
"""Shared style objects of the reasons sheet's body cells (:func:`stamp` caches on their identity)."""


def _reasons_sheet(wb: Any, unit: str, people: pd.DataFrame, as_of: dt.date) -> None:
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from coverage_xl.sheets.cells import write_value

    ws = wb.active
    ws.title = "未参保原因"
    width = len(REASON_COLUMNS)
    last = get_column_letter(width)
    write_value(ws, 1, 1, f"{unit}城乡居保经专项扩面仍未参保人员原因反馈表")
    ws["A1"].font = Font(name="宋体", size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.merge_cells(f"A1:{last}1")
    write_value(ws, 2, 1, f"统计日期：{cx.chinese_date(as_of)}。对“个人不愿意参保”或“其他原因未参保”的，需详细记录原因或让其"
                "签订意愿书；对“人户分离，联系不上”的，需注明联系时间及方式，做到记录有痕。")
    ws["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(f"A2:{last}2")
    ws.row_dimensions[2].height = 32
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for c, (header, w) in enumerate(REASON_COLUMNS, start=1):
        cell = write_value(ws, 3, c, header)
        cell.font = Font(name="宋体", size=10, bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
        ws.column_dimensions[get_column_letter(c)].width = w
    r = 3
    styles: list[Any] = []  # the first body row's finished styles, given to every row after it
    for n, p in enumerate(people.to_dict("records"), start=1):
        r = 3 + n
        willing = p.get("willing") or ""
        values = (n, unit, p.get("name") or "", p.get("id") or "", p.get("address") or "", p.get("phone") or "",
                  willing, UNWILLING_REASON if willing == "否" else "", None, None, None, None)
        if styles:
            for c, v in enumerate(values, start=1):
                write_value(ws, r, c, v, style=styles[c - 1])
            continue
        for c, v in enumerate(values, start=1):
            cell = write_value(ws, r, c, v)
            if c in (4, 6):
                cell.number_format = "@"  # ID numbers and phones stay text (no 4.30981E+17)
            stamp(cell, font=_BODY_FONT, border=_BOX)
            styles.append(cell._style)
    end = max(r, 3 + 1)
    ws.row_dimensions[3].height = 30
    wrap_and_fit(ws, range(4, r + 1), [5, 8, 12], min_height=HANDWRITING_ROW)
    reasons = DataValidation(type="list", formula1='"' + ",".join(REASON_CHOICES) + '"', allow_blank=True,
                             showErrorMessage=True, errorTitle="未参保原因", error="请从下拉列表中选择。")
    reasons.add(f"H4:H{end + 200}")
    contact = DataValidation(type="list", formula1='"' + ",".join(CONTACT_CHOICES) + '"', allow_blank=True)
    contact.add(f"J4:J{end + 200}")
    when = DataValidation(type="date", operator="greaterThan", formula1="43831", allow_blank=True,
                          showErrorMessage=True, errorTitle="联系时间", error="请填写日期，如 2020-10-15。")
    when.add(f"I4:I{end + 200}")
    for dv in (reasons, contact, when):
        ws.add_data_validation(dv)
    for row in ws.iter_rows(min_row=4, max_row=end + 200, min_col=9, max_col=9):
        row[0].number_format = "yyyy-mm-dd"
    ws.freeze_panes = "D4"
    setup_print(ws, header_start=3, header_end=3)


def write_reasons(people: pd.DataFrame, as_of: dt.date, out_dir: Path, *,
                  each: UnitProgress | None = None) -> list[Path]:
    """未参保原因反馈表 per unit: in-scope people not registered, with 联系时间/联系方式/未参保原因/记录人."""
    out = []
    units = list(cx.by_unit(cx.not_registered(people)))
    for unit, grp in units:
        out.append(write_reason_sheet(unit, grp, as_of, Path(out_dir)))
        if each:
            each(unit, len(out), len(units))
    return out


def write_reason_sheet(unit: str, people: pd.DataFrame, as_of: dt.date, out_dir: Path) -> Path:
    """未参保原因反馈表 of one unit."""
    import openpyxl

    wb = openpyxl.Workbook()
    _reasons_sheet(wb, unit, people, as_of)
    return guard.write_file(unit_dir(out_dir, unit) / f"未参保原因反馈表_{unit}.xlsx",
                            lambda p: save_workbook(wb, p), kind="notices")


# ----------------------------------------------------------------------------------- the run

def _kinds(kinds: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(kinds))
    if "all" in wanted:
        return list(KINDS)
    bad = [k for k in wanted if k not in KINDS]
    if bad:
        raise InputError(f"不认识的通报类型：{'、'.join(bad)}。可选：{'、'.join(KINDS)}、all。")
    return wanted


def render_notices(kinds: Iterable[str], survey: Any, registrations: Sequence[str | Path] = (),
                   payments: Sequence[str | Path] = (), as_of: dt.date | None = None, *, out_dir: str | Path,
                   templates: str | Path | None = None, months: int = 3, deadline: dt.date | None = None,
                   tier: int | None = None, milestones: Any = None, progress: Progress | None = None,
                   dispatch: Any = None, counting: Any = None, signed: Sequence[str | Path] | None = None,
                   params: Any = None, allow_incomplete: bool = False,
                   kind_progress: KindProgress | None = None) -> NoticeRun:
    """Run the dispatch once and write the notices of ``kinds`` ("all" for every kind) into ``out_dir``.

    ``survey`` is a folder, a list of files or a SurveyBatch; ``dispatch`` may pass an existing
    :class:`~coverage_xl.dispatch.DispatchResult` instead (the master workbook has one already);
    ``milestones`` (a CSV path or a list, default the packaged Annex 1 ones), ``counting`` (the
    bureau's payment-rate and progress choices) and ``signed`` (returned follow-up lists) go to the
    dispatch.

    ``params`` (a :class:`~coverage_xl.estimate.Params` or a path, default the packaged set) drive the
    estimate letters. While any of them is blank (参数待市局填写) no letter is written and the reason,
    naming every blank parameter, goes to ``run.refused`` — a resident must never receive a figure
    that understates the pension without a visible warning; ``allow_incomplete`` writes them anyway,
    with the warning on each page.

    ``progress`` follows the run kind by kind; ``kind_progress`` follows the units within a kind
    (the CLI draws a bar for each kind from it)."""
    from coverage_xl.estimate import Params, load_params

    wanted = _kinds(kinds)
    as_of = as_of or dt.date.today()
    out = Path(out_dir)
    run = NoticeRun(as_of, out)
    if "estimate" in wanted and not isinstance(params, Params):
        params = load_params(params)
    # parse every template before any work, so a broken one fails fast and no unit gets half a run
    needs = {"bulletin": mt.BULLETIN, "unit": mt.UNIT_NOTICE, "statement": mt.STATEMENT,
             "estimate": mt.ESTIMATE_LETTER, "sms": mt.SMS_PAYMENT, "turning60": mt.SMS_TURNING60}
    for k in wanted:
        if k in needs:
            run.templates[k] = check_template(find_template(needs[k], templates))
    with _unit_helpers(wanted) as helpers:
        return _render(run, wanted, survey, registrations, payments, dispatch, helpers, out=out, templates=templates,
                       months=months, deadline=deadline, tier=tier, milestones=milestones, progress=progress,
                       counting=counting, signed=signed, params=params, allow_incomplete=allow_incomplete,
                       kind_progress=kind_progress)


def _render(run: NoticeRun, wanted: list[str], survey: Any, registrations: Sequence[str | Path],
            payments: Sequence[str | Path], dispatch: Any, helpers: Any, *, out: Path,
            templates: str | Path | None, months: int, deadline: dt.date | None, tier: int | None, milestones: Any,
            progress: Progress | None, counting: Any, signed: Sequence[str | Path] | None, params: Any,
            allow_incomplete: bool, kind_progress: KindProgress | None) -> NoticeRun:
    """:func:`render_notices` once the templates are checked and the helper processes started."""
    from coverage_xl.dispatch import run_dispatch

    as_of = run.as_of
    if dispatch is None:
        def cb(stage: str, name: str, n: int, total: int) -> None:
            if progress:
                progress(f"读取{'摸底表' if stage == 'survey' else '导出'}：{name}", n, total)

        dispatch = run_dispatch(survey, registrations, payments, as_of, milestones=milestones, progress=cb,
                                counting=counting, signed=signed)
        if not registrations:
            run.warnings.append("未提供参保登记导出（--registrations）：已登记人数均按0计，覆盖率为0。")
        if not payments:
            run.warnings.append("未提供缴费导出（--payments）：已缴费人数均按0计。")
    run.warnings.extend(dispatch.summary.problems)
    if dispatch.summary.missing_units:
        run.warnings.append("未报送摸底表的单位：" + "、".join(dispatch.summary.missing_units) + "（各项人数按0计）。")
    people = dispatch.people
    total = len(wanted)
    with guard.output_folder(out, kind="notices") as staging:  # the whole set, or nothing
        _write_kinds(run, wanted, dispatch, people, staging, templates=templates, deadline=deadline, tier=tier,
                     months=months, progress=progress, params=params, allow_incomplete=allow_incomplete,
                     kind_progress=kind_progress, helpers=helpers)
    run.written = {k: [out / p.relative_to(staging) for p in paths] for k, paths in run.written.items()}
    if progress:
        progress("完成", total, total)
    return run


UNIT_KINDS = ("statement", "reasons", "estimate")
"""Kinds written as one file per unit: the heavy part of a run, spread over worker processes."""
_MS_PER_PERSON = {"estimate": 3.0, "reasons": 1.2, "statement": 1.1}
"""Rough relative cost of a unit document per person (ms of one core under cProfile, city-scale run):
the largest jobs start first, so that the last ones to finish are small."""


@contextlib.contextmanager
def _unit_helpers(wanted: list[str]) -> Iterator[Any]:
    """The helper processes that write unit documents beside this one (a process pool, or None).

    Started before the dispatch, so that they are forked from a small process (the survey and the
    exports are not in their memory: each job brings its own unit's people). This process is the
    other writer: ``survey.default_workers`` counts it, so on two cores one helper is started; none
    where workers would be spawned (Windows) or with ``COVERAGE_XL_WORKERS=1``."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    from coverage_xl.survey import default_workers, start_method
    from coverage_xl.units import default_units

    helpers = default_workers(len(UNIT_KINDS) * len(default_units())) - 1
    if helpers < 1 or not any(k in UNIT_KINDS for k in wanted):
        yield None
        return
    pool = ProcessPoolExecutor(max_workers=helpers, mp_context=mp.get_context(start_method()))
    try:
        pool.submit(int).result()  # start (fork) them now
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@dataclass(frozen=True)
class _UnitJob:
    kind: str
    unit: str
    people: pd.DataFrame


def _unit_jobs(wanted: list[str], people: pd.DataFrame) -> list[_UnitJob]:
    """One job per (kind, unit) for the unit kinds asked for, in kind then Annex 1 order."""
    selections = {"statement": cx.unwilling_people, "reasons": cx.not_registered, "estimate": cx.not_registered}
    return [_UnitJob(kind, unit, grp) for kind in wanted if kind in selections
            for unit, grp in cx.by_unit(selections[kind](people))]


def _write_unit_job(job: _UnitJob, as_of: dt.date, out: Path, templates: dict[str, Path], tier: int | None,
                    params: Any) -> tuple[Path | None, list[str]]:
    """Write one unit's document of one kind (in a worker process, or in this one)."""
    if job.kind == "statement":
        return write_statement(job.unit, job.people, as_of, out, templates["statement"]), []
    if job.kind == "reasons":
        return write_reason_sheet(job.unit, job.people, as_of, out), []
    return write_estimate_letter(job.unit, job.people, as_of, out, templates["estimate"], tier=tier, params=params)


def _run_unit_jobs(jobs: list[_UnitJob], done: Callable[[int], None], meanwhile: Callable[[], None],
                   helpers: Any, *args: Any) -> list[tuple[Path | None, list[str]]]:
    """Every job's result, in job order; ``done(index)`` as each one finishes.

    Units are independent. With ``helpers`` (a process pool of :func:`_unit_helpers`), the jobs are
    taken largest first (by an estimated cost) from one list by whoever is free: the helpers are kept
    busy with one job queued beyond what they run, and this process, after ``meanwhile()``, takes the
    next job each time it is free. Every file still goes through the output guard, into the run's
    staging folder; the first failure stops the run."""
    from concurrent.futures import FIRST_COMPLETED, wait

    results: list[tuple[Path | None, list[str]]] = [(None, [])] * len(jobs)
    if helpers is None:
        meanwhile()
        for i, job in enumerate(jobs):
            results[i] = _write_unit_job(job, *args)
            done(i)
        return results
    order = sorted(range(len(jobs)), key=lambda i: -_MS_PER_PERSON[jobs[i].kind] * len(jobs[i].people))
    room = helpers._max_workers + 1  # what the helpers run, and one waiting for the first free one
    index: dict[Any, int] = {}
    pending: set[Any] = set()

    def top_up() -> None:
        while order and len(pending) < room:
            i = order.pop(0)
            fut = helpers.submit(_write_unit_job, jobs[i], *args)
            index[fut] = i
            pending.add(fut)

    def collect(timeout: float | None) -> None:
        finished, still = wait(pending, timeout=timeout, return_when=FIRST_COMPLETED)
        pending.intersection_update(still)
        for fut in finished:
            results[index[fut]] = fut.result()  # a helper's TemplateError is raised here
            done(index[fut])

    try:
        top_up()
        meanwhile()
        while order or pending:
            collect(0)
            top_up()
            if order:
                i = order.pop(0)
                results[i] = _write_unit_job(jobs[i], *args)
                done(i)
            elif pending:
                collect(None)
    except BaseException:
        for fut in pending:
            fut.cancel()
        wait(pending)  # a helper still writing must be done before the staging folder is removed
        raise
    return results


def _write_kinds(run: NoticeRun, wanted: list[str], dispatch: Any, people: pd.DataFrame, out: Path, *,
                 templates: str | Path | None, deadline: dt.date | None, tier: int | None, months: int,
                 progress: Progress | None, params: Any, allow_incomplete: bool,
                 kind_progress: KindProgress | None = None, helpers: Any = None) -> None:
    """Write every kind asked for into ``out`` (the staging folder of the run).

    The unit kinds (意愿书, 原因反馈表, 测算告知书) are written unit by unit, shared with the
    ``helpers`` processes while this one writes the others first; ``kind_progress`` follows them as
    units finish."""
    from coverage_xl.estimate import incomplete_message

    as_of = run.as_of
    total = len(wanted)
    withheld = "estimate" in wanted and params.pending and not allow_incomplete
    if withheld:
        run.refused.append(incomplete_message(params))
    jobs = _unit_jobs([k for k in wanted if not (k == "estimate" and withheld)], people)
    per_kind = {k: sum(j.kind == k for j in jobs) for k in UNIT_KINDS}
    finished = dict.fromkeys(UNIT_KINDS, 0)

    def done(i: int) -> None:
        job = jobs[i]
        finished[job.kind] += 1
        if kind_progress is not None:
            kind_progress(job.kind, job.unit, finished[job.kind], per_kind[job.kind])

    written: dict[str, list[Path]] = {}
    notes: dict[str, list[str]] = {}
    others = [k for k in wanted if k not in UNIT_KINDS]

    def meanwhile() -> None:
        for n, kind in enumerate(others):
            if progress:
                progress(f"生成{KIND_LABELS[kind]}", n, total)
            written[kind], notes[kind] = _write_other_kind(kind, run, dispatch, people, out, templates=templates,
                                                           deadline=deadline, months=months,
                                                           kind_progress=kind_progress)
        if progress and jobs:
            progress("生成" + "、".join(KIND_LABELS[k] for k in wanted if per_kind.get(k)), len(others), total)

    results = _run_unit_jobs(jobs, done, meanwhile, helpers, as_of, out, run.templates, tier, params)
    for kind in (k for k in wanted if k in UNIT_KINDS):
        mine = [r for j, r in zip(jobs, results, strict=True) if j.kind == kind]
        written[kind] = [path for path, _ in mine if path is not None]
        skipped = [s for _, skip in mine for s in skip]
        notes[kind] = [f"有{len(skipped)}人无法测算，未生成告知书（如未满16周岁或出生日期不明）。"] if skipped else []
    for kind in wanted:
        run.written[kind] = written[kind]
        run.notes.extend(notes[kind])


def _write_other_kind(kind: str, run: NoticeRun, dispatch: Any, people: pd.DataFrame, out: Path, *,
                      templates: str | Path | None, deadline: dt.date | None, months: int,
                      kind_progress: KindProgress | None) -> tuple[list[Path], list[str]]:
    """The kinds written in this process: bulletin, unit notices and the SMS lists (files, notes)."""
    as_of = run.as_of
    each = None if kind_progress is None else (
        lambda unit, done, units: kind_progress(kind, unit, done, units))
    if kind == "bulletin":
        return [write_bulletin(dispatch.annex5, dispatch.progress, as_of, out, templates=templates)], []
    if kind == "unit":
        paths = write_unit_notices(dispatch.annex5, dispatch.progress, as_of, out, templates=templates,
                                   deadline=deadline, each=each)
        return paths, [] if paths else ["没有进度滞后的单位，未生成督办通知。"]
    if kind == "sms":
        lst = sms.payment_reminders(people, as_of, run.templates[kind])
        target = out / SMS_DIR / "缴费提醒.csv"
    else:
        lst = sms.turning60_reminders(people, as_of, run.templates[kind], months)
        target = out / SMS_DIR / "到龄提醒.csv"
    paths = [sms.write_sms_csv(lst.rows, target)]
    note = (f"{KIND_LABELS[kind]}：{len(lst.rows)}条" + (f"，{lst.too_long}条超过{sms.SMS_LIMIT}字" if lst.too_long else "")
            + (f"，{lst.no_mobile}人没有手机号未列入" if lst.no_mobile else "")
            + (f"，{lst.duplicates}条重复（同一身份证号）已合并" if lst.duplicates else "") + "。")
    return paths, [note]
