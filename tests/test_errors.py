"""A closed error hierarchy: every exception the package defines is a CoverageError (Chinese
message, exit code 2), and nothing reads a failure of any kind as "there is no history"."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import openpyxl
import pytest

from coverage_xl.errors import CoverageError, HeaderNotFoundError, UnreadableError
from coverage_xl.history import HistoryError, read_history
from coverage_xl.read import read_survey

PACKAGE = Path(__file__).resolve().parents[1] / "coverage_xl"


def exception_classes() -> list[tuple[str, str]]:
    """(module, class) for every class in the package that derives from an exception."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and any(
                    isinstance(b, ast.Name) and (b.id.endswith(("Error", "Exception"))) for b in node.bases):
                found.append((module, node.name))
    return found


def test_the_package_defines_its_errors():
    assert {("coverage_xl.errors", "UnreadableError"), ("coverage_xl.errors", "HeaderNotFoundError"),
            ("coverage_xl.consolidate", "CountCheckError")} <= set(exception_classes())


@pytest.mark.parametrize(("module", "name"), exception_classes())
def test_every_package_error_is_a_coverage_error(module, name):
    assert issubclass(getattr(importlib.import_module(module), name), CoverageError)


def test_an_unreadable_file_and_a_missing_header_are_coverage_errors(tmp_path):
    broken = tmp_path / "坏.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(UnreadableError) as exc:
        read_survey(broken)
    assert isinstance(exc.value, CoverageError) and exc.value.exit_code == 2
    wb = openpyxl.Workbook()
    wb.active.append(["甲", "乙"])
    wb.save(tmp_path / "无表头.xlsx")
    with pytest.raises(HeaderNotFoundError) as exc:
        read_survey(tmp_path / "无表头.xlsx")
    assert isinstance(exc.value, CoverageError) and isinstance(exc.value, LookupError)


def test_an_unreadable_output_stops_before_its_history_is_lost_and_a_bug_is_not_swallowed(tmp_path, monkeypatch):
    broken = tmp_path / "总表.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(HistoryError, match="为免丢失以前的调度记录"):
        read_history(broken)  # never "no history": writing the sheet back would drop every snapshot
    wb = openpyxl.Workbook()
    wb.active.title = "调度历史"
    wb.save(tmp_path / "ok.xlsx")

    def bug(*_a, **_k):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("coverage_xl.read.sheet_rows", bug)
    with pytest.raises(ZeroDivisionError):
        read_history(tmp_path / "ok.xlsx")
