"""``coverage-xl addin``: build the Excel add-in (.xlam) with the 城乡居保校验 tab."""

from __future__ import annotations

from pathlib import Path

import click

from coverage_xl.addin import build_addin
from coverage_xl.cli.common import console, handle_errors
from coverage_xl.xlsm.ribbon import ADDIN_RIBBON


@click.command("addin")
@click.argument("out_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--interpreter-win", default="", help="写入加载项 xlwings.conf 表的 Windows Python 路径（如 …\\pythonw.exe）。")
@click.option("--interpreter-mac", default="", help="写入加载项 xlwings.conf 表的 macOS Python 路径。")
@click.option("--pythonpath", default="", help="写入加载项 xlwings.conf 表的 PYTHONPATH。")
@handle_errors
def command(out_path: Path, interpreter_win: str, interpreter_mac: str, pythonpath: str) -> None:
    """生成 Excel 加载项（.xlam）：在每个打开的工作簿中显示“城乡居保校验”选项卡。

    按钮：校验当前工作簿（标注当前工作簿，不自动保存）、校验文件…（在原文件旁另存标注副本）、检查环境。
    安装：Excel“文件 → 选项 → 加载项 → 转到 → 浏览”选中该文件。已存在的同名加载项（须是本工具生成且未被修改的）被替换，旧版本存入旁边的 coverage-xl备份 文件夹。
    """
    path = build_addin(out_path, interpreter_win=interpreter_win, interpreter_mac=interpreter_mac, pythonpath=pythonpath)
    console.print(f"已生成加载项：{path}", soft_wrap=True)
    console.print("按钮：" + "、".join(b.label for b in ADDIN_RIBBON.buttons), soft_wrap=True)
    console.print("安装：Excel“文件 → 选项 → 加载项 → 转到 → 浏览”，选中该文件并勾选（见 docs/excel.md）。", soft_wrap=True)
