"""Pre-filled Annex 3 workbooks: the province's list joined with the departments' comparison data.

The campaign starts from the province's list of people to verify (Annex 1) and from comparison data
(省内/省外职保, 机关事保, 教育, 民政/卫健, 司法, 公安, 城乡居保 itself). :func:`prefill` joins them by ID
number and writes one Annex 3 workbook per unit with the person columns filled, a *suggested* tick
where exactly one category has evidence, and the evidence in 备注 ("比对：省内企业职保"), so village
staff confirm and correct instead of researching every household. Nothing is decided for them:
conflicting evidence leaves the row open, willingness stays blank, and every row keeps going through
the same validator as a hand-filled sheet.

Choices (see docs/prefill.md): 行政代码 is the unit's own 9-digit code, as the unit template writes
in its blank rows (the city's 430981, as in the notice's examples, with ``city_code=True``; the
validator accepts both). Rows are sorted by village
(村/社区 from a village column or parsed from the address; unknown last) and then by name in code
point order. People whose unit cannot be recognised go to 未识别单位人员.xlsx, never dropped.

The package splits along the job's seams: :mod:`.sources`, :mod:`.people`, :mod:`.result`,
:mod:`.workbooks` and :mod:`.job`; the names below are its public interface.
"""

from __future__ import annotations

from coverage_xl.prefill.job import (
    group_people,
    prefill,
)
from coverage_xl.prefill.people import (
    ID_PROBLEMS,
    Evidence,
    Person,
    PriorityRule,
    SourceSummary,
    load_priority,
    read_list,
    read_source,
    status_evidence,
)
from coverage_xl.prefill.result import (
    BadId,
    CrossUnit,
    Listed,
    PrefillResult,
    UnitSummary,
)
from coverage_xl.prefill.sources import (
    CATEGORIES_FILE,
    DEFAULT_LABELS,
    EMPLOYEE_SCHEME,
    ENROLLED,
    EXTRA_ROWS,
    NORMAL_STATUSES,
    PRIORITY_FILE,
    RESIDENT_SCHEME,
    SOURCE_CATEGORIES,
    STATUS_ALIASES,
    STATUS_HEADERS,
    SUMMARY_CSV,
    SUMMARY_XLSX,
    TICK,
    UNRECOGNISED_FILE,
    WORKBOOK_NAME,
    CategoryName,
    CompareSource,
    category_help,
    category_names,
    load_config,
    parse_compare_spec,
    resolve_category,
    scheme_of,
)
from coverage_xl.prefill.workbooks import (
    SUMMARY_FIXED,
    summary_table,
)
from coverage_xl.villages import village_of

__all__ = [
    "BadId",
    "CATEGORIES_FILE",
    "CategoryName",
    "CompareSource",
    "CrossUnit",
    "DEFAULT_LABELS",
    "EMPLOYEE_SCHEME",
    "ENROLLED",
    "EXTRA_ROWS",
    "Evidence",
    "ID_PROBLEMS",
    "Listed",
    "NORMAL_STATUSES",
    "PRIORITY_FILE",
    "Person",
    "PrefillResult",
    "PriorityRule",
    "RESIDENT_SCHEME",
    "SOURCE_CATEGORIES",
    "STATUS_ALIASES",
    "STATUS_HEADERS",
    "SUMMARY_CSV",
    "SUMMARY_FIXED",
    "SUMMARY_XLSX",
    "SourceSummary",
    "TICK",
    "UNRECOGNISED_FILE",
    "UnitSummary",
    "WORKBOOK_NAME",
    "category_help",
    "category_names",
    "group_people",
    "load_config",
    "load_priority",
    "parse_compare_spec",
    "prefill",
    "read_list",
    "read_source",
    "resolve_category",
    "scheme_of",
    "status_evidence",
    "summary_table",
    "village_of",
]
