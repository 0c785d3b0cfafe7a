"""``coverage-xl notices``: one command for every kind, clear Chinese errors for broken templates."""

from __future__ import annotations

import re
import sys

import docx
import pytest
from cliutil import cli
from notices_world import World, notices_args, world_for

from coverage_xl.notices.render import ALL_TEMPLATES, BUILTIN_DIR, BULLETIN, SMS_PAYMENT


@pytest.fixture(scope="module")
def world(unit_folder, tmp_path_factory) -> World:
    return world_for(unit_folder.path, tmp_path_factory.mktemp("notices"))


def test_bulletin_and_sms_from_the_command_line(world, tmp_path):
    run = cli(*notices_args(world, "bulletin", "sms", out=tmp_path / "out"))
    assert run.code == 0, run.output
    assert (tmp_path / "out" / "月度通报_2020年9月.docx").is_file()
    assert (tmp_path / "out" / "短信" / "缴费提醒.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert "月度通报" in run.output and "缴费提醒短信" in run.output
    assert not re.search(r"\d{17}[\dX]|1[3-9]\d{9}", run.output), "no ID number or phone on the terminal"


def test_unknown_variable_in_a_clerks_template_is_a_chinese_error(world, tmp_path):
    mine = tmp_path / "模板"
    mine.mkdir()
    d = docx.Document()
    d.add_paragraph("截至{{ date }}，全市覆盖率{{ total.coverge_rate }}")
    d.save(mine / BULLETIN)
    run = cli(*notices_args(world, "bulletin", out=tmp_path / "out"), "--templates", mine)
    assert run.code == 2
    assert "月度通报.docx" in run.output and "coverge_rate" in run.output and "未定义" in run.output


def test_template_reaching_for_python_internals_is_refused(world, tmp_path):
    mine = tmp_path / "模板"
    mine.mkdir()
    (mine / SMS_PAYMENT).write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}", encoding="utf-8")
    run = cli(*notices_args(world, "sms", out=tmp_path / "out"), "--templates", mine)
    assert run.code == 2 and "安全沙箱" in run.output and "缴费提醒.txt" in run.output


def test_syntax_error_in_a_template_fails_before_any_document_is_written(world, tmp_path):
    mine = tmp_path / "模板"
    mine.mkdir()
    (mine / SMS_PAYMENT).write_text("{{ name }您好", encoding="utf-8")
    run = cli(*notices_args(world, "bulletin", "sms", out=tmp_path / "out"), "--templates", mine)
    assert run.code == 2 and "语法错误" in run.output and "缴费提醒.txt" in run.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.docx"))


def test_syntax_error_in_a_docx_template_is_found_before_rendering(world, tmp_path):
    mine = tmp_path / "模板"
    mine.mkdir()
    d = docx.Document()
    d.add_paragraph("{% for u in units %}{{ u.name }}")  # no endfor
    d.save(mine / BULLETIN)
    run = cli(*notices_args(world, "sms", "bulletin", out=tmp_path / "out"), "--templates", mine)
    assert run.code == 2 and "月度通报.docx" in run.output and "语法错误" in run.output
    assert not (tmp_path / "out" / "短信").exists(), "the SMS list must not be written either"


def test_missing_survey_or_output_is_a_usage_error(tmp_path):
    assert cli("notices", "bulletin", "-o", tmp_path).code == 2
    (tmp_path / "附件3.xlsx").write_bytes(b"")  # a survey folder that is not empty: the missing KIND is the error
    run = cli("notices", "--survey", tmp_path, "-o", tmp_path)
    assert run.code == 2 and "bulletin" in run.output


def test_copy_templates_gives_the_clerk_an_editable_set(tmp_path):
    run = cli("notices", "--copy-templates", tmp_path / "模板")
    assert run.code == 0
    assert sorted(p.name for p in (tmp_path / "模板").iterdir()) == sorted(ALL_TEMPLATES)
    assert (tmp_path / "模板" / BULLETIN).read_bytes() == (BUILTIN_DIR / BULLETIN).read_bytes()


# --------------------------------------------------------------------------- estimate letters and blank parameters

PENDING = ("湖南省基础养老金提高部分", "市县基础养老金提高部分", "长缴加发基础养老金（每多缴1年）", "个人账户记账利率")


def _letters_text(path) -> str:
    return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)


def _filled_params(tmp_path):
    from coverage_xl.estimate import DEFAULT_PARAMS_PATH

    text = DEFAULT_PARAMS_PATH.read_text(encoding="utf-8")
    for key, value in (("provincial_basic_addition", "10"), ("local_basic_addition", "5"),
                       ("long_contribution_extra", "1"), ("interest_rate", "0.0175")):
        head = f"[{key}]"
        at = text.index(head)
        text = text[:at] + text[at:].replace('value = ""', f"value = {value}", 1)
    path = tmp_path / "参数.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_estimate_letters_are_withheld_while_local_parameters_are_blank(world, tmp_path):
    out = tmp_path / "out"
    run = cli(*notices_args(world, "estimate", out=out))
    assert run.code == 1, run.output
    flat = run.output.replace("\n", "")
    assert "待遇测算告知书未生成" in flat and all(name in flat for name in PENDING)
    assert not list(out.rglob("测算告知书_*.docx"))


def test_all_writes_the_other_notices_but_no_letters_and_exits_1(world, tmp_path):
    out = tmp_path / "out"
    run = cli(*notices_args(world, "all", out=out))
    assert run.code == 1, run.output
    assert (out / "月度通报_2020年9月.docx").is_file() and list(out.rglob("不参保意愿书_*.docx"))
    assert not list(out.rglob("测算告知书_*.docx"))


def test_allow_incomplete_writes_the_letters_with_the_warning_on_each_page(world, tmp_path):
    out = tmp_path / "out"
    run = cli(*notices_args(world, "estimate", out=out), "--allow-incomplete")
    assert run.code == 0, run.output
    files = list(out.rglob("测算告知书_*.docx"))
    assert files
    for f in files:
        text = _letters_text(f)
        letters = text.count("城乡居民基本养老保险待遇测算告知书")
        assert letters >= 1 and text.count("参数待市局填写：") == letters, f.name


def test_filled_parameters_write_the_letters_without_the_warning(world, tmp_path):
    out = tmp_path / "out"
    run = cli(*notices_args(world, "estimate", out=out), "--params", _filled_params(tmp_path))
    assert run.code == 0, run.output
    files = list(out.rglob("测算告知书_*.docx"))
    assert files and not any("参数待市局填写" in _letters_text(f) for f in files)


@pytest.mark.skipif(sys.platform == "win32", reason="a pseudo-terminal is POSIX")
def test_the_progress_bars_go_to_stderr_and_stdout_keeps_only_the_result(world, tmp_path):
    """With stderr a terminal and stdout redirected (``coverage-xl notices … > 结果.txt``), the bar of
    each document kind is drawn on stderr and the result table alone goes to stdout."""
    import os
    import pty
    import subprocess

    main, term = pty.openpty()
    argv = [sys.executable, "-c", "from coverage_xl.cli import main; main()",
            *map(str, notices_args(world, "bulletin", "statement", "estimate", out=tmp_path / "out")), "--allow-incomplete"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=term, stdin=subprocess.DEVNULL,
                            env={**os.environ, "COLUMNS": "160", "TERM": "xterm"})
    os.close(term)
    shown = b""
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        shown += data
    out = proc.stdout.read().decode() if proc.stdout else ""
    assert proc.wait(timeout=300) == 0, (out, shown.decode(errors="replace"))
    os.close(main)
    bars = shown.decode(errors="replace")
    assert "生成通报" in bars and "不参保意愿书：" in bars and "待遇测算告知书：" in bars
    assert "已生成" in out and "生成通报" not in out and "不参保意愿书：" not in out


def test_a_failing_unit_document_stops_the_run_and_leaves_nothing_behind(world, tmp_path):
    """The unit documents are shared with helper processes: an error in any of them (here every unit's
    意愿书) still stops the run with the Chinese message, and no staging folder or file is left."""
    from coverage_xl.notices.render import STATEMENT

    mine = tmp_path / "模板"
    mine.mkdir()
    d = docx.Document()
    d.add_paragraph("{%p for p in people %}")
    d.add_paragraph("本人{{ p.nmae }}")
    d.add_paragraph("{%p endfor %}")
    d.save(mine / STATEMENT)
    out = tmp_path / "out"
    run = cli(*notices_args(world, "statement", "reasons", "estimate", out=out), "--templates", mine, "--allow-incomplete")
    assert run.code == 2, run.output
    assert "不参保意愿书.docx" in run.output and "“nmae”" in run.output
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".~")] == []
