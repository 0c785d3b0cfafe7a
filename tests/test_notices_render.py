"""Sandboxed, strict rendering of notice templates: clear Chinese errors, no Python internals."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import docx
import pytest

from coverage_xl.errors import InputError, TemplateError
from coverage_xl.notices import make_templates as mt
from coverage_xl.notices.render import (
    BUILTIN_DIR,
    find_template,
    fmt_int,
    fmt_pct,
    render_docx,
    render_string,
    render_text,
    template_dirs,
)


def _docx_template(path: Path, *paragraphs: str) -> Path:
    d = docx.Document()
    for text in paragraphs:
        d.add_paragraph(text)
    d.save(path)
    return path


def _docx_text(path: Path) -> str:
    return "\n".join(p.text for p in docx.Document(path).paragraphs)


def test_text_template_renders_with_context():
    assert render_string("{{ name }}您好，{{ rate | pct }}，{{ n | int }}人", {"name": "张三", "rate": 0.8523, "n": 13915.0}) \
        == "张三您好，85.23%，13915人"


def test_unknown_variable_in_text_template_names_variable_and_template(tmp_path):
    tpl = tmp_path / "缴费提醒.txt"
    tpl.write_text("{{ nmae }}您好", encoding="utf-8")
    with pytest.raises(TemplateError) as exc:
        render_text(tpl, {"name": "张三"})
    msg = str(exc.value)
    assert "缴费提醒.txt" in msg and "“nmae”" in msg and "未定义" in msg


def test_unknown_attribute_names_the_attribute(tmp_path):
    with pytest.raises(TemplateError, match="“coverage”"):
        render_string("{{ unit.coverage }}", {"unit": {"coverage_rate": "1%"}}, name="督办通知.docx")


def test_syntax_error_in_text_template_names_template_and_line(tmp_path):
    tpl = tmp_path / "到龄提醒.txt"
    tpl.write_text("第一行\n{% if registered %}没有结束", encoding="utf-8")
    with pytest.raises(TemplateError) as exc:
        render_text(tpl, {"registered": True})
    msg = str(exc.value)
    assert "到龄提醒.txt" in msg and "语法错误" in msg and "第2行" in msg


@pytest.mark.parametrize("source", [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ name.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os }}",
])
def test_sandbox_refuses_python_internals(source):
    with pytest.raises(TemplateError) as exc:
        render_string(source, {"name": "张三", "cycler": object()}, name="恶意.txt")
    assert "恶意.txt" in str(exc.value)
    assert "沙箱" in str(exc.value) or "未定义" in str(exc.value)


def test_sandbox_refuses_mro_specifically_with_security_message():
    with pytest.raises(TemplateError, match="安全沙箱拒绝"):
        render_string("{{ ''.__class__.__mro__ }}", {})


def test_docx_unknown_variable_names_variable_and_template(tmp_path):
    tpl = _docx_template(tmp_path / "月度通报.docx", "截至{{ date }}", "全市覆盖率{{ total.coverag_rate }}")
    out = tmp_path / "out.docx"
    with pytest.raises(TemplateError) as exc:
        render_docx(tpl, {"date": "2020年9月30日", "total": {"coverage_rate": "50.00%"}}, out)
    assert "月度通报.docx" in str(exc.value) and "“coverag_rate”" in str(exc.value)
    assert not out.exists(), "a failed render must not leave a half-written document"


def test_docx_syntax_error_quotes_nearby_text(tmp_path):
    tpl = _docx_template(tmp_path / "督办通知.docx", "{{ unit.name }：请整改")
    with pytest.raises(TemplateError) as exc:
        render_docx(tpl, {"unit": {"name": "草尾镇"}}, tmp_path / "o.docx")
    msg = str(exc.value)
    assert "督办通知.docx" in msg and "语法错误" in msg and "请整改" in msg


def test_docx_sandbox_refuses_internals(tmp_path):
    tpl = _docx_template(tmp_path / "坏模板.docx", "{{ ''.__class__.__mro__ }}")
    with pytest.raises(TemplateError, match="安全沙箱拒绝"):
        render_docx(tpl, {}, tmp_path / "o.docx")


def test_docx_escapes_xml_special_characters(tmp_path):
    tpl = _docx_template(tmp_path / "t.docx", "{{ name }}")
    out = render_docx(tpl, {"name": "李<&>四"}, tmp_path / "o.docx")
    assert _docx_text(out) == "李<&>四"


def test_not_a_docx_template_gives_clear_error(tmp_path):
    bad = tmp_path / "月度通报.docx"
    bad.write_text("这不是 Word 文件", encoding="utf-8")
    with pytest.raises(TemplateError, match="不是有效的 Word"):
        render_docx(bad, {}, tmp_path / "o.docx")


def test_rates_and_counts_print_like_the_annex_sheets():
    assert fmt_pct(0.5) == "50.00%" and fmt_pct(1) == "100.00%" and fmt_pct(None) == ""
    assert fmt_pct(float("nan")) == "—"
    assert fmt_int(13915) == "13915" and fmt_int(13915.0) == "13915" and fmt_int(None) == ""


def test_templates_folder_overrides_builtin_one_file_at_a_time(tmp_path):
    (tmp_path / mt.SMS_PAYMENT).write_text("自定义{{ name }}", encoding="utf-8")
    assert find_template(mt.SMS_PAYMENT, tmp_path) == tmp_path / mt.SMS_PAYMENT
    assert find_template(mt.BULLETIN, tmp_path) == BUILTIN_DIR / mt.BULLETIN
    assert template_dirs(tmp_path)[0] == tmp_path and template_dirs(tmp_path)[-1] == BUILTIN_DIR


def test_missing_templates_folder_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="模板文件夹"):
        find_template(mt.BULLETIN, tmp_path / "没有")


def test_unknown_template_name_lists_where_it_looked(tmp_path):
    with pytest.raises(TemplateError, match="找不到模板“无此模板.docx”"):
        find_template("无此模板.docx", tmp_path)


def test_builtin_templates_are_reproducible_from_the_script(tmp_path):
    built = mt.build_all(tmp_path)
    assert sorted(p.name for p in built) == sorted(mt.ALL_TEMPLATES)
    for p in built:
        assert p.read_bytes() == (BUILTIN_DIR / p.name).read_bytes(), f"{p.name}: run make_templates and commit"


def test_builtin_docx_templates_keep_every_jinja_tag_in_one_run():
    """docxtpl only sees a tag that is inside one run; a split tag would print literally."""
    import re

    for name in mt.DOCX_TEMPLATES:
        xml = zipfile.ZipFile(BUILTIN_DIR / name).read("word/document.xml").decode()
        for run_text in re.findall(r"<w:t[^>]*>([^<]*)</w:t>", xml):
            assert run_text.count("{{") == run_text.count("}}"), (name, run_text)
            assert run_text.count("{%") == run_text.count("%}"), (name, run_text)


def test_copy_builtin_keeps_files_already_edited(tmp_path):
    mine = tmp_path / mt.SMS_PAYMENT
    mine.write_text("我改过的{{ name }}", encoding="utf-8")
    copied = mt.copy_builtin(tmp_path)
    assert {p.name for p in copied} == set(mt.ALL_TEMPLATES)
    assert mine.read_text(encoding="utf-8") == "我改过的{{ name }}"
    assert (tmp_path / mt.BULLETIN).read_bytes() == (BUILTIN_DIR / mt.BULLETIN).read_bytes()


def test_listing_resolution_of_the_fast_template_equals_docxtpls_own():
    """Only paragraphs holding a tab/newline/\\a/\\f go through docxtpl's resolve_listing; the result
    must be the same text as docxtpl running it over the whole body."""
    from docxtpl import DocxTemplate

    from coverage_xl.notices.render import _docx_template_class

    body = ('<w:body><w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:rPr><w:b/></w:rPr>'
            '<w:t xml:space="preserve">第一行\n第二行\t制表\f分页\a段落</w:t></w:r></w:p>\n'
            '<w:p w:rsidR="1"><w:r><w:t>A&amp;B &lt;x&gt; 无换行</w:t></w:r><w:r><w:tab/></w:r></w:p>'
            '<w:tbl><w:tr><w:tc><w:p><w:r><w:t>格\n内</w:t></w:r></w:p></w:tc></w:tr></w:tbl></w:body>')
    fast = _docx_template_class().resolve_listing(None, body)
    assert fast == DocxTemplate.resolve_listing(None, body)
    assert "<w:br/>" in fast and '<w:br w:type="page"/>' in fast and "<w:tab/></w:r>" in fast
    plain = body.replace("\n", "").replace("\t", "").replace("\f", "").replace("\a", "")
    assert _docx_template_class().resolve_listing(None, plain) == plain


def _render_in_forked_helper() -> tuple[str, int]:
    from coverage_xl.notices.sandbox import run_limited

    return run_limited("意愿书", tuple, ("ok", 7)), os.getpid()


def test_a_helper_forked_after_the_template_worker_started_gets_a_worker_of_its_own():
    """The notices helpers are forked from a process whose template worker may already run; the
    helper must start its own instead of asking after its parent's ('can only test a child process')."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    from coverage_xl.notices.sandbox import run_limited

    if "fork" not in mp.get_all_start_methods():
        pytest.skip("no fork on this OS: helpers start fresh and inherit no worker")
    assert run_limited("意愿书", tuple, ("ok", 1)) == 1  # the worker now runs, started here
    with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("fork")) as pool:
        value, helper = pool.submit(_render_in_forked_helper).result()
    assert value == 7 and helper != os.getpid()
    assert run_limited("意愿书", tuple, ("ok", 2)) == 2  # this process's worker is untouched
