"""Progress of each unit against its Annex 1 task and the campaign milestones.

Annex 1 note 2: 8月底前完成任务50%；10月底前完成任务100%. The milestones are data
(``data/milestones.csv``: month-day, share, label) so the bureau can change them without code.

What counts as *done* for a unit's task (需核实参保任务数 — the people the province asked the city to
verify) is the bureau's choice (issue 13; :mod:`coverage_xl.counting`, ``data/counting.toml``):

- ``registered`` (default): out of scope (verified, nothing to enrol) + in scope and registered;
- ``paid``: out of scope + in scope, registered and paid this year (真正意义上的参保);
- ``signed``: out of scope + registered + in scope, not registered, refusing with a signed 意愿书.

The share is ``done / task``. Rows whose category is in error are not done. A share above 100 % (more
people surveyed than the task) is shown as it is and flagged (``flag``), never capped.

Status on the as-of date: 达标 when the share reaches the latest milestone due (date ≤ as-of),
滞后 otherwise; before the first milestone nothing is due and every unit is 达标. Rank: 1 for the
highest share, ties share a rank.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from coverage_xl.counting import PROGRESS_PAID, PROGRESS_REGISTERED, PROGRESS_SIGNED
from coverage_xl.errors import ParameterError
from coverage_xl.units import Unit, default_units

ON_TRACK = "达标"
LAGGING = "滞后"
OVER_FLAG = "超过100%，请核对任务数与摸底人数"

PROGRESS_COLUMNS = (
    "order", "code", "unit", "task", "surveyed", "in_scope", "out_of_scope", "registered", "paid", "payers_due",
    "signed", "definition", "flag", "done",
    "done_share", "milestone", "milestone_date", "milestone_share", "due", "gap", "status", "rank",
    "next_milestone", "next_date", "next_share", "next_gap",
)
# Chinese headers of the 进度 sheet and the CLI table, by column key.
PROGRESS_HEADERS = {
    "order": "序号", "code": "行政代码", "unit": "单位", "task": "需核实参保任务数", "surveyed": "摸底人数",
    "in_scope": "应覆盖人数", "out_of_scope": "不属于覆盖范围人数", "registered": "已登记人数",
    "paid": "已缴费人数", "payers_due": "应缴费人数", "signed": "拒绝参保并签订意愿书人数", "flag": "核对提示",
    "done": "已完成数", "done_share": "任务完成进度", "milestone": "当前节点",
    "milestone_share": "节点要求", "due": "节点应完成数", "gap": "差额", "status": "状态", "rank": "排名",
    "next_milestone": "下一节点", "next_gap": "距下一节点差额",
}


@dataclass(frozen=True)
class Milestone:
    day: dt.date
    share: float  # 0.5 = 50 % of the task
    label: str


def _parse_milestones(text: str, year: int, source: str) -> list[Milestone]:
    out: list[Milestone] = []
    for n, row in enumerate(csv.DictReader(text.splitlines()), start=2):
        try:
            month, day = (int(x) for x in row["month_day"].strip().split("-"))
            share = float(row["share"])
            if not 0 < share <= 1:
                raise ValueError
            out.append(Milestone(dt.date(year, month, day), share, (row.get("label") or "").strip()
                                 or f"{month}月{day}日前完成任务{share:.0%}"))
        except (KeyError, ValueError, AttributeError, TypeError) as exc:
            raise ParameterError(f"里程碑文件“{source}”第{n}行无法识别：应为“月-日,比例,说明”，如“08-31,0.5,8月底前完成任务50%”。") from exc
    if not out:
        raise ParameterError(f"里程碑文件“{source}”没有任何节点。")
    return sorted(out, key=lambda m: m.day)


def load_milestones(year: int, path: str | Path | None = None) -> list[Milestone]:
    """The milestones of a campaign year, from the packaged file or a bureau-edited CSV."""
    if path is None:
        text = resources.files("coverage_xl").joinpath("data/milestones.csv").read_text(encoding="utf-8")
        return _parse_milestones(text, year, "data/milestones.csv")
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ParameterError(f"里程碑文件“{path}”无法读取：{exc}") from exc
    return _parse_milestones(text, year, str(path))


def due_milestone(milestones: list[Milestone], as_of: dt.date) -> Milestone | None:
    """The latest milestone whose date is on or before the as-of date."""
    due = [m for m in milestones if m.day <= as_of]
    return due[-1] if due else None


def next_milestone(milestones: list[Milestone], as_of: dt.date) -> Milestone | None:
    return next((m for m in milestones if m.day > as_of), None)


def required(task: int, share: float) -> int:
    """People a share of a task means (rounded up: 50 % of 1301 is 651)."""
    return math.ceil(task * share - 1e-9)


SETTLED = {
    PROGRESS_REGISTERED: ("registered",),
    PROGRESS_PAID: ("paid",),
    PROGRESS_SIGNED: ("registered", "signed"),
}


def build_progress(counts: pd.DataFrame, as_of: dt.date, *, milestones: list[Milestone] | None = None,
                   units: tuple[Unit, ...] | None = None, definition: str = PROGRESS_REGISTERED) -> pd.DataFrame:
    """One row per unit (Annex 1 order) with the columns of :data:`PROGRESS_COLUMNS`.

    ``counts`` is indexed by unit name with integer columns surveyed, in_scope, out_of_scope,
    registered, paid and optionally payers_due, signed (missing units and columns count as zero).
    ``definition`` says what is done (:data:`SETTLED`)."""
    if definition not in SETTLED:
        raise ValueError(definition)
    units = units or default_units()
    milestones = milestones if milestones is not None else load_milestones(as_of.year)
    now = due_milestone(milestones, as_of)
    nxt = next_milestone(milestones, as_of)
    rows = []
    for u in units:
        c = counts.loc[u.name] if u.name in counts.index else None

        def get(key: str, c=c) -> int:
            return int(c[key]) if c is not None and key in c.index and pd.notna(c[key]) else 0

        out_of_scope, registered = get("out_of_scope"), get("registered")
        done = out_of_scope + sum(get(k) for k in SETTLED[definition])
        share = done / u.task if u.task else None
        due = required(u.task, now.share) if now else 0
        rows.append({
            "order": u.order, "code": u.code, "unit": u.name, "task": u.task, "surveyed": get("surveyed"),
            "in_scope": get("in_scope"), "out_of_scope": out_of_scope, "registered": registered,
            "paid": get("paid"), "payers_due": get("payers_due"), "signed": get("signed"),
            "definition": definition, "flag": OVER_FLAG if share is not None and share > 1 else "",
            "done": done, "done_share": share,
            "milestone": now.label if now else "", "milestone_date": now.day if now else None,
            "milestone_share": now.share if now else None, "due": due, "gap": max(due - done, 0),
            "status": ON_TRACK if done >= due else LAGGING,
            "next_milestone": nxt.label if nxt else "", "next_date": nxt.day if nxt else None,
            "next_share": nxt.share if nxt else None,
            "next_gap": max(required(u.task, nxt.share) - done, 0) if nxt else None,
        })
    frame = pd.DataFrame(rows, columns=list(PROGRESS_COLUMNS))
    frame["rank"] = frame["done_share"].fillna(-1).rank(method="min", ascending=False).astype(int)
    return frame


def laggards(progress: pd.DataFrame) -> pd.DataFrame:
    """The units behind their milestone, furthest behind first (for notices and the CLI)."""
    return progress[progress["status"] == LAGGING].sort_values(["done_share", "order"])
