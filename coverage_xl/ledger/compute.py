"""Each person's ledger status, flags and 销号 from the current inputs: pure pandas, no I/O.

The rules (issue 14; docs/ledger.md states them for the bureau):

- a person is an ID on the province's list or in a counted Annex 3 row (people only in an export
  are not in the ledger: they were never on the campaign's list);
- status, the first that applies (precedence and labels from ``data/ledger_statuses.toml``):
  ``paid`` registered and paid · ``drawing`` registered, 待遇领取, not paid · ``registered_unpaid`` ·
  ``unclassified`` surveyed, but the category of their row is in error · ``out_of_scope`` surveyed
  with exactly one reason · ``refused`` in scope, willingness 否 · ``pending`` in scope, willingness
  是 or blank · ``not_surveyed`` on the list, in no unit's Annex 3. The registration and payment
  facts come first: the pension system's data settles a person whatever the survey says;
- a person surveyed more than once is judged by one row: the row in the list's unit if there is
  one, else the first unit in Annex 1 order, first row of the file;
- flags: ``off_list`` surveyed and on no part of the list · ``cross_unit_duplicate`` surveyed in two
  or more units (also when the bureau has since chosen one unit in 归属单位) · ``duplicate_insurance`` any of their rows ticks Annex 3 column 8, 9 or 10 and
  they are registered in 城乡居保;
- contacts: the latest follow-up entry (by date) is the last contact; a signed 意愿书 is any entry
  with 是否签订意愿书 = 是; an unreachable person is "recorded" when the latest entry is 联系不上 (an
  entry can only say so with a date and a method);
- settled (销号): the status's ``settled`` rule (yes / signed), or 联系不上 recorded when the bureau's
  setting ``unreachable_settles`` is true;
- membership (the per-unit counts): every unit a person has a counted survey row in (a cross-unit
  duplicate counts in each, unless the bureau chose one unit in 归属单位; twice in one unit counts
  once), and, for a person no unit surveyed, the unit the list assigns them to.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from coverage_xl.layout import EMPLOYEE_PENSION_REASONS, FOLLOWUP_UNREACHABLE, IN_SCOPE, REASON_KEYS
from coverage_xl.ledger.statuses import StatusBook
from coverage_xl.units import Unit
from coverage_xl.villages import village_of

PEOPLE_FIELDS = ("id", "name", "unit", "village", "address", "status", "settled", "off_list", "cross_unit_duplicate",
                 "duplicate_insurance", "on_list", "survey_units", "registered", "drawing", "paid", "signed",
                 "unreachable_recorded", "last_contact")
BOOL_FIELDS = ("settled", "off_list", "cross_unit_duplicate", "duplicate_insurance", "on_list", "registered",
               "drawing", "paid", "signed", "unreachable_recorded")


@dataclass
class Computed:
    people: pd.DataFrame  # PEOPLE_FIELDS, one row per ID, sorted by ID
    memberships: pd.DataFrame  # unit, id
    # the file each person's deciding facts came from, for the change log: id -> kind -> file name
    sources: pd.DataFrame  # id, list_file, survey_file, registration_file, payment_file, followup_file


def compute(list_people: pd.DataFrame, survey_rows: pd.DataFrame, facts: pd.DataFrame, contacts: pd.DataFrame,
            book: StatusBook, units: tuple[Unit, ...]) -> Computed:
    order = {u.name: u.order for u in units}
    lp = list_people.set_index("id")
    ids = pd.Index(sorted(set(lp.index) | set(survey_rows["id"])), name="id")
    p = pd.DataFrame(index=ids)
    p["on_list"] = ids.isin(lp.index)
    lpi = lp.reindex(ids)  # aligned once: every column below is read from these three frames
    p["list_unit"] = lpi["unit"].fillna("")

    # --- the survey: one deciding row per person, every unit they appear in
    sr = survey_rows.copy()
    sr["home"] = sr["unit"].to_numpy() == p["list_unit"].reindex(sr["id"]).to_numpy()
    sr["unit_order"] = sr["unit"].map(order).fillna(len(order) + 1)
    sr = sr.sort_values(["id", "home", "unit_order", "file", "row_number"], ascending=[True, False, True, True, True],
                        kind="stable")
    first = sr.drop_duplicates("id", keep="first").set_index("id")
    per_unit = sr.drop_duplicates(["id", "unit"])
    n_units = per_unit.groupby("id").size()
    unit_lists = first["unit"].copy()  # most people are in one unit; join the others' only
    several = n_units[n_units > 1].index
    if len(several):
        multi = per_unit[per_unit["id"].isin(several)].sort_values(["id", "unit_order"])
        unit_lists.loc[several] = multi.groupby("id")["unit"].agg("、".join)
    p["surveyed"] = ids.isin(first.index)
    fi = first.reindex(ids)
    p["category"] = fi["category"].fillna("")
    p["willing"] = fi["willing"].fillna("")
    p["survey_units"] = unit_lists.reindex(ids).fillna("")
    crossing = sr.loc[sr["cross_unit"].astype(bool), "id"].unique()
    p["cross_unit_duplicate"] = (n_units.reindex(ids).fillna(0).to_numpy() > 1) | ids.isin(crossing)
    employee = sr[sr["category"].isin(EMPLOYEE_PENSION_REASONS)]["id"].unique()

    # --- the pension system's facts
    f = facts.set_index("id")
    ff = f.reindex(ids)
    for col in ("registered", "drawing", "paid"):
        p[col] = ff[col].fillna(0).astype(bool).to_numpy()

    # --- follow-up contacts
    p["signed"] = False
    p["unreachable_recorded"] = False
    p["last_contact"] = ""
    followup_file = pd.Series("", index=ids)
    if len(contacts):
        c = contacts[contacts["id"].isin(ids)].copy()
        c["has_date"] = c["contact_date"] != ""
        c = c.sort_values(["id", "has_date", "contact_date", "file", "row_number"], kind="stable")
        latest = c.drop_duplicates("id", keep="last").set_index("id")
        signed_ids = c.loc[c["signed"] == "是", "id"].unique()
        p.loc[p.index.isin(signed_ids), "signed"] = True
        unreachable = latest[(latest["result"] == FOLLOWUP_UNREACHABLE) & (latest["contact_date"] != "")
                             & (latest["method"] != "")].index
        p.loc[p.index.isin(unreachable), "unreachable_recorded"] = True
        text = (latest["contact_date"] + " " + latest["method"] + " " + latest["result"]).str.strip()
        p.loc[latest.index, "last_contact"] = text
        followup_file.loc[latest.index] = latest["file"]

    # --- status: the first that applies
    surveyed, cat = p["surveyed"].to_numpy(), p["category"].to_numpy()
    reg, paid, drawing = p["registered"].to_numpy(), p["paid"].to_numpy(), p["drawing"].to_numpy()
    in_scope = surveyed & (cat == IN_SCOPE)
    conditions = {
        "paid": reg & paid,
        "drawing": reg & drawing,
        "registered_unpaid": reg,
        "unclassified": surveyed & (cat == ""),
        "out_of_scope": surveyed & np.isin(cat, REASON_KEYS),
        "refused": in_scope & (p["willing"].to_numpy() == "否"),
        "pending": in_scope,
        "not_surveyed": ~surveyed,
    }
    codes = book.codes
    p["status"] = np.select([conditions[c] for c in codes], list(codes), default="unclassified")

    settled = np.zeros(len(p), dtype=bool)
    for s in book.statuses:
        is_s = p["status"].to_numpy() == s.code
        if s.settled == "yes":
            settled |= is_s
        elif s.settled == "signed":
            settled |= is_s & p["signed"].to_numpy()
    if book.unreachable_settles:
        settled |= p["unreachable_recorded"].to_numpy()
    p["settled"] = settled
    p["off_list"] = surveyed & ~p["on_list"].to_numpy()
    p["duplicate_insurance"] = p.index.isin(employee) & reg

    # --- who they are and where they belong
    list_known = p["on_list"].to_numpy() & (p["list_unit"].to_numpy() != "")
    p["unit"] = np.where(list_known, p["list_unit"], fi["unit"].fillna(p["list_unit"]))
    p["name"] = lpi["name"].fillna(fi["name"]).fillna("")
    p["address"] = lpi["address"].fillna(fi["address"]).fillna("")
    village = lpi["village"].copy()
    need = village.isna() | (village == "")
    if need.any():
        village[need] = [village_of(a, u) for a, u in zip(p.loc[need, "address"], p.loc[need, "unit"], strict=True)]
    p["village"] = village.fillna("")

    people = p.reset_index()[list(PEOPLE_FIELDS)]
    for col in BOOL_FIELDS:
        people[col] = people[col].astype(bool)

    # --- memberships: own survey rows, or the list's unit for people nobody surveyed
    surveyed_pairs = per_unit[["unit", "id"]]
    unsurveyed = p[~p["surveyed"]]
    memberships = pd.concat([surveyed_pairs, pd.DataFrame({"unit": unsurveyed["list_unit"].to_numpy(),
                                                           "id": unsurveyed.index.to_numpy()})], ignore_index=True)
    memberships = memberships.drop_duplicates().sort_values(["unit", "id"]).reset_index(drop=True)

    sources = pd.DataFrame({
        "id": ids,
        "list_file": lpi["file"].fillna("").to_numpy(),
        "survey_file": fi["file"].fillna("").to_numpy(),
        "registration_file": ff["registration_file"].fillna("").to_numpy(),
        "payment_file": ff["payment_file"].fillna("").to_numpy(),
        "followup_file": followup_file.to_numpy(),
    })
    return Computed(people, memberships, sources)
