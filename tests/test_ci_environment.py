"""Under CI (``CI`` set, as `.ci/run` is run) nothing the LibreOffice tests need may be missing.

Why: those tests skip on a developer's machine without LibreOffice, so that `make test` still runs
there. In CI such a skip would hide a missing package behind a green run; this test turns it red.
"""

from __future__ import annotations

import os
import shutil

import pytest
from lo_helpers import uno_python

from coverage_xl.libreoffice import soffice_binary

pytestmark = pytest.mark.skipif(not os.environ.get("CI"), reason="checks CI's machine only (CI is not set)")


def test_ci_has_libreoffice_uno_and_poppler_so_no_libreoffice_test_is_skipped():
    missing = [name for name, found in (("soffice", soffice_binary()), ("python3-uno", uno_python()),
                                        ("pdftotext", shutil.which("pdftotext")),
                                        ("pdftoppm", shutil.which("pdftoppm"))) if not found]
    assert missing == [], f"CI lacks {missing}: .ci/run must install them"
