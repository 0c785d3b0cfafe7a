"""``coverage-xl doctor``: is the installed xlwings the one the master and the add-in need?"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from coverage_xl.cli.common import console, handle_errors, styled
from coverage_xl.doctor import diagnose


@click.command("doctor")
@click.argument("workbooks", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@handle_errors
def command(workbooks: tuple[Path, ...]) -> None:
    """检查运行环境：Python、xlwings 版本，以及总表（.xlsm）/加载项（.xlam）内嵌的 xlwings 版本是否与本机一致。

    例：coverage-xl doctor 城乡居保全覆盖.xlsm 城乡居保校验.xlam
    退出码：0 一切正常；1 有需要处理的问题（按提示操作）。
    """
    checks = diagnose(workbooks)
    for c in checks:
        mark = ("✓", "green") if c.ok else ("✗", "red")
        console.print(styled(mark, f" {c.subject}：{c.message}"), soft_wrap=True)
    bad = sum(not c.ok for c in checks)
    console.print("检查通过。" if not bad else f"有 {bad} 项需要处理，请按上面的提示操作。", soft_wrap=True)
    sys.exit(1 if bad else 0)
