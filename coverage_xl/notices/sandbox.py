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
* **output size** — checked by the renderer (:func:`coverage_xl.notices.render.check_size`).

This module knows nothing of templates: :mod:`coverage_xl.notices.render` sends its own rendering
function. The worker only renders and returns the bytes; the parent writes the file atomically, so a
failed template leaves no file, half-written or otherwise.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import sys
from collections.abc import Callable
from typing import Any

from coverage_xl.errors import TemplateError

TIME_LIMIT = 60.0
"""Seconds one document may take (the built-in templates take well under a second)."""
MEMORY_LIMIT = 2 * 1024**3
"""Bytes of address space the worker may use (POSIX)."""


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
    """The worker: receive (name, func, args), send back what ``func(*args)`` returns — ("ok", value) or
    ("error", message) — or ("error", message) for a MemoryError or anything else it raised."""
    _limit_memory(memory_limit)
    sys.setrecursionlimit(2000)
    while True:
        try:
            name, func, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply = func(*args)
        except MemoryError:
            reply = ("error", f"模板“{name}”生成时所需内存过大，已停止。请检查模板中的循环或重复。")
        except Exception as exc:  # noqa: BLE001 - anything a template provokes becomes a message
            reply = ("error", f"模板“{name}”无法生成：{type(exc).__name__}: {exc}")
        try:
            conn.send(reply)
        except MemoryError:
            conn.send(("error", f"模板“{name}”生成的内容过大，无法传回，已停止。"))


class Sandbox:
    """One worker process, started on first use and replaced after it is killed."""

    def __init__(self) -> None:
        self._proc: Any = None
        self._conn: Any = None
        self._owner = 0  # the process that started the worker

    def _inherited(self) -> bool:
        """The worker was started by another process, which this one was forked from (a notices
        helper): it can neither be asked whether it is alive nor stopped from here."""
        return self._proc is not None and self._owner != os.getpid()

    def _start(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_serve, args=(child, MEMORY_LIMIT), daemon=True, name="coverage-xl-templates")
        proc.start()
        child.close()
        self._proc, self._conn, self._owner = proc, parent, os.getpid()

    def stop(self) -> None:
        if self._inherited():
            self._conn.close()  # this process's copy of the pipe; the worker stays its starter's
        elif self._proc is not None:
            if self._proc.is_alive():
                self._proc.kill()
            self._proc.join(5)
            self._conn.close()
        self._proc = self._conn = None

    def run(self, name: str, func: Callable[..., tuple[str, Any]], *args: Any) -> Any:
        """``func(*args)`` in the worker (``func`` returns ("ok", value) or ("error", message));
        ``name`` is the template the messages name."""
        if self._proc is None or self._inherited() or not self._proc.is_alive():
            self.stop()
            self._start()
        try:
            self._conn.send((name, func, args))
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


def run_limited(name: str, func: Callable[..., tuple[str, Any]], *args: Any) -> Any:
    """Run ``func(*args)`` in the limited worker (see :meth:`Sandbox.run`)."""
    return _SANDBOX.run(name, func, *args)
