"""The command line never falls over on what a user types or hands it (issue 12 §5).

* text from a workbook or a file name is printed literally: ``[/]``, ``[bold]`` are not rich markup;
* ``--as-of`` only takes 2000-01-01 … 2099-12-31, anything else is a Chinese usage error;
* click's own errors (unknown option, missing argument or path, wrong type, unknown command) are in
  Chinese with click's exit code 2;
* a pipe or a device given as input is refused; an empty folder is exit 2 with a message.
"""

from __future__ import annotations

import ast
import os
import re
import threading
from pathlib import Path

import openpyxl
import pytest

from coverage_xl import synth
from coverage_xl.layout import ANNEX3, ANNEX_LABEL, TOTAL_LABEL, leaf_headers
from coverage_xl.units import default_units

try:
    from cliutil import cli
except ImportError:  # the suite run as a package
    from tests.cliutil import cli

UNIT = next(u for u in default_units() if u.name == "南嘴镇")
MARKUP_FILE = "[bold]南嘴镇[red]摸底表[x].xlsx"  # "/" cannot be in a file name; the tags would vanish as markup


def _workbook(path: Path, people: list[synth.Person]) -> Path:
    """An Annex 3 sheet written with plain openpyxl, text stored as text."""
    leaves = leaf_headers(ANNEX3)
    grid = [[ANNEX_LABEL.format(annex=3), ANNEX3.title], [f"填报单位：{UNIT.name}"],
            [leaves[n] if not 8 <= n <= 17 else ("不属于城乡居保覆盖范围（√）" if n == 8 else None) for n in range(1, 21)],
            [None if not 8 <= n <= 17 else leaves[n] for n in range(1, 21)], list(range(1, 21))]
    grid += [[p.values.get(k) for k in ANNEX3.keys] for p in people] + [[TOTAL_LABEL]]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = ANNEX3.sheet_name
    for r, row in enumerate(grid, start=1):
        for c, v in enumerate(row, start=1):
            if v is not None:
                ws.cell(r, c).value = v
                if isinstance(v, str):
                    ws.cell(r, c).data_type = "s"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _markup_people() -> list[synth.Person]:
    people = synth.make_people(UNIT, 6, seed=3)
    people[0].values["phone"] = "[/]"
    people[1].values["phone"] = "[bold]"
    people[2].values["name"] = ":smile:[/bold]"
    for p in people[1:3]:
        p.values.update({k: None for k in ("student", "military", "deceased", "prov_enterprise", "prov_institution",
                                           "other_province", "prison", "emigrated", "other")})
        p.values["in_scope"] = "√"
        p.values["willing"] = "[link=http://x]是[/link]"
    return people


def test_rich_markup_in_cell_values_and_file_names_is_printed_literally(tmp_path):
    book = _workbook(tmp_path / "in" / MARKUP_FILE, _markup_people())
    run = cli("validate", book, "--as-of", "2020-09-30", "--unmasked")
    assert run.code == 1, run.output
    for text in ("[/]", "[bold]", "[link=http://x]是[/link]", MARKUP_FILE):
        assert text in run.output, text
    assert "😄" not in run.output


MARKUP_TAG = re.compile(r"\[/?(?:bold|red|yellow|green|blue|cyan|magenta|dim|italic|underline|link)\b[^\]]*\]|\[/\]")


def test_cli_code_asks_for_colour_with_styled_not_markup_tags():
    """The consoles read no markup; a tag written into a string would be printed as text."""
    cli_dir = Path(__file__).resolve().parent.parent / "coverage_xl" / "cli"
    found = {}
    for path in sorted(cli_dir.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        hits = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
                and MARKUP_TAG.search(n.value) and not isinstance(getattr(n, "parent", None), ast.Expr)]
        docs = {n.body[0].value.lineno for n in ast.walk(tree)
                if isinstance(n, ast.Module | ast.FunctionDef | ast.ClassDef) and n.body
                and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        hits = [h for h in hits if h not in docs]
        if hits:
            found[path.name] = hits
    assert found == {}


@pytest.mark.parametrize("day", ["1999-12-31", "2100-01-01", "0001-01-01", "9999-12-31", "1900-02-28"])
@pytest.mark.parametrize("command", ["validate", "consolidate", "templates"])
def test_as_of_outside_2000_to_2099_is_a_chinese_usage_error(tmp_path, command, day):
    target = tmp_path / "out" if command == "templates" else _workbook(tmp_path / "a.xlsx", _markup_people()[3:])
    run = cli(command, target, "--as-of", day)
    assert run.code == 2, run.output
    assert f"日期“{day}”超出范围" in run.output and "2000-01-01 至 2099-12-31" in run.output
    assert not (tmp_path / "out").exists()


def test_deadline_uses_the_same_date_rule(tmp_path):
    survey = _workbook(tmp_path / "a.xlsx", _markup_people()[3:])
    run = cli("notices", "unit", "--survey", survey, "-o", tmp_path / "o", "--deadline", "9999-12-31")
    assert run.code == 2 and "超出范围" in run.output, run.output


@pytest.mark.parametrize("args, chinese", [
    (["validate", "--foo", "x"], "没有选项“--foo”"),
    (["validate"], "缺少参数“PATHS...”"),
    (["validate", "/nonexistent/附件3.xlsx"], "路径“/nonexistent/附件3.xlsx”不存在"),
    (["notices", "all", "--months", "abc"], "“abc”不是有效的整数"),
    (["notices", "all", "--months", "99"], "“99”超出允许范围"),
    (["validate", "--format", "xml", "x"], "“xml”不是可选的值，只能是：text、json"),
    (["dispatch", "--survey"], "选项“--survey”后面需要填写一个值"),
    (["dispatch", "-o", "x.xlsx"], "缺少必填选项“--survey”"),
    (["nosuch"], "没有命令“nosuch”"),
    (["validat"], "您是否想用：validate"),
    (["validate", "--as-of", "2020-02-30", "x"], "日期“2020-02-30”无法识别"),
])
def test_click_errors_are_shown_in_chinese_with_exit_code_2(args, chinese):
    run = cli(*args)
    assert run.code == 2, run.output
    assert chinese in run.output
    assert "错误：" in run.output
    for english in ("Error:", "Usage:", "Invalid value", "No such", "Missing", "does not exist", "Try '"):
        assert english not in run.output, english


def test_help_and_version_still_exit_0():
    assert cli("--version").code == 0
    run = cli("validate", "--help")
    assert run.code == 0 and "校验" in run.output


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX feature")
def test_a_named_pipe_given_as_input_is_refused(tmp_path):
    fifo = tmp_path / "附件3.xlsx"
    os.mkfifo(fifo)
    # Should the command open the pipe, this writer lets it reach end-of-file instead of hanging.
    writer = threading.Thread(target=lambda: open(fifo, "wb").close(), daemon=True)  # noqa: SIM115
    writer.start()
    try:
        run = cli("validate", fifo)
    finally:
        fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # release the writer if nobody read
        os.close(fd)
        writer.join(5)
    assert run.code == 2, run.output
    assert "不是普通文件" in run.output and "附件3.xlsx" in run.output


def test_a_device_given_as_an_export_is_refused(tmp_path):
    survey = _workbook(tmp_path / "a.xlsx", _markup_people()[3:])
    run = cli("dispatch", "--survey", survey, "-r", os.devnull, "-p", os.devnull, "-o", tmp_path / "o.xlsx",
              "--as-of", "2020-09-30")
    assert run.code == 2, run.output
    assert "不是普通文件" in run.output
    assert not (tmp_path / "o.xlsx").exists()


@pytest.mark.parametrize("command", ["validate", "consolidate"])
def test_an_empty_folder_is_exit_2_with_a_message(tmp_path, command):
    empty = tmp_path / "空文件夹"
    empty.mkdir()
    run = cli(command, empty, "--as-of", "2020-09-30")
    assert run.code == 2, run.output
    assert "空文件夹" in run.output and "是空的" in run.output


def test_an_empty_survey_folder_for_dispatch_is_exit_2(tmp_path):
    empty = tmp_path / "空"
    empty.mkdir()
    export = tmp_path / "登记.csv"
    export.write_text("公民身份号码\n", encoding="utf-8")
    run = cli("dispatch", "--survey", empty, "-r", export, "-p", export, "-o", tmp_path / "o.xlsx")
    assert run.code == 2, run.output
    assert "是空的" in run.output
