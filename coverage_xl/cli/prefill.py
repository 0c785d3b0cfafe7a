"""``coverage-xl prefill``: the province's list + comparison data -> pre-filled unit workbooks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from rich.table import Table
from rich.text import Text

from coverage_xl import guard
from coverage_xl.cli.common import InputPath, as_of_option, console, handle_errors, styled, unmasked_option
from coverage_xl.errors import InputError
from coverage_xl.mask import mask_id
from coverage_xl.prefill import PrefillResult, load_config, parse_compare_spec, prefill

MAX_BAD_ID_LINES = 30


@click.command("prefill")
@click.option("--list", "list_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="省里下发的需核实人员名单（xlsx/xls/ods/CSV），含身份证号码、姓名、户籍地址、户籍状态、乡镇。")
@click.option("--compare", "compare", multiple=True, metavar="FILE[=类别]",
              help="比对数据文件，可多次使用。类别如 省内企业职保、机关事保、省外职保、教育、火化、服刑、公安迁出、"
                   "城乡居保已参保，或 prov_enterprise 等；可写成 FILE=类别:备注标签。省略类别时按文件名判断。")
@click.option("--config", "config_path", type=InputPath(dir_okay=False), default=None,
              help="TOML 配置文件（list、out_dir、units、city_code 和 [[compare]] 表）；命令行参数优先。")
@click.option("--units", "units", multiple=True, metavar="单位",
              help="只生成这些单位的预填表（可多次使用，或用逗号分隔）；无法识别单位的人员始终单独列出。")
@click.option("-o", "--out-dir", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="输出文件夹：各单位预填表、未识别单位人员.xlsx、预填汇总.xlsx/.csv（须为空，或只有以前 prefill 生成且未被修改的文件；旧版本存入 coverage-xl备份 文件夹）。")
@click.option("--priority", "priority", type=InputPath(dir_okay=False), default=None,
              help="比对证据优先规则（CSV：higher,lower,note，如“火化,省内企业职保,死亡优先于职保”）；"
                   "规则覆盖的冲突按优先者预勾选。默认不设规则，冲突一律留待入户核实。")
@click.option("--city-code", is_flag=True, default=None,
              help="行政代码一律填市代码 430981（默认填各单位自己的9位代码，与单位模板一致）。")
@as_of_option
@unmasked_option
@handle_errors
def command(list_path: Path | None, compare: tuple[str, ...], config_path: Path | None, units: tuple[str, ...],
            out_dir: Path | None, priority: Path | None, city_code: bool | None, as_of: dt.date | None,
            unmasked: bool) -> None:
    """按省里下发的名单和各部门比对数据，生成各单位预填好的附件3摸底明细表。

    有唯一比对依据的人员预先勾选，依据写在备注（如“比对：省内企业职保”）；两类依据冲突的不勾选、
    备注列出两者；是否愿意参保留空，由入户核实后填写。

    退出码：0 完成；2 参数错误或文件无法读取/写入。
    """
    config = load_config(config_path) if config_path else {}
    list_path = list_path or config.get("list")
    out_dir = out_dir or config.get("out_dir")
    if list_path is None:
        raise click.UsageError("请用 --list 指定省里下发的名单文件（或在 --config 中写 list）。")
    if out_dir is None:
        raise click.UsageError("请用 -o 指定输出文件夹（或在 --config 中写 out_dir）。")
    sources = [parse_compare_spec(s) for s in compare] if compare else list(config.get("compare", []))
    for s in sources:
        if not s.path.is_file():
            raise InputError(f"找不到比对数据文件“{s.path}”。")
    wanted = [u.strip() for arg in units for u in arg.replace("，", ",").split(",") if u.strip()] or config.get("units")
    use_city = city_code if city_code is not None else bool(config.get("city_code", False))
    as_of = as_of or dt.date.today()
    guard.declare_inputs(list_path, [s.path for s in sources], config_path)
    with console.status("正在生成预填表…") as status:
        result = prefill(list_path, sources, units=wanted, out_dir=out_dir, as_of=as_of, city_code=use_city,
                         progress=lambda m: status.update(Text(m)),  # a Status reads markup in str
                         priority=priority or config.get("priority"))
    print_result(result, masked=not unmasked)


def summary_console_table(result: PrefillResult) -> Table:
    """The per-unit summary, narrow enough for an 80-column console: the breakdown by source is one
    wrapped column (the full table with one column per source is in 预填汇总.xlsx/.csv)."""
    t = Table(title=f"预填汇总（名单 {result.list_rows} 行）")
    t.add_column("单位", no_wrap=True)
    for head in ("人数", "预分类", "冲突", "待入户", "号码需核实"):
        t.add_column(head, justify="right", no_wrap=True)
    t.add_column("比对命中", overflow="fold")
    totals = [0] * 5
    for u in result.all_lines:
        nums = [u.rows, u.suggested, u.conflicts, u.to_visit, u.bad_ids]
        totals = [a + b for a, b in zip(totals, nums, strict=True)]
        basis = "、".join(f"{k}{v}" for k, v in u.by_source.items() if v)
        t.add_row(u.name, *map(str, nums), basis)
    t.add_row(styled(("合计", "bold")), *map(str, totals), "")
    return t


def print_result(result: PrefillResult, *, masked: bool = True) -> None:
    console.print(summary_console_table(result))
    for s in result.sources:
        console.print(f"比对：{s.source.label}（{s.source.path.name}）有效号码 {s.ids} 人，"
                      f"在名单中 {s.matched} 人，不在名单中 {s.not_in_list} 人"
                      + (f"，号码无法使用 {s.bad_ids} 行" if s.bad_ids else ""), soft_wrap=True)
    if result.excluded:
        console.print(f"未生成（不在 --units 范围内）的单位共 {result.excluded} 人。")
    if result.unrecognised.rows:
        console.print(styled((f"{result.unrecognised.rows} 人无法识别所属单位", "yellow"),
                             f"，已单独列入“{result.unrecognised.file.name}”，请人工分派。"), soft_wrap=True)
    if result.bad_ids:
        console.print(styled((f"{len(result.bad_ids)} 个身份证号码需核实", "yellow"), "（已在备注中标出，明细见预填汇总.xlsx）："))
        for b in result.bad_ids[:MAX_BAD_ID_LINES]:
            shown = mask_id(b.id) if masked else b.id
            console.print(f"  {b.unit} 名单第{b.source_row}行 {b.name} {shown}：{b.reason}")
        if len(result.bad_ids) > MAX_BAD_ID_LINES:
            console.print(f"  …… 另有 {len(result.bad_ids) - MAX_BAD_ID_LINES} 个")
    if result.cross_units:
        console.print(styled((f"{len(result.cross_units)} 人在名单中列在两个及以上单位", "yellow"),
                             "，已按户籍所在地只写入一个单位，另一单位记入备注，明细见预填汇总.xlsx“跨单位重复”表。"),
                      soft_wrap=True)
    if result.double_insured:
        console.print(styled((f"{len(result.double_insured)} 人重复参保", "yellow"),
                             "（职保与城乡居保均有记录），明细见预填汇总.xlsx“重复参保”表。"), soft_wrap=True)
    if result.students_over_age:
        console.print(styled((f"{len(result.students_over_age)} 名比对为在校学生的人员已满25周岁", "yellow"),
                             "，请核实是否仍在校，明细见预填汇总.xlsx“在校学生年龄需核实”表。"), soft_wrap=True)
    for f in [*result.files, *result.summary_files]:
        console.print(f"已写入：{f}")
