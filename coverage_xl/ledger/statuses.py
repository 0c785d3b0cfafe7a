"""The ledger's status vocabulary and 销号 rule, read from ``data/ledger_statuses.toml``.

The statuses, their Chinese labels, their precedence and which of them count as settled (销号) are
a policy the bureau may dispute, so they live in one data file that a clerk can read and the bureau
can change (``--statuses``), never in code. The conditions each status stands for are fixed by the
notice and implemented in :mod:`coverage_xl.ledger.compute`, which refuses a file that names a status
it does not know or leaves one out.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from coverage_xl.errors import ParameterError

STATUS_CODES = ("paid", "drawing", "registered_unpaid", "unclassified", "out_of_scope", "refused", "pending",
                "not_surveyed")
FLAG_CODES = ("off_list", "cross_unit_duplicate", "duplicate_insurance")
SETTLED_VALUES = ("yes", "no", "signed")
DATA_FILE = "data/ledger_statuses.toml"


@dataclass(frozen=True)
class Status:
    code: str
    label: str
    order: int
    settled: str  # "yes", "no" or "signed" (settled with a signed 意愿书)
    rule: str


@dataclass(frozen=True)
class Flag:
    code: str
    label: str
    rule: str


@dataclass(frozen=True)
class StatusBook:
    """Every status in precedence order, the flags, and the bureau's setting for 联系不上."""

    statuses: tuple[Status, ...]
    flags: tuple[Flag, ...]
    unreachable_settles: bool
    source: str

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.statuses)

    def label(self, code: str) -> str:
        for s in self.statuses:
            if s.code == code:
                return s.label
        for f in self.flags:
            if f.code == code:
                return f.label
        return code

    def status(self, code: str) -> Status:
        return next(s for s in self.statuses if s.code == code)


def _parse(text: str, source: str) -> StatusBook:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"台账状态文件“{source}”格式错误：{exc}") from exc
    statuses = []
    for i, s in enumerate(data.get("status", []), start=1):
        try:
            st = Status(str(s["code"]), str(s["label"]), int(s["order"]), str(s["settled"]), str(s.get("rule", "")))
        except (KeyError, ValueError) as exc:
            raise ParameterError(f"台账状态文件“{source}”第{i}个状态缺少 code/label/order/settled：{exc}") from exc
        if st.settled not in SETTLED_VALUES:
            raise ParameterError(f"台账状态文件“{source}”中状态“{st.code}”的 settled 只能是 yes、no 或 signed。")
        statuses.append(st)
    codes = [s.code for s in statuses]
    if sorted(codes) != sorted(STATUS_CODES):
        raise ParameterError(f"台账状态文件“{source}”必须且只能包含这些状态：{'、'.join(STATUS_CODES)}"
                             f"（现有：{'、'.join(codes)}）。")
    flags = tuple(Flag(str(f["code"]), str(f["label"]), str(f.get("rule", ""))) for f in data.get("flag", []))
    if sorted(f.code for f in flags) != sorted(FLAG_CODES):
        raise ParameterError(f"台账状态文件“{source}”必须包含这些标记：{'、'.join(FLAG_CODES)}。")
    settings = data.get("settings", {})
    unreachable = settings.get("unreachable_settles", False)
    if not isinstance(unreachable, bool):
        raise ParameterError(f"台账状态文件“{source}”中 unreachable_settles 只能是 true 或 false。")
    return StatusBook(tuple(sorted(statuses, key=lambda s: s.order)), flags, unreachable, source)


@cache
def default_statuses() -> StatusBook:
    text = resources.files("coverage_xl").joinpath(DATA_FILE).read_text(encoding="utf-8")
    return _parse(text, DATA_FILE)


def load_statuses(path: str | Path | None = None) -> StatusBook:
    """The packaged vocabulary, or a bureau-edited copy."""
    if path is None:
        return default_statuses()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ParameterError(f"无法读取台账状态文件“{path}”：{exc.strerror or exc}") from exc
    return _parse(text, path.name)
