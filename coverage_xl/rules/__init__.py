"""The Annex 3 rules: one module per concern, each a function over a :class:`Context`.

Rules run column by column (tight loops over one column are much faster than a function call per
cell) in the order of :data:`RULE_CHECKS`; earlier rules leave derived values in the context (the
normalised ID and birth date, each row's category) for later ones.
"""

from __future__ import annotations

from coverage_xl.rules.base import Context
from coverage_xl.rules.category import check_category
from coverage_xl.rules.ids import check_ids
from coverage_xl.rules.person import check_age, check_birth, check_name, check_student_age
from coverage_xl.rules.phone import check_phone
from coverage_xl.rules.unit import check_unit
from coverage_xl.rules.willing import check_willing

RULE_CHECKS = (check_unit, check_ids, check_name, check_birth, check_category, check_willing, check_phone, check_age,
               check_student_age)

__all__ = ["Context", "RULE_CHECKS"]
