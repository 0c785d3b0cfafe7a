"""A clerk's notice templates (``--templates DIR``) cannot hang, exhaust or crash the run (issue 12 §5).

Each runaway template — a macro calling itself, ``"x" * 10**9``, a loop of 10¹⁰ steps, an output of
millions of characters — stops the run with exit 2 and a Chinese message naming the template, and
leaves no file for it.
"""

from __future__ import annotations

import docx
import pytest
from cliutil import cli
from notices_world import World, notices_args, world_for

from coverage_xl.notices import sandbox
from coverage_xl.notices.render import BULLETIN, SMS_PAYMENT


@pytest.fixture(scope="module")
def world(unit_folder, tmp_path_factory) -> World:
    return world_for(unit_folder.path, tmp_path_factory.mktemp("notices"))


def _sms_template(tmp_path, text: str):
    mine = tmp_path / "模板"
    mine.mkdir()
    (mine / SMS_PAYMENT).write_text(text, encoding="utf-8")
    return mine


def _docx_template(tmp_path, text: str, paragraphs: int = 1):
    mine = tmp_path / "模板"
    mine.mkdir()
    d = docx.Document()
    for _ in range(paragraphs):
        d.add_paragraph(text)
    d.save(mine / BULLETIN)
    return mine


def test_a_macro_calling_itself_is_stopped_with_a_message(world, tmp_path):
    mine = _sms_template(tmp_path, "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}")
    run = cli(*notices_args(world, "sms", out=tmp_path / "out"), "--templates", mine)
    assert run.code == 2, run.output
    assert "缴费提醒.txt" in run.output and "递归太深" in run.output
    assert not (tmp_path / "out" / "短信" / "缴费提醒.csv").exists()


def test_a_huge_repetition_is_refused_by_the_operation_limits(world, tmp_path):
    mine = _docx_template(tmp_path, '{{ "x" * 10**9 }}')
    run = cli(*notices_args(world, "bulletin", out=tmp_path / "out"), "--templates", mine)
    assert run.code == 2, run.output
    assert "月度通报.docx" in run.output and "运算结果过大" in run.output
    assert not list((tmp_path / "out").rglob("*.docx")) if (tmp_path / "out").exists() else True


def test_a_huge_power_is_refused(world, tmp_path):
    mine = _sms_template(tmp_path, "{{ 7 ** 99999999 }}")
    run = cli(*notices_args(world, "sms", out=tmp_path / "out"), "--templates", mine)
    assert run.code == 2 and "缴费提醒.txt" in run.output and "运算结果过大" in run.output, run.output


def test_a_text_over_the_size_cap_is_refused(world, tmp_path):
    mine = _sms_template(tmp_path, '{% for i in range(20000) %}{{ name }}xxxxxxxx{% endfor %}')
    run = cli(*notices_args(world, "sms", out=tmp_path / "out"), "--templates", mine)
    assert run.code == 2, run.output
    assert "缴费提醒.txt" in run.output and "内容过大" in run.output
    assert not (tmp_path / "out" / "短信" / "缴费提醒.csv").exists()


def test_a_document_over_the_size_cap_is_refused(world, tmp_path):
    # six paragraphs of 10 MB each (libxml2 caps one text node near 10 MB)
    mine = _docx_template(tmp_path, '{% for i in range(10000) %}{{ "x" * 999 }}{% endfor %}', paragraphs=6)
    run = cli(*notices_args(world, "bulletin", out=tmp_path / "out"), "--templates", mine)
    assert run.code == 2, run.output
    assert "月度通报.docx" in run.output and "内容过大" in run.output
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").rglob("*.docx"))


def test_a_template_that_runs_too_long_is_stopped(world, tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "TIME_LIMIT", 3.0)
    mine = _docx_template(tmp_path, "{% for a in range(100000) %}{% for b in range(100000) %}{% if a < 0 %}x{% endif %}"
                                    "{% endfor %}{% endfor %}")
    run = cli(*notices_args(world, "bulletin", out=tmp_path / "out"), "--templates", mine)
    assert run.code == 2, run.output
    assert "月度通报.docx" in run.output and "超过 3 秒" in run.output
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").rglob("*.docx"))


def test_after_a_stopped_template_a_good_one_renders_again(world, tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "TIME_LIMIT", 3.0)
    slow = _sms_template(tmp_path, "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}")
    assert cli(*notices_args(world, "sms", out=tmp_path / "o1"), "--templates", slow).code == 2
    (slow / SMS_PAYMENT).write_text("{{ name }}您好，请缴费。", encoding="utf-8")
    run = cli(*notices_args(world, "sms", out=tmp_path / "o2"), "--templates", slow)
    assert run.code == 0, run.output
    assert "您好，请缴费。" in (tmp_path / "o2" / "短信" / "缴费提醒.csv").read_text(encoding="utf-8-sig")


def _docx_of(unzipped_bytes: int) -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"x" * unzipped_bytes)
    return buf.getvalue()


def test_the_size_cap_grows_with_the_people_a_document_is_for():
    from coverage_xl.errors import TemplateError
    from coverage_xl.notices.render import check_size

    letters_of_the_largest_unit = _docx_of(71 * 1024**2)  # 琼湖街道's 5,139 estimate letters at city scale
    assert check_size("测算告知书.docx", letters_of_the_largest_unit, {"letters": [{}] * 5139})
    with pytest.raises(TemplateError, match="内容过大"):
        check_size("测算告知书.docx", letters_of_the_largest_unit, {"letters": [{}] * 10})
