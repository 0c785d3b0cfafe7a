"""``coverage-xl templates``: write one self-checking Annex 3 workbook per unit."""

from __future__ import annotations

from pathlib import Path

import click

from coverage_xl.cli.common import as_of_option, console, handle_errors
from coverage_xl.templates import build_templates


@click.command("templates")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--units", "units", multiple=True, metavar="单位",
              help="只生成这些单位（名称、简称或9位代码；可重复，也可用逗号分隔）。默认14个单位全部生成。")
@click.option("--rows", type=click.IntRange(1, 100000), default=None,
              help="预留的空白填写行数。默认按附件1任务数×1.1、向上取整到100（如琼湖街道37200行）；"
                   "不够时在“合计”行上方插入行即可。")
@as_of_option
@handle_errors
def command(out_dir: Path, units: tuple[str, ...], rows: int, as_of) -> None:
    """生成各单位的附件3摸底明细表模板（.xlsx，不含宏，自带数据校验）。

    身份证号码列为文本格式并校验位数和校验码；勾选列只能选“√”；是否愿意参保只能选“是/否”；
    联系电话检查位数；备注后的“自动检查”列逐行写出第一个问题（不打印）；只保护标题和表头，
    可插入、删除行和排序；另附“填表说明”工作表。
    """
    chosen = [part.strip() for u in units for part in u.replace("，", ",").split(",") if part.strip()] or None
    with console.status("正在生成模板……") as status:
        paths = build_templates(out_dir, chosen, as_of, rows=rows,
                                progress=lambda u, n, total: status.update(f"正在生成模板（{n}/{total}）：{u.name}"))
    for p in paths:
        console.print(f"  {p}", soft_wrap=True)
    console.print(f"已生成 {len(paths)} 个单位模板，保存在：{out_dir}", soft_wrap=True)
