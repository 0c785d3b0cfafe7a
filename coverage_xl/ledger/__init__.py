"""The campaign ledger (台账): every person on the province's list tracked to 销号.

- :mod:`~coverage_xl.ledger.store` — the SQLite database: schema, migrations, WAL, transactions;
- :mod:`~coverage_xl.ledger.statuses` — the status vocabulary and 销号 rule (a data file);
- :mod:`~coverage_xl.ledger.inputs`, :mod:`~coverage_xl.ledger.followups` — the inputs, read by the
  project's own readers; the returned follow-up lists validated entry by entry;
- :mod:`~coverage_xl.ledger.compute` — each person's status, flags and 销号 (pure);
- :mod:`~coverage_xl.ledger.update` — :func:`update_ledger`, one transaction per run;
- :mod:`~coverage_xl.ledger.summary` — per-unit counts and the ``--json`` summary;
- :mod:`~coverage_xl.ledger.query` — what the exports draw, read back from the database.

This package is core: it never imports openpyxl, click, rich or xlwings. The workbooks are drawn by
:mod:`coverage_xl.sheets.ledger` and written by the job :mod:`coverage_xl.jobs.ledger`.
"""

from coverage_xl.ledger.store import DEFAULT_NAME, default_ledger_path
from coverage_xl.ledger.update import UpdateResult, update_ledger

__all__ = ["DEFAULT_NAME", "UpdateResult", "default_ledger_path", "update_ledger"]
