"""Notices stamped from Jinja templates: bulletins, unit notices, statements, SMS lists (issue 6).

Public API: :func:`render_notices` (one run, every kind), the per-kind writers in
:mod:`~coverage_xl.notices.documents`, the context builders in :mod:`~coverage_xl.notices.context`,
the sandboxed renderer in :mod:`~coverage_xl.notices.render` and the CSV writer in
:mod:`~coverage_xl.notices.sms`. Context keys are documented in docs/notices.md.
"""

from coverage_xl.notices.documents import KINDS, NoticeRun, render_notices
from coverage_xl.notices.render import find_template, make_env, render_docx, render_string, render_text

__all__ = ["KINDS", "NoticeRun", "render_notices", "find_template", "make_env", "render_docx", "render_string",
           "render_text"]
