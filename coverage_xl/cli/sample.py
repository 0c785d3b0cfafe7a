"""``coverage-xl sample``: write a synthetic folder of 14 unit submissions (obviously fictitious).

The folder looks like what the bureau receives: one workbook per unit in proportion to the Annex 1
tasks, valid ID numbers with old address codes, a few planted mistakes of every kind, the same
person reported by two units, a file whose name does not say its unit, two with an instructions
sheet first, and — when LibreOffice is installed — one old .xls and one .ods member. The shipped
``workbooks/units`` sample and the test fixtures are made by :func:`build_sample_folder`.
"""

from __future__ import annotations

from pathlib import Path

import click

from coverage_xl.cli.common import console, handle_errors, styled
from coverage_xl.libreoffice import soffice_binary
from coverage_xl.synth import build_sample_folder, write_sample_exports

# Shares of the sample exports: registered among in-scope people, paid among the registered.
SAMPLE_REGISTERED_SHARE = 0.8
SAMPLE_PAID_SHARE = 0.75


@click.command("sample")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--rows", default=600, show_default=True, type=click.IntRange(14, 5_000_000),
              help="14个单位合计的数据行数（按附件1任务数分配）。")
@click.option("--seed", default=2020, show_default=True, type=int, help="随机种子：同一种子生成同样的数据。")
@click.option("--errors", "errors_per_unit", default=2, show_default=True, type=click.IntRange(0, 50),
              help="每个单位故意埋入的错误条数（用于演示校验）。")
@click.option("--no-legacy", is_flag=True, help="不用 LibreOffice 转换 .xls/.ods 成员，全部为 .xlsx。")
@click.option("--exports", "exports_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="同时生成虚构的参保登记导出（.xlsx）和缴费明细导出（GBK 编码 .csv），供 dispatch 演示。")
@handle_errors
def command(out_dir: Path, rows: int, seed: int, errors_per_unit: int, no_legacy: bool, exports_dir: Path | None) -> None:
    """生成14个单位的虚构摸底明细表（示例数据，人员均为虚构），用于演示和测试。"""
    if out_dir.exists() and any(out_dir.iterdir()):
        existing = [p.name for p in out_dir.iterdir() if p.suffix.lower() in (".xlsx", ".xls", ".ods", ".xlsm")]
        if existing:
            raise click.UsageError(f"文件夹“{out_dir}”中已有表格文件，请换一个空文件夹，以免混入旧文件。")
    if not no_legacy and soffice_binary() is None:
        console.print(styled(("未找到 LibreOffice（soffice），全部生成 .xlsx。", "yellow")))
    made = build_sample_folder(out_dir, rows, seed=seed, errors_per_unit=errors_per_unit, legacy_formats=not no_legacy)
    for su in made.values():
        console.print(f"{su.unit.name}：{su.path.name}（{len(su.people)}行）")
    console.print(f"已生成 {len(made)} 个单位、共 {sum(len(s.people) for s in made.values())} 行虚构数据：{out_dir}")
    if exports_dir is not None:
        in_scope = [p.values["id"] for su in made.values() for p in su.people
                    if p.category == "in_scope" and isinstance(p.values.get("id"), str)]
        n_reg = round(len(in_scope) * SAMPLE_REGISTERED_SHARE)
        paths = write_sample_exports(exports_dir, in_scope, n_reg, round(n_reg * SAMPLE_PAID_SHARE), seed=seed)
        console.print(f"已生成虚构导出：{paths['registrations']}、{paths['payments']}")
