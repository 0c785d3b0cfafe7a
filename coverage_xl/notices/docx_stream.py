"""Render a Word template without ever holding the whole document: the body streams from Jinja into
the zip, one top-level paragraph or table at a time.

Why: a letter per person of a 5,000-person unit is a 70 MB ``word/document.xml``. docxtpl renders it
as one string, parses that into one lxml tree, moves the tree into the python-docx document and
serialises it again; for 琼湖街道 that took 13 s and about 1 GB. The same steps run here on a stream,
in the same order, with docxtpl's own preparation of the template:

1. docxtpl prepares the body once per template (``patch_xml``: its ``{%p %}``/``{%tr %}`` tags become
   plain Jinja), and it is compiled once per process with the sandboxed environment of
   :func:`coverage_xl.notices.render.make_env` (autoescape on: input text can never become markup);
2. Jinja's ``generate`` yields the rendered body piece by piece; each piece, cut just after a
   ``</w:p>`` (never inside a paragraph), gets docxtpl's text fixes: the newline it put before each
   ``<w:p`` removed, its ``{_{`` escapes, tabs/newlines/page feeds in a value turned into Word breaks;
3. an incremental lxml parser (``recover=True``, as docxtpl parses) builds the body; each finished
   top-level element gets docxtpl's table-grid fix and ``docPr`` numbering and
   :func:`keep_rows_whole`, is serialised into ``word/document.xml`` and dropped;
4. everything outside the body (headers, footers, document properties, footnotes) is rendered by
   docxtpl itself on the template with an empty body, and copied into the zip as docxtpl saved it.

The size cap (:func:`coverage_xl.notices.render.docx_cap`) is counted while writing, so a runaway
template stops at the cap instead of first building gigabytes.
"""

from __future__ import annotations

import functools
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import jinja2
from lxml import etree

from coverage_xl.errors import TemplateError

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
WP_DOCPR = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr"
DOCUMENT_PART = "word/document.xml"
PIECE_CHARS = 1 << 18
"""Rendered characters gathered before a piece goes to the parser (a few letters' worth)."""
FIRST_DOCPR_ID = 1000
"""docxtpl numbers drawings from 1001 in the body (``docx_ids_index``)."""

# Children of <w:trPr> in the order the schema (ECMA-376 CT_TrPrBase) wants them; Word rejects others.
TRPR_ORDER = ("cnfStyle", "divId", "gridBefore", "gridAfter", "wBefore", "wAfter", "cantSplit", "trHeight",
              "tblHeader", "tblCellSpacing", "jc", "hidden", "ins", "del", "trPrChange")


class TooLarge(TemplateError):
    """The document grew past its cap (the caller words the full message: it knows the template's name)."""

    def __init__(self, cap: int) -> None:
        super().__init__(f"生成的文书超过 {cap // 1024**2} MB，已停止。")
        self.cap = cap


# ----------------------------------------------------------------------------------- table rows

def _set_row_flag(tr: Any, name: str) -> None:
    """``<w:name/>`` in the row's ``<w:trPr>`` (created after ``<w:tblPrEx>`` if missing), in schema order."""
    trpr = tr.find(W + "trPr")
    if trpr is None:
        trpr = tr.makeelement(W + "trPr", {})
        prex = tr.find(W + "tblPrEx")
        if prex is not None:
            prex.addnext(trpr)
        else:
            tr.insert(0, trpr)
    if trpr.find(W + name) is not None:
        return
    flag = trpr.makeelement(W + name, {})
    later = _LATER[name]
    for child in trpr:
        if child.tag in later:
            child.addprevious(flag)
            return
    trpr.append(flag)


_LATER = {name: frozenset(W + n for n in TRPR_ORDER[i + 1:]) for i, name in enumerate(TRPR_ORDER)}
"""For each row flag, the ones the schema puts after it."""


def keep_rows_whole(tbl: Any) -> None:
    """A table of a rendered notice prints well whatever template it came from: its first row is
    repeated at the top of each page (``tblHeader``) and no row is split across pages (``cantSplit``).

    Done on every top-level table of the rendered document, not in the built-in templates only, so a
    bureau's edited template gets the same."""
    rows = tbl.findall(W + "tr")
    for n, tr in enumerate(rows):
        trpr = tr.find(W + "trPr")
        if trpr is None or trpr.find(W + "cantSplit") is None:  # the built-in templates have it already
            _set_row_flag(tr, "cantSplit")
        if n == 0 and len(rows) > 1:
            _set_row_flag(tr, "tblHeader")


def fix_table_grid(t: Any) -> None:
    """docxtpl's ``fix_tables`` for one table (docxtpl 0.20, unchanged in effect): a ``{%tc for %}`` loop
    can leave a row with more or fewer cells than the grid has columns; the grid is widened or
    narrowed, keeping the table's width."""
    grid = t.find(W + "tblGrid")
    if grid is None:  # docxtpl would fail here too; a table without a grid is left as it is
        return
    columns = grid.findall(W + "gridCol")
    cells = [len(r.findall(W + "tc")) for r in t.iter(W + "tr")]
    to_add = max(max(cells, default=0) - len(columns), 0)
    if to_add > 0:
        width = sum(float(c.get(W + "w")) for c in columns if c.get(W + "w") is not None)
        if width > 0:
            old_average = width / len(columns)
            new_average = width / (len(columns) + to_add)
            for c in columns:
                c.set(W + "w", str(int(float(c.get(W + "w")) * new_average / old_average)))
            for _ in range(to_add):
                etree.SubElement(grid, W + "gridCol", {W + "w": str(int(new_average))})
    columns = grid.findall(W + "gridCol")

    def cell_len(cell: Any) -> int:
        tc_pr = cell.find(W + "tcPr")
        span = None if tc_pr is None else tc_pr.find(W + "gridSpan")
        return int(span.get(W + "val")) if span is not None else 1

    if t.find(".//" + W + "gridSpan") is None:  # no merged cells: a row is as wide as its cells
        widest = max(cells, default=0)
    else:
        widest = max((sum(cell_len(c) for c in r.findall(W + "tc")) for r in t.iter(W + "tr")), default=0)
    to_remove = len(columns) - widest
    if to_remove > 0:
        removed = 0.0
        for c in columns[-to_remove:]:
            removed += float(c.get(W + "w"))
            grid.remove(c)
        left = grid.findall(W + "gridCol")
        extra = int(removed / len(left)) if left else 0
        for c in left:
            c.set(W + "w", str(int(float(c.get(W + "w")) + extra)))


# ----------------------------------------------------------------------------------- the template

class Prepared:
    """A Word template ready to render many times: docxtpl's patched body, compiled once."""

    def __init__(self, path: Path, env: Any, template_class: type) -> None:
        self.path = path
        self.env = env
        self.template_class = template_class
        tpl = template_class(str(path))
        tpl.render_init()
        # docxtpl's own steps, as in DocxTemplate.build_xml / render_xml_part
        self.source = re.sub(r"<w:p([ >])", r"\n<w:p\1", tpl.patch_xml(tpl.get_xml()))
        try:
            self.template = env.from_string(self.source)
        except jinja2.TemplateSyntaxError as exc:
            exc.docx_context = self.snippet(exc.lineno)  # as docxtpl does: the message quotes the text near it
            raise
        body = tpl.docx._element.body
        empty = body.makeelement(body.tag, {}, nsmap=body.nsmap)
        self.empty_body = etree.tostring(empty, encoding="unicode")

    def snippet(self, lineno: int | None) -> list[str]:
        """The lines docxtpl quotes around an error (``docx_context``), tags removed."""
        if not lineno:
            return []
        first = max(lineno - 4, 0)
        return [re.sub(r"<[^>]+>", "", x) for x in self.source.splitlines()[first:first + 7]]

    def shell(self, context: Mapping[str, Any]) -> bytes:
        """The document with an empty body, everything else rendered by docxtpl (headers, footers,
        properties, footnotes)."""
        empty = self.empty_body

        class Shell(self.template_class):  # type: ignore[name-defined, misc]
            def build_xml(self, context: Any, jinja_env: Any = None) -> str:
                return empty

        doc = Shell(str(self.path))
        doc.render(dict(context), jinja_env=self.env, autoescape=True)
        buf = io.BytesIO()
        doc.save(buf)
        return buf.getvalue()


@functools.lru_cache(maxsize=8)
def _prepared(path: str, mtime_ns: int, size: int, make: Callable[[Path], Prepared]) -> Prepared:
    return make(Path(path))


def prepared(path: Path, make: Callable[[Path], Prepared]) -> Prepared:
    """The template prepared once per process (again if the file changed)."""
    st = path.stat()
    return _prepared(str(path), st.st_mtime_ns, st.st_size, make)


# ----------------------------------------------------------------------------------- the body stream

def _pieces(chunks: Iterable[str], cap: int) -> Iterator[str]:
    """The rendered text in pieces that each end just after a ``</w:p>`` (the last one: whatever is
    left). No paragraph is cut, so docxtpl's paragraph-wise text fixes see what they would see in the
    whole text. Stops with :class:`TooLarge` once the text is longer than ``cap``."""
    buf: list[str] = []
    held = total = 0
    want = PIECE_CHARS
    for chunk in chunks:
        buf.append(chunk)
        held += len(chunk)
        total += len(chunk)
        if total > cap:
            raise TooLarge(cap)
        if held >= want:
            text = "".join(buf)
            cut = text.rfind("</w:p>")
            if cut < 0:  # one long paragraph: look again once another piece's worth has come
                buf, want = [text], held + PIECE_CHARS
                continue
            cut += len("</w:p>")
            yield text[:cut]
            buf, held, want = [text[cut:]], len(text) - cut, PIECE_CHARS
    yield "".join(buf)


def _text_fixes(piece: str, resolve_listing: Callable[[str], str]) -> str:
    """docxtpl's fixes of the rendered text (render_xml_part), in its order."""
    piece = piece.replace("\n<w:p>", "<w:p>").replace("\n<w:p ", "<w:p ")  # re.sub(r"\n<w:p([ >])", r"<w:p\1")
    if "{_" in piece or "_}" in piece:
        piece = piece.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
    return resolve_listing(piece)


class _Body:
    """Top-level body elements from an incremental parse, finished ones serialised and dropped."""

    def __init__(self) -> None:
        self.parser = etree.XMLPullParser(events=("start",), tag=W + "body", recover=True)
        self.root: Any = None
        self.first = True
        self.docpr = FIRST_DOCPR_ID

    def feed(self, text: str) -> bytes:
        self.parser.feed(text)
        if self.root is None:
            for _, el in self.parser.read_events():
                self.root = el
        if self.root is None or len(self.root) < 2:
            return b""
        return self._flush(len(self.root) - 1)

    def close(self) -> bytes:
        self.parser.close()
        if self.root is None or len(self.root) == 0:
            return b""
        return self._flush(len(self.root))

    def _flush(self, n: int) -> bytes:
        root = self.root
        wrapper = root.makeelement(root.tag, {}, nsmap=root.nsmap)
        if self.first:
            wrapper.text, self.first = root.text, False
        for el in root[:n]:
            for x in el.iter(W + "tbl", WP_DOCPR):  # one walk of the element for both (document order)
                if x.tag == WP_DOCPR:
                    self.docpr += 1
                    x.set("id", str(self.docpr))
                else:
                    fix_table_grid(x)
            if el.tag == W + "tbl":
                keep_rows_whole(el)
            wrapper.append(el)  # moves it out of the parsed body: memory stays one piece deep
        xml = etree.tostring(wrapper, encoding="UTF-8")
        return xml[xml.index(b">") + 1: xml.rindex(b"</")]


_BODY_TAG = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?body)(\s[^>]*)?/>")


def write_docx(prep: Prepared, context: Mapping[str, Any], out: IO[bytes], *, cap: int,
               resolve_listing: Callable[[str], str]) -> None:
    """Render ``prep`` with ``context`` into the file object ``out`` (a .docx)."""
    shell = zipfile.ZipFile(io.BytesIO(prep.shell(context)))
    head, tail = _split_body(shell.read(DOCUMENT_PART))
    used = sum(i.file_size for i in shell.infolist() if i.filename != DOCUMENT_PART) + len(head) + len(tail)
    if used > cap:
        raise TooLarge(cap)
    chunks = prep.template.generate(dict(context))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in shell.infolist():
            if info.filename != DOCUMENT_PART:
                z.writestr(info, shell.read(info.filename))
                continue
            body = _Body()
            entry = zipfile.ZipInfo(DOCUMENT_PART, info.date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            with z.open(entry, "w", force_zip64=cap >= 2**31) as part:
                part.write(head)
                for piece in _pieces(chunks, cap - used):
                    data = body.feed(_text_fixes(piece, resolve_listing))
                    used += len(data)
                    if used > cap:
                        raise TooLarge(cap)
                    part.write(data)
                part.write(body.close())
                part.write(tail)


def _split_body(document: bytes) -> tuple[bytes, bytes]:
    """``word/document.xml`` of the shell cut around its empty ``<w:body/>``: what comes before the body's
    children (ending with ``<w:body>``) and after them (starting with ``</w:body>``)."""
    m = _BODY_TAG.search(document)
    if m is None:
        raise ValueError("word/document.xml has no empty body")
    name, attrs = m.group(1), m.group(2) or b""
    return document[:m.start()] + b"<" + name + attrs + b">", b"</" + name + b">" + document[m.end():]
