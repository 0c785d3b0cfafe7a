"""``coverage-xl validate``: check unit workbooks before they are submitted."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from coverage_xl import guard
from coverage_xl.cli.common import InputPath, as_of_option, console, handle_errors, unmasked_option
from coverage_xl.findings import Report
from coverage_xl.report import annotate, annotated_name, text_summary
from coverage_xl.validate import input_files, validate_file


def annotation_target(source: Path, annotate_to: Path, *, several: bool) -> Path:
    """Where the annotated copy of ``source`` goes: ``annotate_to`` itself for one file, else
    ``annotate_to/<name>_校验标注.xlsx``."""
    if several or annotate_to.is_dir():
        return annotate_to / annotated_name(source)
    if annotate_to.suffix.lower() not in (".xlsx", ".xlsm"):
        return annotate_to.with_suffix(".xlsx")
    return annotate_to


@click.command("validate")
@click.argument("paths", nargs=-1, required=True, type=InputPath())
@as_of_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="输出格式：text 中文摘要，json 机器可读。")
@click.option("--annotate", "annotate_to", type=click.Path(path_type=Path), default=None,
              help="另存一份标注了问题单元格（填色+批注）并附“校验结果”表的副本；原文件不改动。"
                   "多个文件时为文件夹。")
@click.option("--show-info", is_flag=True, help="文字摘要中也列出“提示”级别的条目。")
@unmasked_option
@handle_errors
def command(paths: tuple[Path, ...], as_of, fmt: str, annotate_to: Path | None, show_info: bool, unmasked: bool) -> None:
    """校验一个或多个单位的附件3摸底明细表（文件或文件夹）。

    退出码：0 无错误；1 有错误；2 有文件无法读取。
    """
    files = input_files(paths)
    guard.declare_inputs(paths, files)
    targets = {f: annotation_target(f, annotate_to, several=len(files) > 1) for f in files} if annotate_to else {}
    for target in targets.values():  # refuse before any work: never an input, never another's file
        guard.claim(target, kind="annotate")
    checked = [validate_file(p, as_of) for p in files]
    report = Report([c.report for c in checked])
    for f, c in zip(files, checked, strict=True):
        if f not in targets or not c.report.readable or c.survey is None:
            continue
        annotate(c.report.path, c.report, targets[f])
        if fmt == "text":
            console.print(f"已生成标注副本：{targets[f]}")
    if fmt == "json":
        click.echo(report.to_json(masked=not unmasked))
    else:
        console.print(text_summary(report, masked=not unmasked, show_info=show_info), soft_wrap=True)
    sys.exit(report.exit_code)
