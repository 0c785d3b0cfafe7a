"""Benefit estimate (待遇测算): what a resident's urban–rural pension is worth at 60.

The notice asks every unit to "开展一次待遇测算" so that residents see what enrolling is worth. The
model is the national one of 国发〔2014〕8号, with every figure a parameter the bureau can edit
(``coverage_xl/data/estimate_params.toml`` or the sheet 测算参数 of the master workbook)::

    monthly pension = basic pension + personal account ÷ divisor (139)
    basic pension   = central minimum + provincial addition + local addition
                      + long-contribution extra × (contribution years beyond 15)
    personal account at 60 = Σ yearly (own tier + government subsidy + collective/代缴 support),
                      credited with interest at a yearly rate, + any one-sum 补缴

Conventions (documented in docs/estimate.md and proved by tests):

- Contribution years count by calendar year: a person born in 1965 has 2020 … 2024 left. Ages a
  resident reads are counted to the day: the enrolment age (16 from the 16th birthday, on the letter's
  as-of date) and the wording for someone who turns 60 during the start year ("将于2020年12月年满60周岁",
  never "已满60周岁" while they are 59).
- Yearly contributions cover the calendar years ``start_year`` … ``birth_year + 59``: the year of the
  60th birthday is not a contribution year. So ``years_to_60 = birth_year + 60 - start_year``.
- The account earns interest at year end on the previous balance; a year's contribution earns interest
  from the next year on. A 补缴 sum is paid at 60 and earns no interest.
- The pension starts the month after the 60th birthday.
- Branches: ``under45`` (yearly payment reaches 15 years), ``catch_up`` (1–14 years left: 补缴 of the
  missing years at the chosen tier), ``over60`` (already 60 in the start year: one sum of 15 years,
  if the parameter set allows it).
- A parameter the bureau has not filled in (value "") counts as 0, and every estimate made with it
  carries the warning "参数待市局填写：…". A figure that is only a national floor carries a warning too.

Faces: :func:`estimate` (library), :func:`estimate_table_rows` (labels for CLI, Excel and letters),
:func:`estimate_context` (Jinja context for letters), :func:`pension_udf` (wrapped by the Excel layer as
``=CXL_PENSION(birth, tier, start_year)``) and :func:`coverage_xl.sheets.estimator.write_estimator_sheet` (sheets 测算参数
and 测算器 computing with plain Excel formulas, so they work without Python).
"""

from __future__ import annotations

import datetime as _dt
import functools
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from coverage_xl.errors import InputError, ParameterError
from coverage_xl.idcard import age_on
from coverage_xl.layout import PARAMS_SHEET
from coverage_xl.values import parse_birth_month

PENSION_AGE = 60
"""Age at which the pension starts (国发〔2014〕8号: 年满60周岁)."""

MIN_YEARS = 15
"""Contribution years needed at 60 (国发〔2014〕8号: 累计缴费满15年); also the 补缴 span for over-60s
and the threshold beyond which the long-contribution extra counts."""

MIN_ENROL_AGE = 16
"""Residents may enrol from 16 (国发〔2014〕8号: 年满16周岁，不含在校学生), counted in whole years to the
day: from the 16th birthday on."""

DEFAULT_PARAMS_PATH = Path(__file__).parent / "data" / "estimate_params.toml"



# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParamSpec:
    """What a parameter is: its key in the data file, its Chinese label, its kind, whether it may be blank."""

    key: str
    label: str
    kind: str  # "tiers" | "schedule" | "money" | "rate" | "divisor" | "bool"
    nullable: bool = False


PARAM_SPECS: tuple[ParamSpec, ...] = (
    ParamSpec("tiers", "个人缴费档次", "tiers"),
    ParamSpec("subsidy", "政府缴费补贴", "schedule"),
    ParamSpec("catch_up_subsidy", "补缴是否享受政府补贴", "bool"),
    ParamSpec("over60_catch_up", "已满60周岁人员可否一次性补缴15年", "bool"),
    ParamSpec("central_basic_pension", "中央确定的基础养老金最低标准", "money"),
    ParamSpec("provincial_basic_addition", "湖南省基础养老金提高部分", "money", nullable=True),
    ParamSpec("local_basic_addition", "市县基础养老金提高部分", "money", nullable=True),
    ParamSpec("long_contribution_extra", "长缴加发基础养老金（每多缴1年）", "money", nullable=True),
    ParamSpec("interest_rate", "个人账户记账利率", "rate", nullable=True),
    ParamSpec("divisor", "个人账户养老金计发月数", "divisor"),
)
SPECS_BY_KEY = {spec.key: spec for spec in PARAM_SPECS}


@dataclass(frozen=True)
class Param:
    """One parameter as the bureau wrote it: value (``None`` = 待市局填写) and where it comes from."""

    key: str
    label: str
    value: Any
    unit: str
    source: str
    year: int | None
    note: str = ""
    floor: bool = False

    @property
    def pending(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class Params:
    """A validated parameter set; ``origin`` says which file (or sheet) it was read from."""

    id: str
    name: str
    note: str
    origin: str
    entries: Mapping[str, Param]

    def __getitem__(self, key: str) -> Param:
        return self.entries[key]

    def number(self, key: str) -> float:
        """The value of a numeric parameter, 0 when the bureau has not filled it in."""
        value = self.entries[key].value
        return 0.0 if value is None else float(value)

    @property
    def tiers(self) -> tuple[int, ...]:
        return tuple(self.entries["tiers"].value)

    def subsidy_for(self, tier: int) -> float:
        """Government subsidy for a tier: the last schedule row whose tier the given tier reaches."""
        amount = 0.0
        for from_tier, value in self.entries["subsidy"].value:
            if tier >= from_tier:
                amount = float(value)
        return amount

    @property
    def pending(self) -> tuple[Param, ...]:
        return tuple(p for p in self.entries.values() if p.pending)

    def warnings(self) -> tuple[str, ...]:
        """Chinese warnings every estimate made with this set must show."""
        out = []
        if self.pending:
            names = "、".join(p.label for p in self.pending)
            out.append(f"{PENDING_PREFIX}{names}{PENDING_SUFFIX}")
        for p in self.entries.values():
            if p.floor and not p.pending:
                out.append(floor_message(p.label))
        return tuple(out)

    def sources(self) -> tuple[str, ...]:
        """One line per parameter: label, value, source and year — printed under every estimate."""
        lines = []
        for p in self.entries.values():
            year = f"（{p.year}年）" if p.year else ""
            lines.append(f"{p.label}：{format_param_value(p)}；来源：{p.source}{year}")
        return tuple(lines)


PENDING_PREFIX = "参数待市局填写："
PENDING_SUFFIX = "（测算中按0计算，结果偏低）。"


def incomplete_message(params: Params) -> str:
    """Why resident letters are withheld while parameters are blank, naming each one (Chinese)."""
    names = "、".join(p.label for p in params.pending)
    return (f"待遇测算告知书未生成：测算参数“{params.name}”中以下参数待市局填写：{names}。"
            "按0计算会低估居民的养老金。请在测算参数文件（--params）或总表“测算参数”表中填写后重新生成；"
            "确需先行发放的，加 --allow-incomplete（每页注明参数待填写、结果偏低）。")


def floor_message(label: str) -> str:
    return f"{label}按国家最低标准计算，实际以省、市标准为准。"


def format_param_value(p: Param) -> str:
    if p.pending:
        return "待市局填写"
    if p.key == "tiers":
        return "、".join(str(t) for t in p.value) + " " + p.unit
    if p.key == "subsidy":
        return "；".join(f"{t}元档起 {_num(v)}" for t, v in p.value) + " " + p.unit
    if isinstance(p.value, bool):
        return "是" if p.value else "否"
    if p.key == "interest_rate":
        return f"{p.value * 100:g}%"
    return f"{_num(p.value)} {p.unit}"


def _num(value: float) -> str:
    return f"{value:g}" if float(value) != int(value) else str(int(value))


def load_params(path: str | Path | None = None) -> Params:
    """Read and validate a parameter set: the shipped defaults, a TOML file, or a workbook's 测算参数 sheet.

    Raises :class:`ParameterError` (Chinese message naming the parameter) for a missing, blank,
    negative or malformed value, and :class:`InputError` when the file cannot be read.
    """
    target = Path(path) if path is not None else DEFAULT_PARAMS_PATH
    if not target.is_file():
        raise InputError(f"找不到测算参数文件“{target}”。")
    if target.suffix.lower() in {".xlsx", ".xlsm"}:
        return _params_from_workbook(target)
    try:
        data = tomllib.loads(target.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ParameterError(f"测算参数文件“{target.name}”格式有误，无法读取：{exc}") from exc
    return parse_params(data, origin=str(target))


def parse_params(data: Mapping[str, Any], origin: str = "") -> Params:
    """Validate a parameter mapping (the TOML layout) into :class:`Params`."""
    where = f"（{Path(origin).name}）" if origin else ""
    meta = data.get("meta", {})
    if not isinstance(meta, Mapping) or not str(meta.get("name", "")).strip():
        raise ParameterError(f"测算参数{where}缺少参数集名称（[meta] name），无法说明测算所用参数。")
    entries: dict[str, Param] = {}
    for spec in PARAM_SPECS:
        raw = data.get(spec.key)
        if raw is None:
            raise ParameterError(f"测算参数{where}缺少参数“{spec.label}”（{spec.key}）。")
        if not isinstance(raw, Mapping) or "value" not in raw:
            raise ParameterError(f"测算参数{where}中“{spec.label}”（{spec.key}）没有数值（value）。")
        source = str(raw.get("source", "")).strip()
        if not source:
            raise ParameterError(f"测算参数{where}中“{spec.label}”（{spec.key}）没有注明来源（source）。")
        year = raw.get("year")
        if year is not None and (isinstance(year, bool) or not isinstance(year, int) or not 1990 <= year <= 2100):
            raise ParameterError(f"测算参数{where}中“{spec.label}”的年份（year）应为四位年份，现为“{year}”。")
        value = _check_value(spec, raw["value"], where)
        entries[spec.key] = Param(
            key=spec.key,
            label=spec.label,
            value=value,
            unit=str(raw.get("unit", "")),
            source=source,
            year=year,
            note=str(raw.get("note", "")),
            floor=bool(raw.get("floor", False)),
        )
    tiers = entries["tiers"].value
    first_tier = entries["subsidy"].value[0][0]
    if first_tier > tiers[0]:
        raise ParameterError(
            f"测算参数{where}中“政府缴费补贴”从 {first_tier} 元档起，最低档 {tiers[0]} 元没有补贴标准。"
        )
    return Params(
        id=str(meta.get("id", "")),
        name=str(meta["name"]).strip(),
        note=str(meta.get("note", "")),
        origin=origin,
        entries=entries,
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_value(spec: ParamSpec, value: Any, where: str) -> Any:
    """Return the cleaned value of one parameter or raise a ParameterError naming it."""
    name = f"测算参数{where}中“{spec.label}”（{spec.key}）"
    if value is None or (isinstance(value, str) and not value.strip()):
        if spec.nullable:
            return None
        raise ParameterError(f"{name}不能为空：这是必需的参数，请填写。")
    if spec.kind == "bool":
        if isinstance(value, bool):
            return value
        if value in ("是", "否"):
            return value == "是"
        raise ParameterError(f"{name}应为“是”或“否”（true/false），现为“{value}”。")
    if spec.kind == "tiers":
        if (
            not isinstance(value, Sequence)
            or isinstance(value, str)
            or not value
            or not all(_is_number(t) and t == int(t) and t > 0 for t in value)
        ):
            raise ParameterError(f"{name}应为正整数（元）的列表，现为“{value}”。")
        tiers = [int(t) for t in value]
        if tiers != sorted(set(tiers)):
            raise ParameterError(f"{name}应从低到高排列且不重复，现为“{value}”。")
        return tuple(tiers)
    if spec.kind == "schedule":
        ok = isinstance(value, Sequence) and not isinstance(value, str) and len(value) > 0
        rows: list[tuple[int, float]] = []
        for row in value if ok else []:
            if not (isinstance(row, Sequence) and not isinstance(row, str) and len(row) == 2):
                ok = False
                break
            tier, amount = row
            if not (_is_number(tier) and _is_number(amount)):
                ok = False
                break
            if amount < 0 or tier <= 0:
                raise ParameterError(f"{name}不能为负数或零档次，现为“{list(row)}”。")
            rows.append((int(tier), float(amount)))
        if not ok:
            raise ParameterError(f"{name}应为 [档次, 补贴] 的列表，例如 [[100, 30], [500, 60]]，现为“{value}”。")
        if [t for t, _ in rows] != sorted({t for t, _ in rows}):
            raise ParameterError(f"{name}的档次应从低到高排列且不重复。")
        return tuple(rows)
    if not _is_number(value):
        raise ParameterError(f"{name}应为数字，现为“{value}”。")
    if value < 0:
        raise ParameterError(f"{name}不能为负数，现为 {value}。")
    if spec.kind == "rate" and value >= 1:
        raise ParameterError(f"{name}应写成小数（1.75% 写作 0.0175），现为 {value}。")
    if spec.kind == "divisor" and value == 0:
        raise ParameterError(f"{name}不能为0。")
    return value


@functools.lru_cache(maxsize=8)
def cached_params(path: str | None) -> Params:
    return load_params(path)


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------

def _birthday(born: _dt.date, years: int) -> _dt.date:
    """The ``years``-th birthday (29 February → 1 March in a common year)."""
    try:
        return born.replace(year=born.year + years)
    except ValueError:
        return _dt.date(born.year + years, 3, 1)


def _cn_date(day: _dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def parse_birth(value: Any) -> _dt.date:
    """Birth year-month from what a clerk types: ``1965-03``, ``1965.3``, ``196503``, ``1965年3月``,
    a date, or an Excel date serial — read by the one 出生年月 parser, :func:`values.parse_birth_month`.
    Returns the first of that month; raises InputError when it is unreadable or ambiguous (1965.1 may
    be January or October)."""
    readings = parse_birth_month(value)
    if readings and len(readings) == 1:
        year, month = readings[0]
        return _dt.date(year, month, 1)
    raise InputError(f"出生年月“{value}”无法识别，请按“1965-03”的格式填写（四位年份-两位月份）。")


# --------------------------------------------------------------------------------------------
# The estimate
# --------------------------------------------------------------------------------------------

BRANCH_LABELS = {
    "under45": "按年缴费至60周岁可满15年",
    "catch_up": "按年缴费至60周岁不足15年，可一次性补缴差额年限",
    "over60": "已满60周岁，可一次性补缴15年后按月领取",
}


@dataclass(frozen=True)
class Estimate:
    """Every figure of one estimate; money in yuan (unrounded), years in years."""

    birth: _dt.date
    tier: int
    start_year: int
    support: float
    branch: str
    branch_label: str
    years_to_60: int
    catch_up_years: int
    catch_up_cost: float
    total_years: int
    subsidy_per_year: float
    own_total: float
    account_at_60: float
    basic_pension: float | None
    personal_pension: float | None
    monthly_pension: float | None
    recover_years: float | None
    first_pension_month: str
    notes: tuple[str, ...]
    warnings: tuple[str, ...]
    params_id: str
    params_name: str
    params_origin: str
    params_sources: tuple[str, ...] = field(repr=False, default=())


def estimate(
    birth: _dt.date | str | int | float,
    tier: int,
    start_year: int | None = None,
    params: Params | None = None,
    *,
    support: float = 0.0,
    as_of: _dt.date | None = None,
) -> Estimate:
    """Estimate the pension of a person born in ``birth`` who enrols in ``start_year`` at ``tier``.

    ``support`` is a yearly collective subsidy or 代缴 amount credited to the account besides the
    person's own payment (it does not count as the person's own contribution). ``start_year``
    defaults to the current year. ``as_of`` is the day the estimate is made (a letter's as-of date);
    the enrolment age is counted on it in whole years to the day — 16 from the 16th birthday — or,
    without it or for a later start year, on the last day of the start year. A full birth date (a
    ``date``) is used to the day; a year-month counts from the first of the month. Raises
    InputError for a birth month, tier or year that cannot be used.
    """
    params = params or cached_params(None)
    born = parse_birth(birth)
    born_day = birth.date() if isinstance(birth, _dt.datetime) else birth if isinstance(birth, _dt.date) else born
    start = _dt.date.today().year if start_year is None else start_year
    if isinstance(start, bool) or not isinstance(start, int) or not 1990 <= start <= 2100:
        raise InputError(f"开始缴费年份“{start_year}”无效，请填写四位年份，例如 2020。")
    if isinstance(tier, float) and tier == int(tier):
        tier = int(tier)
    if isinstance(tier, bool) or tier not in params.tiers:
        tiers = "、".join(str(t) for t in params.tiers)
        raise InputError(f"缴费档次“{tier}”不在参数所列档次之中，请从以下档次中选择（元/年）：{tiers}。")
    if not _is_number(support) or support < 0:
        raise InputError(f"集体补助或代缴金额“{support}”无效，应为不小于0的数字（元/年）。")
    enrol_day = as_of if as_of is not None and as_of.year == start else _dt.date(start, 12, 31)
    if age_on(born_day, enrol_day) < MIN_ENROL_AGE:
        sixteen = _birthday(born_day, MIN_ENROL_AGE)
        raise InputError(
            f"出生于{born.year}年{born.month}月的居民截至{_cn_date(enrol_day)}未满{MIN_ENROL_AGE}周岁"
            f"（{_cn_date(sixteen)}年满{MIN_ENROL_AGE}周岁），还不能参保缴费。"
        )
    sixty = _birthday(born_day, PENSION_AGE)
    turning60 = start - born.year == PENSION_AGE  # 59 for part of the start year: not yet 已满60周岁
    if turning60 and as_of is not None and as_of >= sixty:
        sixty_text = f"已于{sixty.year}年{sixty.month}月年满60周岁"
    elif turning60:
        sixty_text = f"将于{sixty.year}年{sixty.month}月年满60周岁"
    else:
        sixty_text = "已满60周岁"

    years_to_60 = max(0, born.year + PENSION_AGE - start)
    subsidy = params.subsidy_for(tier)
    notes: list[str] = []
    if years_to_60 >= MIN_YEARS:
        branch, catch_up_years = "under45", 0
    elif years_to_60 > 0:
        branch, catch_up_years = "catch_up", MIN_YEARS - years_to_60
        notes.append(
            f"按年缴费至60周岁只有{years_to_60}年，不足{MIN_YEARS}年；一次性补缴{catch_up_years}年"
            f"（按{tier}元档，共{catch_up_years * tier}元）后可按月领取养老金。"
        )
    else:
        branch = "over60"
        catch_up_years = MIN_YEARS if params["over60_catch_up"].value else 0
        if catch_up_years:
            after = "年满60周岁且补缴后的次月" if turning60 else "补缴后的次月"
            notes.append(
                f"{sixty_text}，不能再按年缴满{MIN_YEARS}年；一次性补缴{MIN_YEARS}年（按{tier}元档，共{MIN_YEARS * tier}元）"
                f"后可从{after}起按月领取养老金。"
            )
        else:
            notes.append(f"{sixty_text}；按所用参数，60周岁及以上人员不能一次性补缴，无法测算按月待遇，请咨询社保经办机构。")
    if catch_up_years and not params["catch_up_subsidy"].value:
        notes.append("按所用参数，补缴部分不享受政府缴费补贴（地方规定，待市局确认）。")

    rate = params.number("interest_rate")
    yearly_credit = tier + subsidy + support
    balance = 0.0
    for _year in range(years_to_60):
        balance = balance * (1 + rate) + yearly_credit
    catch_up_credit = catch_up_years * (tier + (subsidy if params["catch_up_subsidy"].value else 0.0))
    account = balance + catch_up_credit
    total_years = years_to_60 + catch_up_years
    own_total = float(total_years * tier)

    basic = personal = monthly = recover = None
    if total_years >= MIN_YEARS:
        basic = (
            params.number("central_basic_pension")
            + params.number("provincial_basic_addition")
            + params.number("local_basic_addition")
            + params.number("long_contribution_extra") * max(0, total_years - MIN_YEARS)
        )
        personal = account / params.number("divisor")
        monthly = basic + personal
        recover = own_total / (monthly * 12) if monthly > 0 else None

    first_month = _dt.date(born.year + PENSION_AGE + born.month // 12, born.month % 12 + 1, 1)
    if branch == "over60" and turning60:
        first = f"补缴后次月（最早{first_month.year}-{first_month.month:02d}）"
    elif branch == "over60":
        first = "补缴后次月"
    else:
        first = f"{first_month.year}-{first_month.month:02d}"

    return Estimate(
        birth=born,
        tier=tier,
        start_year=start,
        support=float(support),
        branch=branch,
        branch_label=(f"{sixty.year}年{sixty.month}月年满60周岁，可一次性补缴15年后按月领取" if turning60
                      and branch == "over60" else BRANCH_LABELS[branch]),
        years_to_60=years_to_60,
        catch_up_years=catch_up_years,
        catch_up_cost=float(catch_up_years * tier),
        total_years=total_years,
        subsidy_per_year=subsidy,
        own_total=own_total,
        account_at_60=account,
        basic_pension=basic,
        personal_pension=personal,
        monthly_pension=monthly,
        recover_years=recover,
        first_pension_month=first,
        notes=tuple(notes),
        warnings=params.warnings(),
        params_id=params.id,
        params_name=params.name,
        params_origin=params.origin,
        params_sources=params.sources(),
    )


# --------------------------------------------------------------------------------------------
# Presentation: one source of truth for the labels
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RowField:
    """One line of the estimate table, shared by the CLI, the 测算器 sheet and the letters."""

    key: str
    label: str
    unit: str
    kind: str  # "text" | "int" | "money" | "years"


ROW_FIELDS: tuple[RowField, ...] = (
    RowField("branch_label", "测算情形", "", "text"),
    RowField("years_to_60", "至60周岁按年缴费年限", "年", "int"),
    RowField("catch_up_years", "一次性补缴年限", "年", "int"),
    RowField("catch_up_cost", "一次性补缴金额", "元", "money"),
    RowField("own_total", "个人缴费合计", "元", "money"),
    RowField("account_at_60", "开始领取时个人账户储存额", "元", "money"),
    RowField("basic_pension", "基础养老金", "元/月", "money"),
    RowField("personal_pension", "个人账户养老金", "元/月", "money"),
    RowField("monthly_pension", "月养老金合计", "元/月", "money"),
    RowField("recover_years", "收回个人缴费约需", "年", "years"),
    RowField("first_pension_month", "开始领取年月", "", "text"),
)


ESTIMATOR_INPUT_CELLS = {"birth": "B3", "tier": "B4", "start_year": "B5", "support": "B6"}
"""Where a clerk types on 测算器 (the formulas below refer to these cells)."""

ESTIMATOR_RESULT_CELLS = {f.key: f"B{9 + i}" for i, f in enumerate(ROW_FIELDS)}
"""Where 测算器 shows each result, by :data:`ROW_FIELDS` key; the warnings follow two rows below."""

ESTIMATOR_WARNING_CELLS = (f"B{9 + len(ROW_FIELDS) + 1}", f"B{9 + len(ROW_FIELDS) + 2}")


def _format_field(f: RowField, value: Any) -> str:
    if value is None:
        return "无法测算"
    if f.kind == "money":
        return f"{value:,.2f} {f.unit}"
    if f.kind == "years":
        return f"{value:.1f} {f.unit}"
    if f.kind == "int":
        return f"{value} {f.unit}"
    return str(value)


def estimate_table_rows(e: Estimate) -> list[tuple[str, str]]:
    """The estimate as (Chinese label, formatted value) rows, in the order every face prints them."""
    head = [
        ("出生年月", f"{e.birth.year}-{e.birth.month:02d}"),
        ("缴费档次", f"{e.tier} 元/年"),
        ("开始缴费年份", f"{e.start_year} 年"),
        ("政府缴费补贴", f"{e.subsidy_per_year:,.2f} 元/年"),
    ]
    if e.support:
        head.append(("集体补助或代缴", f"{e.support:,.2f} 元/年"))
    return head + [(f.label, _format_field(f, getattr(e, f.key))) for f in ROW_FIELDS]


def estimate_to_dict(e: Estimate) -> dict[str, Any]:
    """JSON-ready figures (money rounded to the fen), for ``--format json`` and other programs."""
    out = {f.name: getattr(e, f.name) for f in fields(e)}  # the fields are flat: asdict's deep copy was most of a letter's cost
    out["birth"] = f"{e.birth.year}-{e.birth.month:02d}"
    for key, value in out.items():
        if isinstance(value, float):
            out[key] = round(value, 2)
        elif isinstance(value, tuple):
            out[key] = list(value)
    return out


def estimate_context(e: Estimate) -> dict[str, Any]:
    """Jinja context for a per-person estimate letter (keys documented in docs/estimate.md).

    Every figure is a ready-to-print Chinese string; ``rows`` is the whole table, ``figures`` the raw
    numbers. The notices layer adds the person's name, masked ID number and unit.
    """
    ctx: dict[str, Any] = {f.key: _format_field(f, getattr(e, f.key)) for f in ROW_FIELDS}
    ctx.update(
        birth=f"{e.birth.year}年{e.birth.month}月",
        tier=f"{e.tier}",
        start_year=f"{e.start_year}",
        subsidy_per_year=f"{e.subsidy_per_year:,.2f} 元/年",
        branch=e.branch,
        rows=[{"label": label, "value": value} for label, value in estimate_table_rows(e)],
        notes=list(e.notes),
        warnings=list(e.warnings),
        params_name=e.params_name,
        params_sources=list(e.params_sources),
        figures=estimate_to_dict(e),
    )
    return ctx


def pension_udf(birth: Any, tier: Any, start_year: Any = None, params: Params | str | Path | None = None) -> float | str:
    """Monthly pension for an Excel worksheet function (``=CXL_PENSION(birth, tier, start_year)``).

    Excel hands over dates, serial numbers, floats for integers and blanks; this accepts all of them
    and returns a number rounded to the fen, or a Chinese message starting with "错误：" — a worksheet
    function must never raise.
    """
    try:
        if not isinstance(params, Params):
            params = cached_params(None if params is None else str(params))
        if isinstance(tier, str) and tier.strip().isdigit():
            tier = int(tier.strip())
        if isinstance(start_year, float) and start_year == int(start_year):
            start_year = int(start_year)
        if start_year in ("", None):
            start_year = None
        e = estimate(birth, tier, start_year, params)
    except (InputError, ParameterError) as exc:
        return f"错误：{exc}"
    if e.monthly_pension is None:
        return "错误：" + "".join(e.notes)
    return round(e.monthly_pension, 2)


def _params_from_workbook(path: Path) -> Params:
    """Read the 测算参数 sheet back (as the bureau edited it) into the TOML layout and validate it.
    Read with the one workbook reader (calamine), like every other input."""
    from coverage_xl.read import UnreadableError, open_workbook

    try:
        wb = open_workbook(path)
        if PARAMS_SHEET not in wb.sheet_names:
            raise ParameterError(f"工作簿“{path.name}”中没有“{PARAMS_SHEET}”工作表。")
        rows = wb.get_sheet_by_name(PARAMS_SHEET).to_python()
    except UnreadableError as exc:
        raise InputError(f"无法打开工作簿“{path.name}”：{exc}") from exc
    data: dict[str, Any] = {"meta": {}}
    tiers: list[Any] = []
    schedule: list[list[Any]] = []
    for row in rows[3:]:
        cells = [None if v == "" else v for v in (list(row) + [None] * 8)[:8]]
        _label, key, value, unit, source, year, note, floor = cells
        if not isinstance(key, str):
            continue
        if isinstance(value, float) and value.is_integer() and key != "interest_rate":
            value = int(value)
        if key.startswith("meta."):
            data["meta"][key[5:]] = "" if value is None else value
        elif key == "tier":
            support = cells[3]
            if isinstance(support, float) and support.is_integer():
                support = int(support)
            tiers.append(value)
            schedule.append([value, support])
        elif key in SPECS_BY_KEY:
            if isinstance(year, float) and year == int(year):
                year = int(year)
            data[key] = {
                "value": "" if value is None else value,
                "unit": unit or "",
                "source": source or "",
                "year": year,
                "note": note or "",
                "floor": floor == "是",
            }
    for key in ("tiers", "subsidy"):
        if key in data:
            data[key]["value"] = tiers if key == "tiers" else schedule
    return parse_params(data, origin=f"{path}#{PARAMS_SHEET}")
