"""Ledger jobs: the ``--json`` summary file and the export workbooks (台账, 台账汇总, 变更记录, lists)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from coverage_xl.atomic import write_text_atomic


def write_json_summary(summary: dict[str, Any], path: str | Path) -> Path:
    """The ``--json`` summary (issue 14 shape), written atomically."""
    return write_text_atomic(Path(path), json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
