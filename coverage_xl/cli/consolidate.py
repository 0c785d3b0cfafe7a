"""``coverage-xl consolidate``: a folder of unit workbooks -> the Annex 4 statistics table."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click
from rich.table import Table

from coverage_xl import guard
from coverage_xl.cli.common import (
    InputPath,
    as_of_option,
    console,
    handle_errors,
    progress_bar,
    styled,
    unmasked_option,
)
from coverage_xl.consolidate import Annex4Result, consolidate
from coverage_xl.jobs.consolidate import write_workbook
from coverage_xl.layout import TOTAL_LABEL
from coverage_xl.ownership import read_owner_choices
from coverage_xl.survey import load_batch
from coverage_xl.validate import input_files


def default_output(as_of: dt.date) -> Path:
    return Path(f"附件4_摸底统计表_{as_of:%Y%m%d}.xlsx")


@click.command("consolidate")
@click.argument("paths", nargs=-1, required=True, type=InputPath())
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="输出工作簿（.xlsx 或 .xlsm）。已存在时（须是本工具生成的总表或汇总表）只替换“附件4”“重复人员”"
                   "“汇总记录”三张表，其余工作表、名称、宏和功能区保留；旧版本存入旁边的 coverage-xl备份 文件夹。"
                   "其“重复人员”表“归属单位”列已填的，此人只计入该单位。默认 附件4_摸底统计表_日期.xlsx。")
@as_of_option
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="另存机器可读的汇总结果（各单位计数、问题数、重复人员、未计入原因）。")
@click.option("--reporter", default="", help="附件4 表头“填报人”一栏的内容。")
@click.option("--owners", "owners_path", type=InputPath(dir_okay=False), default=None,
              help="从此工作簿（通常是总表）的“重复人员”表读取“归属单位”；默认读输出工作簿本身。")
@unmasked_option
@handle_errors
def command(paths: tuple[Path, ...], out: Path | None, as_of: dt.date | None, json_path: Path | None,
            reporter: str, owners_path: Path | None, unmasked: bool) -> None:
    """汇总各单位的附件3摸底明细表（文件夹或文件），生成附件4摸底统计表。

    退出码：0 全部14个单位均已计入；1 有单位未计入（未报送、重复报送、文件无法读取等）；
    2 参数错误或输出文件无法写入。
    """
    as_of = as_of or dt.date.today()
    out = out or default_output(as_of)
    if out.suffix.lower() not in (".xlsx", ".xlsm"):
        raise click.UsageError(f"输出文件“{out}”的扩展名必须是 .xlsx 或 .xlsm。")
    guard.declare_inputs(paths)
    guard.claim(out, kind="consolidate", update=True)
    if json_path is not None:
        guard.claim(json_path, kind="consolidate")
    files = input_files(paths)
    with progress_bar("读取并校验") as progress:
        task = progress.add_task("", total=max(len(files), 1))

        def step(path: Path, n: int, total: int) -> None:
            progress.update(task, completed=n - 1, total=total, description=path.name)

        owners = read_owner_choices(owners_path or out)
        batch = load_batch(files, as_of, progress=step, owners=owners)
        progress.update(task, completed=len(files) or 1, description="完成")
    result = consolidate(batch)
    label = ", ".join(str(p) for p in paths)
    write_workbook(result, out, inputs_label=label, reporter=reporter)
    console.print(summary_table(result))
    d = result.dedup
    console.print(f"全市去重合计：范围内 {d['in_scope']}，范围外 {d['out_total']}（{result.dedup_remark}）",
                  soft_wrap=True)
    for line in result.balance_lines():
        console.print(line, soft_wrap=True)
    lines = remark_lines(result)
    if lines:
        console.print("备注：")
        for line in lines:
            console.print(line, soft_wrap=True)
    noted = "".join(st.problem for st in result.status.values())
    for f in batch.files:
        if f.problem and f.unit is None and f.path.name not in noted:
            console.print(styled(("未计入的文件", "yellow"), f" {f.path.name}：{f.problem}"))
    if batch.duplicates:
        decided = sum(1 for d in batch.duplicates if d.owner)
        console.print(styled((f"发现 {len(batch.duplicates)} 个身份证号码在两个及以上单位重复", "yellow"),
                             f"，其中 {decided} 个已按“重复人员”表的归属单位只计入该单位，其余按各单位上报计入；"
                             "可在“重复人员”表“归属单位”列填写归属后重新汇总。"), soft_wrap=True)
    if owners_path is not None and not owners.source:
        console.print(styled((f"“{owners_path.name}”中没有带“归属单位”列的“重复人员”表，本次未使用归属单位。", "yellow")),
                      soft_wrap=True)
    for f in batch.owner_findings:
        console.print(styled(("归属单位", "yellow"), f" 重复人员表第{f.row}行：{f.message(masked=not unmasked)}"),
                      soft_wrap=True)
    console.print(f"已写入：{out}（工作表：附件4、重复人员、汇总记录）")
    if json_path is not None:
        data = result.as_dict(masked=not unmasked)
        data["output"] = str(out)
        guard.write_text(json_path, json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n",
                         kind="consolidate")
        console.print(f"已写入：{json_path}")
    if result.complete:
        console.print(styled(("全部单位均已计入。", "green")))
    else:
        console.print(styled((f"{len(result.missing)} 个单位未计入：{'、'.join(result.missing)}", "red")), soft_wrap=True)
    sys.exit(0 if result.complete else 1)


def summary_table(result: Annex4Result) -> Table:
    """The closing table: per unit rows read, findings, the main counts and whether it was counted.
    Narrow enough for an 80-column console; the 备注 follow the table as lines (:func:`remark_lines`)."""
    t = Table(title=f"附件4 汇总结果（统计日期 {result.as_of:%Y-%m-%d}）")
    t.add_column("单位", no_wrap=True)
    for head in ("数据行", "错误", "警告", "范围内", "范围外", "分类有误"):
        t.add_column(head, justify="right", no_wrap=True)
    t.add_column("状态", no_wrap=True, min_width=6)

    def num(v: int | None) -> str:
        return "" if v is None else str(v)

    for name, st in result.status.items():
        rep = st.file.checked.report if st.file else None
        c = result.counts(name)
        t.add_row(name, num(st.rows if rep else None), num(rep.errors if rep else None),
                  num(rep.warnings if rep else None), num(c["in_scope"]), num(c["out_total"]),
                  num(st.uncounted if rep else None), "已计入" if st.counted else styled(("未计入", "red")))
    c = result.counts(TOTAL_LABEL)
    t.add_row(styled((TOTAL_LABEL, "bold")), str(sum(s.rows for s in result.status.values())),
              str(sum(s.file.checked.report.errors for s in result.status.values() if s.file)),
              str(sum(s.file.checked.report.warnings for s in result.status.values() if s.file)),
              str(c["in_scope"]), str(c["out_total"]), str(sum(s.uncounted for s in result.status.values())),
              f"{len(result.status) - len(result.missing)}/{len(result.status)}")
    return t


def remark_lines(result: Annex4Result) -> list[str]:
    """备注 of each unit that has one, as console lines."""
    return [f"  {name}：{result.table.loc[name, 'remark']}"
            for name in result.status if result.table.loc[name, "remark"]]
