"""The counting choices a bureau may dispute, as data: the payment-rate denominator and what counts
as *done* for progress (issue 13). Defaults live in ``data/counting.toml``; the CLI options and the
master's 单位设置 override them. Each choice has a Chinese label and a 口径说明 sentence, printed on
the sheets and in the notices so a reader knows which rule made the figure.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources

from coverage_xl.errors import ParameterError

# Payment rate (Annex 5 column 8).
RATE_PAYERS_DUE = "payers_due"
RATE_REGISTERED = "registered"
RATE_BASES = {
    RATE_PAYERS_DUE: "应缴费人数",
    RATE_REGISTERED: "已登记人数",
}
RATE_NOTES = {
    RATE_PAYERS_DUE: "参保缴费率 = 第5列 ÷ 应缴费人数；应缴费人数 = 第4列 − 领取待遇且本年度未缴费人数"
                     "（领取待遇人员已覆盖，不要求缴费）。",
    RATE_REGISTERED: "参保缴费率 = 第5列 ÷ 第4列（按市局设置，领取待遇人员也计入分母）。",
}

# Progress: what counts as done.
PROGRESS_REGISTERED = "registered"
PROGRESS_PAID = "paid"
PROGRESS_SIGNED = "signed"
PROGRESS_BASES = {
    PROGRESS_REGISTERED: "已登记",
    PROGRESS_PAID: "已缴费",
    PROGRESS_SIGNED: "已登记+签订意愿书",
}
PROGRESS_NOTES = {
    PROGRESS_REGISTERED: "已完成数 = 摸底核实为不属于覆盖范围的人数 + 应覆盖人员中已参保登记的人数",
    PROGRESS_PAID: "已完成数 = 摸底核实为不属于覆盖范围的人数 + 应覆盖人员中已参保登记且本年度已缴费的人数",
    PROGRESS_SIGNED: "已完成数 = 摸底核实为不属于覆盖范围的人数 + 应覆盖人员中已参保登记的人数"
                     " + 未登记但拒绝参保并签订意愿书的人数",
}


@dataclass(frozen=True)
class Counting:
    payment_rate: str = RATE_PAYERS_DUE
    progress: str = PROGRESS_REGISTERED

    @property
    def rate_note(self) -> str:
        return RATE_NOTES[self.payment_rate]

    @property
    def progress_label(self) -> str:
        return PROGRESS_BASES[self.progress]

    @property
    def progress_note(self) -> str:
        return PROGRESS_NOTES[self.progress]


def choice(value: str, choices: dict[str, str], what: str) -> str:
    """A setting given as its key (payers_due) or its Chinese label (应缴费人数)."""
    v = (value or "").strip()
    if v in choices:
        return v
    for key, label in choices.items():
        if v == label:
            return key
    named = "、".join(f"{k}（{label}）" for k, label in choices.items())
    raise ParameterError(f"{what}“{v}”无法识别，应为：{named}。")


def load_counting(payment_rate: str | None = None, progress: str | None = None) -> Counting:
    """The packaged defaults, overridden by any choice given (key or Chinese label)."""
    text = resources.files("coverage_xl").joinpath("data/counting.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    return Counting(choice(payment_rate or data.get("payment_rate", RATE_PAYERS_DUE), RATE_BASES, "缴费率口径"),
                    choice(progress or data.get("progress", PROGRESS_REGISTERED), PROGRESS_BASES, "进度口径"))
