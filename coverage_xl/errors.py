"""Errors that stop one piece of work, each with a Chinese message a clerk can act on.

Findings about the *contents* of a workbook are not exceptions (see :mod:`coverage_xl.findings`);
these are for the cases where work cannot continue at all: a parameter file that is wrong, a
template with an unknown variable, an output that cannot be written. Every error the package raises
on purpose is a :class:`CoverageError`; the faces turn it into a Chinese message and exit code 2.
"""

from __future__ import annotations


class CoverageError(Exception):
    """Base class: ``str(exc)`` is a Chinese message that says what is wrong and how to fix it."""

    exit_code = 2


class InputError(CoverageError):
    """An input file or argument cannot be used."""


class UnreadableError(InputError):
    """The file is not a spreadsheet calamine can open or decode (corrupt, encrypted, not a workbook),
    or it is over a safety limit (:mod:`coverage_xl.precheck`). Validation turns it into the finding
    ``code`` (``file.unreadable``, ``file.too_large``, ``file.suspicious``); elsewhere it stops that
    file's work."""

    def __init__(self, reason: str, code: str = "file.unreadable") -> None:
        super().__init__(reason)
        self.code = code


class HeaderNotFoundError(InputError, LookupError):
    """No sheet of the workbook carries the Annex 3 header (the finding ``sheet.not_found``)."""


class OutputError(CoverageError):
    """An output cannot be written (locked by Excel, no permission, disk full)."""


class TemplateError(CoverageError):
    """A notice template is broken: syntax error, unknown variable, forbidden access."""


class ParameterError(CoverageError):
    """A parameter file (benefit estimate, milestones, units) is missing a value or has a bad one."""
