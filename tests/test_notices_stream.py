"""A multi-person notice rendered by the streaming renderer (coverage_xl.notices.docx_stream) is the
document docxtpl renders, plus the table-row flags: same text, one letter per page, input text shown
literally, every table row kept whole and the header row repeated."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docxtpl import DocxTemplate

from coverage_xl.errors import TemplateError
from coverage_xl.notices.render import BUILTIN_DIR, ESTIMATE_LETTER, STATEMENT, make_env, render_docx

PAYLOADS = ("{{ 7 * 7 }}", "</w:t></w:r><w:r><w:t>注入", 'A&B<C>"\'', "=HYPERLINK(\"http://x\")")


def _letter(n: int, name: str) -> dict:
    rows = [{"label": "缴费档次", "value": "100 元/年"}, {"label": "月养老金合计", "value": f"{100 + n}.00 元/月"}]
    return {"name": name, "id_masked": f"430981********{1000 + n}", "tier": "100", "start_year": "2020",
            "unit": "琼湖街道", "rows": rows, "notes": [f"说明{n}"], "warnings": ["参数待市局填写"] if n == 2 else []}


def _context() -> dict:
    names = ["张三", *PAYLOADS]
    return {"city": "沅江市", "issuer": "沅江市人力资源和社会保障局", "date": "2020年8月31日", "unit": "琼湖街道",
            "letters": [_letter(n, name) for n, name in enumerate(names)]}


def _docxtpl_reference(template: Path, context: dict, out: Path) -> Path:
    """docxtpl's own rendering, in the same sandbox, without our post-processing."""
    doc = DocxTemplate(str(template))
    doc.render(context, jinja_env=make_env(autoescape=True), autoescape=True)
    doc.save(out)
    return out


def _blocks(path: Path) -> list[tuple[str, object]]:
    """The body in order, as a reader sees it: paragraph texts and table cell texts."""
    d = docx.Document(path)
    out: list[tuple[str, object]] = []
    for el in d.element.body.iterchildren():
        if el.tag == qn("w:p"):
            out.append(("p", "".join(t.text or "" for t in el.iter(qn("w:t")))))
        elif el.tag == qn("w:tbl"):
            out.append(("tbl", [["".join(t.text or "" for t in tc.iter(qn("w:t"))) for tc in tr.iter(qn("w:tc"))]
                                for tr in el.iter(qn("w:tr"))]))
    return out


def test_letters_render_as_docxtpl_does_with_rows_kept_whole(tmp_path):
    ctx = _context()
    ours = render_docx(BUILTIN_DIR / ESTIMATE_LETTER, ctx, tmp_path / "ours.docx")
    ref = _docxtpl_reference(BUILTIN_DIR / ESTIMATE_LETTER, ctx, tmp_path / "ref.docx")
    assert _blocks(ours) == _blocks(ref)

    # the only difference from docxtpl: every row has cantSplit, the first row of each table tblHeader
    # (the built-in templates carry them already; a bureau's template gets them when rendered)
    def unflagged(path: Path) -> str:
        xml = zipfile.ZipFile(path).read("word/document.xml").decode()
        return re.sub(r"<w:trPr><w:cantSplit/>(<w:tblHeader/>)?</w:trPr>", "", xml)

    assert unflagged(ours) == unflagged(ref)

    d = docx.Document(ours)
    assert len(d.tables) == len(ctx["letters"])
    for table, letter in zip(d.tables, ctx["letters"], strict=True):
        rows = table._tbl.tr_lst
        assert len(rows) == 1 + len(letter["rows"])
        flags = [[child.tag for child in tr.trPr] for tr in rows]
        assert flags == [[qn("w:cantSplit"), qn("w:tblHeader")]] + [[qn("w:cantSplit")]] * len(letter["rows"])


def test_one_letter_per_page_with_the_people_in_order_and_payloads_literal(tmp_path):
    ctx = _context()
    out = render_docx(BUILTIN_DIR / ESTIMATE_LETTER, ctx, tmp_path / "o.docx")
    paragraphs = [text for kind, text in _blocks(out) if kind == "p"]
    greetings = [p for p in paragraphs if "（身份证号码" in p]
    assert greetings == [f"{p['name']}（身份证号码 {p['id_masked']}）：" for p in ctx["letters"]]
    assert "49" not in "".join(greetings)  # {{ 7 * 7 }} in a name is text, not a template

    body = docx.Document(out).element.body
    breaks = []  # after how many greetings each page break comes
    seen = 0
    for el in body.iterchildren():
        text = "".join(t.text or "" for t in el.iter(qn("w:t")))
        if "（身份证号码" in text:
            seen += 1
        breaks += [seen for br in el.iter(qn("w:br")) if br.get(qn("w:type")) == "page"]
    assert breaks == list(range(1, len(ctx["letters"])))


def test_statements_render_as_docxtpl_does(tmp_path):
    people = [{"name": name, "id": f"43098119600101{n:04d}", "birth": "1960年1月", "address": f"地址{n}", "phone": ""}
              for n, name in enumerate(["李四", *PAYLOADS])]
    ctx = {"city": "沅江市", "issuer": "沅江市人力资源和社会保障局", "date": "2020年8月31日", "unit": "草尾镇",
           "people": people, "blank_date": "　　年　　月　　日"}
    ours = render_docx(BUILTIN_DIR / STATEMENT, ctx, tmp_path / "ours.docx")
    ref = _docxtpl_reference(BUILTIN_DIR / STATEMENT, ctx, tmp_path / "ref.docx")
    assert zipfile.ZipFile(ours).read("word/document.xml") == zipfile.ZipFile(ref).read("word/document.xml")
    texts = [t for kind, t in _blocks(ours) if kind == "p" and t.startswith("本人") and "身份证号码" in t]
    assert [t[2:2 + len(p["name"])] for t, p in zip(texts, people, strict=True)] == [p["name"] for p in people]


def test_a_runaway_loop_stops_at_the_cap_while_streaming(tmp_path, monkeypatch):
    from coverage_xl.notices import render

    monkeypatch.setattr(render, "MAX_DOCX_BYTES", 2 * 1024**2)
    d = docx.Document()
    d.add_paragraph("{%p for i in range(100000) %}")
    d.add_paragraph("第{{ i }}页")
    d.add_paragraph("{%p endfor %}")
    tpl = tmp_path / "t.docx"
    d.save(tpl)
    # rendered in this process (the limited worker is for a clerk's folder; this checks the renderer itself)
    with pytest.raises(TemplateError, match="内容过大"):
        render.docx_bytes(tpl, {})


def test_a_bureau_table_without_row_flags_gets_them_in_schema_order(tmp_path):
    """A bureau's own template (no flags, a row height set) still prints its header on every page and
    never splits a row: cantSplit before trHeight, tblHeader after it (ECMA-376 CT_TrPrBase order)."""
    import io

    from docx.shared import Pt

    from coverage_xl.notices.render import docx_bytes

    d = docx.Document()
    t = d.add_table(rows=4, cols=2)
    for r, (a, b) in enumerate([("姓名", "金额"), ("{%tr for p in people %}", ""), ("{{ p.name }}", "{{ p.n }}"),
                                ("{%tr endfor %}", "")]):
        t.cell(r, 0).text, t.cell(r, 1).text = a, b
    t.rows[0].height = Pt(20)
    tpl = tmp_path / "自定义.docx"
    d.save(tpl)
    out = docx.Document(io.BytesIO(docx_bytes(tpl, {"people": [{"name": "甲", "n": "1"}, {"name": "乙", "n": "2"}]})))
    rows = out.tables[0]._tbl.tr_lst
    assert [["".join(x.text or "" for x in c.iter(qn("w:t"))) for c in r.tc_lst] for r in rows] == [["姓名", "金额"], ["甲", "1"], ["乙", "2"]]
    assert [child.tag for child in rows[0].trPr] == [qn("w:cantSplit"), qn("w:trHeight"), qn("w:tblHeader")]
    assert [[child.tag for child in r.trPr] for r in rows[1:]] == [[qn("w:cantSplit")]] * 2
