"""Run a clerk's own notice templates (``--templates DIR``) in a separate, limited process.

The Jinja sandbox stops access to Python internals, but not a template that loops 10⁵ × 10⁵ times,
a macro that calls itself, or ``{{ "x" * 10**10 }}``. Such a template must not hang the run, take
the machine's memory or end in a traceback. So templates that are not the built-in ones render in
one worker process (started once per run, reused for every document):

* **time** — each document gets :data:`TIME_LIMIT` seconds; after that the worker is killed and the
  run stops with a Chinese message naming the template;
* **memory** — on POSIX the worker's address space is capped at :data:`MEMORY_LIMIT`, so a runaway
  template fails with ``MemoryError`` inside the worker (on Windows the operation limits of
  :func:`coverage_xl.notices.render.make_env` and the output cap still apply);
* **recursion** — ``RecursionError`` becomes a message, as does a worker that dies;
* **output size** — a document over :data:`MAX_DOCX_BYTES`, a text over :data:`MAX_TEXT_CHARS`.

The worker only renders and returns the bytes; the parent writes the file atomically, so a failed
template leaves no file, half-written or otherwise.
"""

from __future__ import annotations

import atexit
import multiprocessing
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from coverage_xl.errors import TemplateError

TIME_LIMIT = 60.0
"""Seconds one document may take (the built-in templates take well under a second)."""
MEMORY_LIMIT = 2 * 1024**3
"""Bytes of address space the worker may use (POSIX)."""
MAX_DOCX_BYTES = 50 * 1024**2
"""Unzipped size of one rendered Word document."""
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


def check_size(template: str, result: bytes | str) -> bytes | str:
    """Refuse an output over the caps (the same rule in the worker and for the built-in templates)."""
    if isinstance(result, bytes) and _unpacked_size(result) > MAX_DOCX_BYTES:
        raise TemplateError(too_large_message(template, f"超过 {MAX_DOCX_BYTES // 1024**2} MB"))
    if isinstance(result, str) and len(result) > MAX_TEXT_CHARS:
        raise TemplateError(too_large_message(template, f"超过 {MAX_TEXT_CHARS} 个字"))
    return result


def guarded(template: str, func: Any, *args: Any) -> Any:
    """Call a renderer, turning RecursionError and MemoryError into a Chinese TemplateError."""
    try:
        return check_size(template, func(*args))
    except RecursionError:
        raise TemplateError(f"模板“{template}”嵌套或递归太深（例如宏调用了自身），已停止。") from None
    except MemoryError:
        raise TemplateError(f"模板“{template}”生成时所需内存过大，已停止。请检查模板中的循环或重复。") from None


def _limit_memory(limit: int) -> None:
    try:
        import resource
    except ImportError:  # Windows
        return
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ValueError, OSError):
        pass


def _serve(conn: Any, memory_limit: int) -> None:
    """The worker: receive (kind, template, context), send back ("ok", result) or ("error", message)."""
    _limit_memory(memory_limit)
    sys.setrecursionlimit(2000)
    from coverage_xl.notices import render

    renderers = {"docx": render.docx_bytes, "text": render.text_of}
    while True:
        try:
            kind, template, context = conn.recv()
        except (EOFError, OSError):
            return
        name = Path(template).name
        try:
            reply = ("ok", guarded(name, renderers[kind], template, context))
        except TemplateError as exc:
            reply = ("error", str(exc))
        except MemoryError:
            reply = ("error", f"模板“{name}”生成时所需内存过大，已停止。")
        except Exception as exc:  # noqa: BLE001 - anything a template provokes becomes a message
            reply = ("error", str(render.template_error(exc, name)))
        try:
            conn.send(reply)
        except MemoryError:
            conn.send(("error", too_large_message(name, "无法传回")))


class Sandbox:
    """One worker process, started on first use and replaced after it is killed."""

    def __init__(self) -> None:
        self._proc: Any = None
        self._conn: Any = None

    def _start(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_serve, args=(child, MEMORY_LIMIT), daemon=True, name="coverage-xl-templates")
        proc.start()
        child.close()
        self._proc, self._conn = proc, parent

    def stop(self) -> None:
        if self._proc is not None:
            if self._proc.is_alive():
                self._proc.kill()
            self._proc.join(5)
            self._conn.close()
        self._proc = self._conn = None

    def render(self, kind: str, template: Path, context: Mapping[str, Any]) -> Any:
        if self._proc is None or not self._proc.is_alive():
            self.stop()
            self._start()
        name = template.name
        try:
            self._conn.send((kind, str(template), dict(context)))
            if not self._conn.poll(TIME_LIMIT):
                self.stop()
                raise TemplateError(f"模板“{name}”生成一份文件超过 {TIME_LIMIT:g} 秒，已停止。请检查模板中的循环。")
            status, value = self._conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            self.stop()
            raise TemplateError(f"模板“{name}”生成时处理进程意外退出（可能内存不足），已停止。") from None
        if status == "error":
            raise TemplateError(value)
        return value


_SANDBOX = Sandbox()
atexit.register(_SANDBOX.stop)


def render_limited(kind: str, template: Path, context: Mapping[str, Any]) -> Any:
    """Render ``template`` (``kind`` "docx" → bytes, "text" → str) in the limited worker."""
    return _SANDBOX.render(kind, template, context)
