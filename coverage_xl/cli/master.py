"""``coverage-xl master``: build the bureau's macro-enabled master workbook with the ribbon tab."""

from __future__ import annotations

from pathlib import Path

import click

from coverage_xl.cli.common import console, handle_errors
from coverage_xl.master import SHEET_ORDER, build_master


@click.command("master")
@click.argument("out_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--survey-dir", default="", help="预先填入“单位设置”的摸底表文件夹路径。")
@click.option("--interpreter-win", default="", help="写入 xlwings.conf 表的 Windows Python 路径（如 …\\pythonw.exe）。")
@click.option("--interpreter-mac", default="", help="写入 xlwings.conf 表的 macOS Python 路径。")
@click.option("--pythonpath", default="", help="写入 xlwings.conf 表的 PYTHONPATH。")
@handle_errors
def command(out_path: Path, survey_dir: str, interpreter_win: str, interpreter_mac: str, pythonpath: str) -> None:
    """生成市人社局的汇总总表（.xlsm）：带“城乡居保”选项卡和六个按钮。

    工作表：使用说明、单位设置、附件1、附件4、附件5、进度、调度历史、校验结果、测算器、测算参数、xlwings.conf。
    已存在的同名文件另存为 .bak。
    """
    path = build_master(out_path, survey_dir=survey_dir, interpreter_win=interpreter_win,
                        interpreter_mac=interpreter_mac, pythonpath=pythonpath)
    console.print(f"已生成总表：{path}", soft_wrap=True)
    console.print("工作表：" + "、".join(SHEET_ORDER), soft_wrap=True)
    console.print("打开后请先在“单位设置”填写文件位置；按钮需要安装 xlwings（见 docs/excel.md）。", soft_wrap=True)
