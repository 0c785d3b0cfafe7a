"""The ribbon tab and its VBA callbacks agree with each other and with coverage_xl.excel."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from xml.etree import ElementTree as ET

import pytest

from coverage_xl.xlsm.ribbon import (
    BUTTONS,
    CALLBACK_TEMPLATE,
    CUSTOMUI14_NS,
    EXCEL_MODULE,
    RIBBON_TEMPLATE,
    TAB_LABEL,
    callback_module_source,
    load_callback_source,
    load_ribbon_xml,
    ribbon_callbacks,
    ribbon_xml,
    run_python_targets,
    vba_ribbon_subs,
)

# Agreed with the author of coverage_xl/excel.py (issue 5).
EXCEL_FUNCTIONS = {"validate_current", "consolidate_units", "make_dispatch", "update_ledger", "make_notices", "make_templates",
                   "open_help"}
LABELS = ["校验当前表", "汇总各单位", "生成调度表", "更新台账", "生成通报", "生成单位模板", "打开说明"]


def test_templates_are_what_the_table_generates():
    # Edit BUTTONS and run `python -m coverage_xl.xlsm.ribbon`, never the files by hand.
    assert RIBBON_TEMPLATE.read_text(encoding="utf-8") == ribbon_xml()
    assert load_callback_source() == callback_module_source()


def test_ribbon_has_the_tab_and_seven_large_buttons():
    root = ET.fromstring(load_ribbon_xml().encode("utf-8"))
    assert root.tag == f"{{{CUSTOMUI14_NS}}}customUI"
    tabs = root.findall(f".//{{{CUSTOMUI14_NS}}}tab")
    assert [t.get("label") for t in tabs] == [TAB_LABEL]
    buttons = root.findall(f".//{{{CUSTOMUI14_NS}}}button")
    assert sorted(b.get("label") for b in buttons) == sorted(LABELS)
    assert {b.get("size") for b in buttons} == {"large"}
    assert all(b.get("imageMso") for b in buttons)
    assert len({b.get("id") for b in buttons}) == len(buttons)


def test_every_on_action_has_a_ribbon_sub_and_no_sub_is_orphaned():
    actions = ribbon_callbacks(load_ribbon_xml())
    subs = vba_ribbon_subs(load_callback_source())
    assert len(actions) == len(BUTTONS) == len(set(actions))
    assert sorted(actions) == sorted(subs)


def test_callback_module_is_ascii_with_crlf():
    raw = CALLBACK_TEMPLATE.read_bytes()
    raw.decode("ascii")
    assert load_callback_source().count("\r\n") == load_callback_source().count("\n")
    assert load_callback_source().startswith('Attribute VB_Name = "CoverageXL"\r\n')


def test_every_run_python_target_is_an_agreed_excel_function():
    targets = run_python_targets(load_callback_source())
    assert len(targets) == len(BUTTONS)
    assert {mod for mod, _ in targets} == {EXCEL_MODULE}
    assert {func for _, func in targets} == EXCEL_FUNCTIONS == {b.function for b in BUTTONS}


def test_every_run_python_target_is_importable():
    if importlib.util.find_spec(EXCEL_MODULE) is None:
        pytest.skip(f"{EXCEL_MODULE} is not written yet")
    module = importlib.import_module(EXCEL_MODULE)
    for _mod, func in run_python_targets(load_callback_source()):
        target = getattr(module, func, None)
        assert callable(target), func
        # RunPython calls it as m.f(): it must take no required argument.
        inspect.signature(target, follow_wrapped=False).bind()


def test_a_chinese_character_in_the_callback_module_is_refused(tmp_path, monkeypatch):
    import coverage_xl.xlsm.ribbon as ribbon
    from coverage_xl.errors import CoverageError

    bad = tmp_path / "CoverageXL.bas"
    bad.write_bytes(callback_module_source().replace("' Ribbon", "' 功能区").encode("utf-8"))
    monkeypatch.setattr(ribbon, "CALLBACK_TEMPLATE", bad)
    with pytest.raises(CoverageError, match="ASCII"):
        ribbon.load_callback_source()
