"""A generated campaign for the notice tests: the session's 14-unit survey folder, a registration
and a payment export made from it, milestones set so that some units are on track and some lag,
the dispatch run, every notice rendered, and the Annex 5 sheet of the same data written."""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

from coverage_xl.dispatch import DispatchResult, run_dispatch
from coverage_xl.jobs.dispatch import write_dispatch
from coverage_xl.notices import NoticeRun, render_notices

AS_OF = dt.date(2020, 9, 30)


@dataclass
class World:
    survey: Path
    registrations: Path
    payments: Path
    milestones: Path
    dispatch: DispatchResult
    run: NoticeRun
    out: Path
    annex5_book: Path
    unit_steps: list[tuple[str, str, int, int]]


def _write(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def build_world(root: Path, survey: Path, *, seed: int = 6) -> World:
    root.mkdir(parents=True, exist_ok=True)
    first = run_dispatch(survey, [], [], AS_OF)
    people = first.people
    rng = random.Random(seed)
    ids = sorted({i for i in people.loc[people["in_scope"] & (people["id"] != ""), "id"]})
    registered = [i for i in ids if rng.random() < 0.6]
    paid = [i for i in registered if rng.random() < 0.7]
    reg = _write(root / "参保登记.csv", ["姓名", "公民身份号码"], [["某", i] for i in registered])
    pay = _write(root / "缴费.csv", ["身份证号码", "缴费年度", "缴费金额"], [[i, 2020, 200] for i in paid])
    # a first milestone at the median share done: about half the units on track, half lagging
    probe = run_dispatch(first.batch, [reg], [pay], AS_OF)
    shares = sorted(float(s) for s in probe.progress["done_share"])
    share = round(shares[len(shares) // 2], 6)
    ms = root / "milestones.csv"
    ms.write_text(f"month_day,share,label\n08-31,{share},8月底前完成任务{share:.2%}\n10-31,1.0,10月底前完成任务100%\n",
                  encoding="utf-8")
    out = root / "通报"
    result = run_dispatch(first.batch, [reg], [pay], AS_OF, milestones=ms)
    steps: list[tuple[str, str, int, int]] = []
    run = render_notices(["all"], first.batch, [reg], [pay], AS_OF, out_dir=out, dispatch=result,
                         allow_incomplete=True,  # the packaged parameters leave local figures blank
                         kind_progress=lambda *step: steps.append(step))
    book = write_dispatch(result, root / "调度表.xlsx")
    return World(survey, reg, pay, ms, result, run, out, book, steps)


_BUILT: dict[Path, World] = {}


def world_for(unit_folder_path: Path, tmp_root: Path) -> World:
    """One World per survey folder for the whole session (the notice test modules share it)."""
    if unit_folder_path not in _BUILT:
        _BUILT[unit_folder_path] = build_world(tmp_root, unit_folder_path)
    return _BUILT[unit_folder_path]


def notices_args(world: World, *kinds: str, out) -> list[str]:
    """The `coverage-xl notices KIND…` arguments for this world's inputs, writing into ``out``."""
    return ["notices", *kinds, "--survey", world.survey, "--registrations", world.registrations,
            "--payments", world.payments, "--as-of", "2020-09-30", "--milestones", world.milestones, "-o", out]
