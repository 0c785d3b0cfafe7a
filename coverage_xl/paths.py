"""Where the project's editable templates are: ``templates/`` of the repository.

One folder is the source of truth for everything a clerk or the IT person may edit (notice templates,
the ribbon XML, the VBA callback module). In a checkout (``pip install -e .``) it is the repository's
``templates/``; a regular install copies the same files to ``<prefix>/share/coverage-xl/templates``
(``[tool.setuptools.data-files]`` in pyproject.toml).
"""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

REPO_TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def templates_dir() -> Path:
    """The templates folder: the repository's when running from a checkout, else the installed copy."""
    if REPO_TEMPLATES.is_dir():
        return REPO_TEMPLATES
    for base in (sysconfig.get_path("data"), sys.prefix):
        candidate = Path(base) / "share" / "coverage-xl" / "templates"
        if candidate.is_dir():
            return candidate
    return REPO_TEMPLATES  # missing: callers say which file they could not find
