"""The ledger's inputs, each read by the project's one reader for it, as small DataFrames.

- the province's list (省下发核实名单): :func:`coverage_xl.tables.read_table` finds the header; the
  name, ID, unit, village and address columns are found by the header names of ``tables``; the unit
  comes from a unit column, else from the address (:func:`coverage_xl.units.find_unit`);
- the units' Annex 3 workbooks: :func:`coverage_xl.survey.load_batch`, exactly as consolidate reads
  them (only counted files, rows keyed by the same match key as the exports);
- the registration and payment exports: the per-person facts of :mod:`coverage_xl.exports`;
- the towns' returned follow-up lists: :mod:`coverage_xl.ledger.followups`.

Every frame is keyed by the match key of :func:`coverage_xl.exports.match_key` (normalised, legacy
15 → 18 digits), so the same person matches across all of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from coverage_xl import exports as ex
from coverage_xl.errors import InputError
from coverage_xl.survey import SurveyBatch, load_batch, sha256_of
from coverage_xl.tables import (
    ADDRESS_HEADERS,
    NAME_HEADERS,
    UNIT_HEADERS,
    VILLAGE_HEADERS,
    find_column,
    find_id_column,
    read_table,
)
from coverage_xl.units import Unit, default_units, find_unit
from coverage_xl.villages import village_of

LIST = "list"
SURVEY = "survey"
REGISTRATION = ex.REGISTRATION
PAYMENT = ex.PAYMENT
FOLLOWUP = "followup"
FACTS = "facts"  # the registration and payment exports together: one snapshot
KIND_LABELS = {LIST: "省下发核实名单", SURVEY: "摸底表", REGISTRATION: "参保登记导出", PAYMENT: "缴费导出",
               FOLLOWUP: "跟进名单回执", FACTS: "参保登记或缴费导出"}

LIST_COLUMNS = ("id", "name", "unit", "village", "address", "file", "row_number")
SURVEY_COLUMNS = ("unit", "file", "row_number", "id", "name", "address", "category", "willing", "cross_unit")
FACT_COLUMNS = ("id", "registered", "drawing", "paid", "registration_file", "payment_file")


@dataclass(frozen=True)
class InputFile:
    """One input file as the run journal and the change log cite it."""

    kind: str
    path: Path
    sha256: str
    rows: int

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class ListInput:
    people: pd.DataFrame  # LIST_COLUMNS, one row per distinct ID (first row wins)
    files: list[InputFile]
    unkeyed_rows: int = 0  # rows without a usable ID
    no_unit: int = 0  # people whose unit could not be recognised


@dataclass
class SurveyInput:
    rows: pd.DataFrame  # SURVEY_COLUMNS, counted files only, rows with an ID
    files: list[InputFile]
    batch: SurveyBatch
    unkeyed_rows: int = 0


@dataclass
class FactsInput:
    facts: pd.DataFrame  # FACT_COLUMNS, one row per ID in any export
    files: list[InputFile]
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _keys(values: Iterable[object]) -> list[str]:
    memo: dict[object, str] = {}
    out = []
    for v in values:
        k = memo.get(v)
        if k is None:
            k = memo[v] = ex.match_key(v)
        out.append(k)
    return out


def read_province_list(paths: Iterable[str | Path], units: tuple[Unit, ...] | None = None) -> ListInput:
    """The province's list, in one or several parts (files). Raises InputError naming the file when
    it has no ID or name column, or neither a unit nor an address column."""
    units = units or default_units()
    cache: dict[str, str] = {}

    def unit_of(text: str) -> str:
        if text not in cache:
            u = find_unit(text, units) if text else None
            cache[text] = u.name if u else ""
        return cache[text]

    frames, files, unkeyed = [], [], 0
    for path in map(Path, paths):
        df = read_table(path)
        heads = "、".join(map(str, df.columns))
        id_col = find_id_column(df)
        if id_col is None:
            raise InputError(f"省下发核实名单“{path.name}”中找不到身份证号码列（表头如“身份证号码”“公民身份号码”）。找到的表头：{heads}。")
        name_col = find_column(df, NAME_HEADERS, ("姓名",))
        if name_col is None:
            raise InputError(f"省下发核实名单“{path.name}”中找不到“姓名”列。找到的表头：{heads}。")
        address_col = find_column(df, ADDRESS_HEADERS, ("户籍地址", "地址", "住址", "户籍所在"))
        unit_col = find_column(df, UNIT_HEADERS, ("乡镇", "街道", "行政区划"))
        village_col = find_column(df, VILLAGE_HEADERS, ("村（社区）", "村社区"))
        if village_col in (address_col, unit_col):
            village_col = None
        if unit_col is None and address_col is None:
            raise InputError(f"省下发核实名单“{path.name}”中既没有乡镇（单位）列，也没有户籍地址列，无法判断每个人所属的单位。")
        n = len(df)
        blank = pd.Series([""] * n, index=df.index, dtype=object)
        address = df[address_col] if address_col else blank
        unit_text = df[unit_col] if unit_col else blank
        unit_names = [unit_of(u) or unit_of(a) for u, a in zip(unit_text, address, strict=True)]
        villages = list(df[village_col]) if village_col else [""] * n
        villages = [v.strip() or village_of(a, u) for v, a, u in zip(villages, address, unit_names, strict=True)]
        frame = pd.DataFrame({
            "id": _keys(df[id_col]), "name": [s.strip() for s in df[name_col]], "unit": unit_names,
            "village": villages, "address": [s.strip() for s in address], "file": path.name,
            "row_number": [int(r) for r in df.index],
        }, columns=list(LIST_COLUMNS))
        unkeyed += int((frame["id"] == "").sum())
        frames.append(frame[frame["id"] != ""])
        files.append(InputFile(LIST, path, sha256_of(path), n))
    people = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(LIST_COLUMNS))
    people = people.drop_duplicates("id", keep="first").reset_index(drop=True)
    return ListInput(people, files, unkeyed, int((people["unit"] == "").sum()))


def read_survey(paths: str | Path | Iterable[str | Path], as_of: dt.date, units: tuple[Unit, ...] | None = None,
                batch: SurveyBatch | None = None) -> SurveyInput:
    """The counted Annex 3 rows of a folder, loaded and validated as consolidate does: a row owned by
    another unit (归属单位) is left out, an ID repeated in one unit counts once (``SurveyBatch.people``).
    ``cross_unit`` marks the IDs the batch found in two or more units' files."""
    batch = batch or load_batch(paths, as_of, units=units)
    p = batch.people()
    crossing = {d.id for d in batch.duplicates}
    rows = pd.DataFrame({
        "unit": p["unit"].astype(object), "file": p["file"].astype(object),
        "row_number": p["row"].astype(int) if len(p) else pd.Series(dtype=int),
        "id": _keys(p["id"].fillna("")), "name": p["name"].fillna("").astype(str),
        "address": p["address"].fillna("").astype(str),
        "category": p["category"].fillna("").astype(str), "willing": p["willing"].fillna("").astype(str),
        "cross_unit": p["id"].isin(crossing).astype(int) if len(p) else pd.Series(dtype=int),
    }, columns=list(SURVEY_COLUMNS))
    unkeyed = int((rows["id"] == "").sum())
    rows = rows[rows["id"] != ""].reset_index(drop=True)
    counted = {f.path.name: len(f.checked.people) for f in batch.counted}
    files = [InputFile(SURVEY, f.path, f.sha256, counted[f.path.name]) for f in batch.counted]
    return SurveyInput(rows, files, batch, unkeyed)


def read_facts(registrations: Iterable[str | Path], payments: Iterable[str | Path], year: int) -> FactsInput:
    """Registration and payment facts per person: :func:`coverage_xl.exports.person_facts`, the one
    counting rule of dispatch and Annex 5 (registered: a non-terminated status; drawing: 待遇领取;
    paid: registered and a payment > 0 for the campaign year or paid within it, 补缴 included).

    An export that cannot be used is a problem (Chinese, naming the file); the others still count.
    ``registration_file`` / ``payment_file`` name the first file that holds the deciding row, so the
    change log can cite it."""
    problems: list[str] = []
    warnings: list[str] = []
    files: list[InputFile] = []
    read: dict[str, list[ex.ExportFile]] = {REGISTRATION: [], PAYMENT: []}
    for kind, paths in ((REGISTRATION, registrations), (PAYMENT, payments)):
        for path in ex.export_files(paths):
            try:
                f = ex.read_export(path, kind, year)
            except ex.ExportError as exc:
                problems.append(str(exc))
                continue
            warnings.extend(f.warnings)
            files.append(InputFile(kind, path, sha256_of(path), f.rows))
            read[kind].append(f)
    table = ex.person_facts(read[REGISTRATION], read[PAYMENT], year).table

    def first_file(exports: list[ex.ExportFile], column: str | None) -> dict[str, str]:
        out: dict[str, str] = {}
        for f in exports:
            ids = f.frame["id"] if column is None else f.frame.loc[f.frame[column], "id"]
            for pid in ids:
                out.setdefault(pid, f.path.name)
        return out

    reg_file = first_file(read[REGISTRATION], "registered")
    pay_file = first_file(read[PAYMENT], None)
    ids = list(table.index)
    facts = pd.DataFrame({
        "id": ids,
        "registered": table["registered"].to_numpy(dtype=bool),
        "drawing": table["drawing"].to_numpy(dtype=bool),
        "paid": table["paid"].to_numpy(dtype=bool),
        "registration_file": [reg_file.get(pid, "") for pid in ids],
        "payment_file": [pay_file.get(pid, "") for pid in ids],
    }, columns=list(FACT_COLUMNS))
    return FactsInput(facts, files, problems, warnings)
