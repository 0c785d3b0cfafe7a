"""Sandboxed Jinja rendering for notices: text (SMS) and Word documents (docxtpl).

Templates are edited by clerks, so they are treated as untrusted input: rendering runs in
:class:`jinja2.sandbox.SandboxedEnvironment` (no access to Python internals such as
``''.__class__``) with :class:`jinja2.StrictUndefined` (a misspelt variable stops the run instead of
leaving a blank in a letter), with operation limits (``"x" * 10**9``, ``7 ** 99999999`` are refused), and
templates from a clerk's folder render in a separate process with time and memory caps
(:mod:`coverage_xl.notices.sandbox`). Every Jinja failure becomes a :class:`~coverage_xl.errors.TemplateError`
whose Chinese message names the template and, when known, the variable or the line.
"""

from __future__ import annotations

import functools
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from coverage_xl.errors import TemplateError
from coverage_xl.paths import templates_dir

__all__ = ["make_env", "render_text", "text_renderer", "render_string", "render_docx", "fmt_int", "fmt_pct", "template_error"]


def fmt_int(value: Any) -> str:
    """People counts as printed in the annex sheets: plain integers, no thousands separator."""
    if value is None or value == "":
        return ""
    try:
        return str(int(round(float(value))))
    except (TypeError, ValueError):
        return str(value)


def fmt_pct(value: Any, digits: int = 2) -> str:
    """A rate in [0, 1] as the annex sheets print it (number format ``0.00%``): 0.8523 -> 85.23%."""
    if value is None or value == "":
        return ""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if v != v:  # NaN: a unit with nothing to cover
        return "—"
    return f"{v * 100:.{digits}f}%"


FILTERS: dict[str, Callable[..., Any]] = {"int": fmt_int, "pct": fmt_pct}


MAX_REPEAT = 1_000_000
"""Longest string or list ``*`` may build, and the largest exponent ``**`` may take."""


class LimitError(SecurityError, TemplateError):
    """An operation in a template that would build something huge (a sandbox refusal, and one of the
    project's errors)."""


class LimitedSandbox(SandboxedEnvironment):
    """The sandbox with operation limits on ``*`` and ``**`` (the two ways one expression explodes)."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(n, int) and len(seq) * n > MAX_REPEAT:
                    raise LimitError(f"“*”将生成 {len(seq) * n} 个字符或元素")
        if operator == "**" and isinstance(right, int | float) and abs(right) > 1000 and isinstance(left, int | float) \
                and abs(left) > 1:
            raise LimitError(f"“**”的指数 {right} 过大")
        return super().call_binop(context, operator, left, right)


def make_env(*, autoescape: bool = False) -> SandboxedEnvironment:
    """The one environment every notice template renders in (sandboxed, strict, our filters).

    ``autoescape`` is on for Word XML so that a name such as "A&B" cannot break the document."""
    env = LimitedSandbox(
        undefined=jinja2.StrictUndefined,
        autoescape=autoescape,
        # text templates: a block tag on its own line leaves no blank line; Word XML is left as is
        trim_blocks=not autoescape,
        lstrip_blocks=not autoescape,
    )
    env.filters.update(FILTERS)
    return env


_UNDEFINED_NAME = re.compile(r"'([^']+)' is undefined")
_UNDEFINED_ATTR = re.compile(r"has no attribute '([^']+)'")


def template_error(exc: Exception, template: str, snippet: str = "") -> TemplateError:
    """A Chinese message for a Jinja failure in ``template`` (a file name a clerk recognises)."""
    where = f"模板“{template}”"
    if isinstance(exc, LimitError):
        return TemplateError(f"{where}中的运算结果过大（{exc}），已停止。请检查模板。")
    if isinstance(exc, RecursionError):
        return TemplateError(f"{where}嵌套或递归太深（例如宏调用了自身），已停止。")
    if isinstance(exc, MemoryError):
        return TemplateError(f"{where}生成时所需内存过大，已停止。请检查模板中的循环或重复。")
    if isinstance(exc, SecurityError):
        return TemplateError(
            f"{where}试图访问不允许的内部属性，已被安全沙箱拒绝（{exc}）。模板中只能使用文档列出的变量。")
    if isinstance(exc, jinja2.UndefinedError):
        msg = str(exc)
        if "unsafe" in msg:  # the sandbox's own undefined for a forbidden attribute
            return TemplateError(f"{where}试图访问不允许的内部属性，已被安全沙箱拒绝（{msg}）。")
        m = _UNDEFINED_NAME.search(msg) or _UNDEFINED_ATTR.search(msg)
        var = m.group(1) if m else msg
        return TemplateError(
            f"{where}中使用了未定义的变量“{var}”。请检查拼写，可用的变量见 docs/notices.md。")
    if isinstance(exc, jinja2.TemplateSyntaxError):
        line = f"第{exc.lineno}行" if exc.lineno and not snippet else ""
        near = f"，附近文字：“{snippet}”" if snippet else ""
        return TemplateError(f"{where}{line}有语法错误：{exc.message}{near}。请检查 {{{{ }}}} 和 {{% %}} 是否成对。")
    if isinstance(exc, jinja2.TemplateError):
        return TemplateError(f"{where}无法生成：{exc}。")
    return TemplateError(f"{where}无法生成：{type(exc).__name__}: {exc}")


def render_string(source: str, context: Mapping[str, Any], *, name: str = "<文本>") -> str:
    """Render a template given as text (used for SMS templates and in tests)."""
    env = make_env()
    try:
        return env.from_string(source).render(dict(context))
    except jinja2.TemplateError as exc:
        raise template_error(exc, name) from exc
    except (TypeError, ValueError, ArithmeticError, KeyError, IndexError) as exc:
        raise template_error(exc, name) from exc


MAX_DOCX_BYTES = 50 * 1024**2
"""Unzipped size of one rendered Word document, before the allowance for its people (below)."""
DOCX_BYTES_PER_ITEM = 200 * 1024
"""Allowance per person (item of the longest list in the context): a one-page letter or statement is
about 14 KB unzipped, so 琼湖街道's 5,139 letters (71 MB) pass while a template that loops on nothing
(``range(10**7)``) still stops."""
MAX_TEXT_CHARS = 100_000
"""Characters of one rendered text (an SMS is 70)."""


def too_large_message(template: str, what: str) -> str:
    return f"模板“{template}”生成的内容过大（{what}），已停止。请检查模板中的循环或重复。"


def _unpacked_size(docx: bytes) -> int:
    """Bytes of the document once unzipped (100 MB of repeated text zips to almost nothing)."""
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(docx)) as z:
            return sum(i.file_size for i in z.infolist())
    except zipfile.BadZipFile:
        return len(docx)


def docx_cap(context: Mapping[str, Any] | None) -> int:
    """The size cap of one document: the base plus an allowance per item of the context's longest list
    (the letters of a unit), so that a big unit's legitimate document is never refused."""
    items = 0
    for value in (context or {}).values():
        if isinstance(value, list | tuple):
            items = max(items, len(value))
    return MAX_DOCX_BYTES + DOCX_BYTES_PER_ITEM * items


def check_size(template: str, result: bytes | str, context: Mapping[str, Any] | None = None) -> bytes | str:
    """Refuse an output over the caps (the same rule in the worker and for the built-in templates)."""
    cap = docx_cap(context)
    if isinstance(result, bytes) and _unpacked_size(result) > cap:
        raise TemplateError(too_large_message(template, f"超过 {cap // 1024**2} MB"))
    if isinstance(result, str) and len(result) > MAX_TEXT_CHARS:
        raise TemplateError(too_large_message(template, f"超过 {MAX_TEXT_CHARS} 个字"))
    return result


def guarded(template: str, func: Any, *args: Any) -> Any:
    """Call a renderer, turning RecursionError and MemoryError into a Chinese TemplateError."""
    try:
        context = next((a for a in args if isinstance(a, Mapping)), None)
        return check_size(template, func(*args), context)
    except RecursionError:
        raise TemplateError(f"模板“{template}”嵌套或递归太深（例如宏调用了自身），已停止。") from None
    except MemoryError:
        raise TemplateError(f"模板“{template}”生成时所需内存过大，已停止。请检查模板中的循环或重复。") from None


def worker_render(kind: str, template: str, context: Mapping[str, Any]) -> tuple[str, Any]:
    """What the limited worker runs for a clerk's template: ("ok", bytes or text) or ("error", message)."""
    name = Path(template).name
    try:
        return "ok", guarded(name, docx_bytes if kind == "docx" else text_of, template, context)
    except TemplateError as exc:
        return "error", str(exc)
    except Exception as exc:  # noqa: BLE001 - anything a template provokes becomes a message
        return "error", str(template_error(exc, name))


def is_builtin(path: str | Path) -> bool:
    """True for the shipped templates (trusted: rendered in-process); a clerk's folder is not."""
    try:
        return Path(path).resolve().parent == BUILTIN_DIR.resolve()
    except OSError:
        return False


def render_text(path: str | Path, context: Mapping[str, Any]) -> str:
    """Render a text template file (UTF-8, BOM tolerated); leading/trailing white space removed.

    A clerk's template renders in the limited worker (:mod:`coverage_xl.notices.sandbox`)."""
    from coverage_xl.notices.sandbox import run_limited

    path = Path(path)
    if is_builtin(path):
        return guarded(path.name, text_of, path, context)
    return run_limited(path.name, worker_render, "text", str(path), dict(context))


def text_renderer(path: str | Path) -> Callable[[Mapping[str, Any]], str]:
    """``render_text`` for many contexts of one template: an SMS list renders the same template for
    thousands of people. A built-in template is read and compiled once (compiling it again for each
    person was most of the run); a clerk's still renders in the limited worker, one call each."""
    path = Path(path)
    if not is_builtin(path):
        return lambda context: render_text(path, context)
    compiled = _compiled_text(path)
    return lambda context: guarded(path.name, compiled, context)


def text_of(path: str | Path, context: Mapping[str, Any]) -> str:
    """Render a text template file in this process (see :func:`render_text`)."""
    return _compiled_text(path)(context)


def _compiled_text(path: str | Path) -> Callable[[Mapping[str, Any]], str]:
    """The template read (UTF-8, BOM tolerated) and compiled in this process; each call renders one
    context, leading/trailing white space removed."""
    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise TemplateError(f"无法读取模板“{path}”：{exc.strerror or exc}。") from exc
    try:
        template = make_env().from_string(source)
    except jinja2.TemplateError as exc:
        raise template_error(exc, path.name) from exc

    def render(context: Mapping[str, Any]) -> str:
        try:
            return template.render(dict(context)).strip()
        except jinja2.TemplateError as exc:
            raise template_error(exc, path.name) from exc
        except (TypeError, ValueError, ArithmeticError, KeyError, IndexError) as exc:
            raise template_error(exc, path.name) from exc

    return render


def _docx_snippet(lines: Iterable[str] | None) -> str:
    """The text near a Jinja error in a Word template, as one short line."""
    text = [s.strip() for s in lines or [] if s.strip()]
    return " ".join(text)[:80]


_PARAGRAPH = re.compile(r"<w:p(?: [^>]*)?>.*?</w:p>", flags=re.DOTALL)  # docxtpl's own, in resolve_listing
_LISTING_CHAR = re.compile(r"[\t\a\n\f]")


@functools.cache
def _docx_template_class() -> type:
    """docxtpl's DocxTemplate, but its ``resolve_listing`` (turning a tab, newline, \\a or \\f in a text
    into Word breaks) only runs on the paragraphs that hold such a character.

    docxtpl runs three nested regular-expression passes with a Python call per paragraph, run and text
    over the whole rendered body; for a letter per person of a 5,000-person unit that was the largest
    single cost of a run. Paragraphs without any of those characters come out of it unchanged, so the
    result is the same document, byte for byte."""
    from docxtpl import DocxTemplate

    class _Template(DocxTemplate):
        def resolve_listing(self, xml: str) -> str:
            if not any(c in xml for c in "\t\a\n\f"):  # four fast substring searches, not one regex scan
                return xml
            full = functools.partial(DocxTemplate.resolve_listing, self)

            def paragraph(m: re.Match[str]) -> str:
                text = m.group(0)
                return full(text) if _LISTING_CHAR.search(text) else text

            return _PARAGRAPH.sub(paragraph, xml)

    return _Template


def render_docx(template: str | Path, context: Mapping[str, Any], out: str | Path) -> Path:
    """Render a Word template (Jinja inside the document, docxtpl syntax) to ``out``.

    A built-in template streams straight into the output file
    (:mod:`coverage_xl.notices.docx_stream`); a clerk's renders in the limited worker
    (:mod:`coverage_xl.notices.sandbox`). Either way the document is written atomically through the
    output guard: a failed render leaves no file, half-written or otherwise."""
    from coverage_xl import guard
    from coverage_xl.notices.sandbox import run_limited

    template = Path(template)
    if is_builtin(template):
        def write(tmp: Path) -> None:
            with open(tmp, "wb") as fh:
                guarded(template.name, _write_docx, template, context, fh)

        guard.write_file(out, write, kind="notices")
    else:
        data = run_limited(template.name, worker_render, "docx", str(template), dict(context))
        guard.write_bytes(out, data, kind="notices")
    return Path(out)


def docx_bytes(template: str | Path, context: Mapping[str, Any]) -> bytes:
    """Render a Word template in this process and return the document (see :func:`render_docx`)."""
    import io

    buf = io.BytesIO()
    _write_docx(Path(template), context, buf)
    return buf.getvalue()


def _prepare(path: Path) -> Any:
    from coverage_xl.notices.docx_stream import Prepared

    return Prepared(path, make_env(autoescape=True), _docx_template_class())


def _write_docx(template: Path, context: Mapping[str, Any], out: Any) -> None:
    """Stream the rendered document into the binary file ``out``, stopping at the size cap; every
    failure becomes a Chinese :class:`TemplateError` naming the template."""
    from docx.opc.exceptions import PackageNotFoundError

    from coverage_xl.notices import docx_stream

    try:
        prep = docx_stream.prepared(template, _prepare)
    except jinja2.TemplateError as exc:
        raise template_error(exc, template.name, _docx_snippet(getattr(exc, "docx_context", None))) from exc
    except (PackageNotFoundError, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:  # not a .docx, or damaged
        raise TemplateError(f"模板“{template.name}”不是有效的 Word（.docx）文件，请用 Word 或 WPS 另存为 .docx：{exc}。") from exc
    try:
        docx_stream.write_docx(prep, context, out, cap=docx_cap(context),
                               resolve_listing=functools.partial(_docx_template_class().resolve_listing, None))
    except docx_stream.TooLarge as exc:
        raise TemplateError(too_large_message(template.name, f"超过 {exc.cap // 1024**2} MB")) from None
    except jinja2.TemplateError as exc:
        lines = getattr(exc, "docx_context", None) or prep.snippet(getattr(exc, "lineno", None))
        raise template_error(exc, template.name, _docx_snippet(lines)) from exc
    except (TypeError, ValueError, ArithmeticError, KeyError, IndexError) as exc:  # e.g. {{ 1 + "a" }}
        raise template_error(exc, template.name) from exc


# ----------------------------------------------------------------------------------- locations

BUILTIN_DIR = templates_dir() / "notices"
"""The built-in templates: ``templates/notices/`` of the repository (installed with the package as
data files), generated by :mod:`coverage_xl.notices.make_templates` — the one source of truth. A
clerk edits them in place, or copies them (``--copy-templates``) and points ``--templates`` there."""

BULLETIN = "月度通报.docx"
UNIT_NOTICE = "督办通知.docx"
STATEMENT = "不参保意愿书.docx"
ESTIMATE_LETTER = "测算告知书.docx"
SMS_PAYMENT = "缴费提醒.txt"
SMS_TURNING60 = "到龄提醒.txt"
DOCX_TEMPLATES = (BULLETIN, UNIT_NOTICE, STATEMENT, ESTIMATE_LETTER)
TEXT_TEMPLATES = (SMS_PAYMENT, SMS_TURNING60)
ALL_TEMPLATES = DOCX_TEMPLATES + TEXT_TEMPLATES
"""Template file names: Chinese, so a clerk finds the one to edit."""



def template_dirs(templates_dir: str | Path | None = None) -> list[Path]:
    """Folders searched for a template, first match wins: ``--templates DIR``, then the built-in
    ``templates/notices/``. A bureau folder therefore only needs the templates it changed."""
    dirs: list[Path] = []
    if templates_dir is not None:
        d = Path(templates_dir)
        if not d.is_dir():
            from coverage_xl.errors import InputError

            raise InputError(f"模板文件夹“{d}”不存在。请检查 --templates 参数。")
        dirs.append(d)
    dirs.append(BUILTIN_DIR)
    return dirs


def find_template(name: str, templates_dir: str | Path | None = None) -> Path:
    """Path of template ``name`` (e.g. ``月度通报.docx``) following :func:`template_dirs`."""
    for d in template_dirs(templates_dir):
        p = d / name
        if p.is_file():
            return p
    raise TemplateError(f"找不到模板“{name}”（已查找：{'、'.join(str(d) for d in template_dirs(templates_dir))}）。")


def check_template(path: str | Path) -> Path:
    """Parse a template without rendering it, so a syntax error stops a run before any file is
    written (a half-done run would leave some units with new notices and some with old ones)."""
    path = Path(path)
    if path.suffix.lower() == ".docx":
        from docx.opc.exceptions import PackageNotFoundError
        from docxtpl import DocxTemplate

        try:
            DocxTemplate(str(path)).get_undeclared_template_variables(make_env(autoescape=True))
        except jinja2.TemplateSyntaxError as exc:
            source = getattr(exc, "source", None) or ""
            lines = source.splitlines()
            near = ""
            if exc.lineno and lines:
                near = re.sub(r"<[^>]+>", "", " ".join(lines[max(exc.lineno - 2, 0): exc.lineno + 1])).strip()[:80]
            raise template_error(exc, path.name, near or " ") from exc
        except (PackageNotFoundError, zipfile.BadZipFile, OSError, KeyError) as exc:
            raise TemplateError(f"模板“{path.name}”不是有效的 Word（.docx）文件，请用 Word 或 WPS 另存为 .docx：{exc}。") from exc
        return path
    try:
        source = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"无法读取模板“{path}”（应为 UTF-8 文本）：{exc}。") from exc
    try:
        make_env().parse(source)
    except jinja2.TemplateSyntaxError as exc:
        raise template_error(exc, path.name) from exc
    return path
