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
@click.option("--force", is_flag=True, default=False,
              help="总表已存在时按新版本重建：保留调度历史、单位设置和您自己添加的工作表，旧文件存入 coverage-xl备份 文件夹。")
@handle_errors
def command(out_path: Path, survey_dir: str, interpreter_win: str, interpreter_mac: str, pythonpath: str,
            force: bool) -> None:
    """生成市人社局的汇总总表（.xlsm）：带“城乡居保”选项卡和六个按钮。

    工作表：使用说明、单位设置、附件1、附件4、附件5、进度、调度历史、校验结果、测算器、测算参数、xlwings.conf。
    总表已存在时不予覆盖，除非加 --force（保留调度历史、单位设置和您自己的工作表）。
    """
    path = build_master(out_path, survey_dir=survey_dir, interpreter_win=interpreter_win,
                        interpreter_mac=interpreter_mac, pythonpath=pythonpath, force=force)
    console.print(f"已生成总表：{path}", soft_wrap=True)
    console.print("工作表：" + "、".join(SHEET_ORDER), soft_wrap=True)
    console.print("打开后请先在“单位设置”填写文件位置；按钮需要安装 xlwings（见 docs/excel.md）。", soft_wrap=True)
