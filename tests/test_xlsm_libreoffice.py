"""LibreOffice, a second and independent reader of the whole package, opens the master.

LibreOffice imports a VBA project as Basic library ``VBAProject``; converting to .ods writes each
module out as ``Basic/VBAProject/<name>.xml`` with its kind, which lists the modules as LibreOffice
sees them. It cannot run xlwings' module (no DLL), so the callback test swaps in a stub ``xlwings``
module whose ``RunPython`` writes its argument into cell A1, and runs each ribbon callback through UNO.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

from coverage_xl.xlsm import build_macro_workbook, save_preserving
from coverage_xl.xlsm.ovba import build_vba_project, document_module, standard_module
from coverage_xl.xlsm.package import make_xlsm
from coverage_xl.xlsm.ribbon import BUTTONS, load_ribbon_xml, run_python_code
from coverage_xl.xlsm.vba_sources import callback_module

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"),
]

KINDS = {"ThisWorkbook": "document", "Sheet1": "document", "Sheet2": "document", "xlwings": "normal",
         "Dictionary": "class", "CoverageXL": "normal"}


def soffice(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["soffice", "--headless", "--norestore", "--nologo", f"-env:UserInstallation={profile.as_uri()}", *args],
        capture_output=True, text=True, timeout=180, check=False,
    )


def convert(src: Path, fmt: str, tmp: Path) -> Path:
    out = tmp / f"out-{fmt}"
    proc = soffice(["--convert-to", fmt, "--outdir", str(out), str(src)], tmp / "profile")
    result = out / f"{src.stem}.{fmt}"
    assert result.exists() and result.stat().st_size > 0, proc.stdout + proc.stderr
    assert "Error" not in proc.stderr, proc.stderr
    return result


def basic_modules(ods: Path) -> dict[str, tuple[str, str]]:
    """{module: (kind, code)} of library VBAProject as LibreOffice stored it."""
    out = {}
    with zipfile.ZipFile(ods) as zf:
        for name in zf.namelist():
            found = re.fullmatch(r"Basic/VBAProject/(\w+)\.xml", name)
            if found and found.group(1) != "script-lb":
                xml = zf.read(name).decode("utf-8")
                kind = re.search(r'script:moduleType="(\w+)"', xml).group(1)
                out[found.group(1)] = (kind, xml)
    return out


def _xlsx(sheets: int) -> bytes:
    wb = openpyxl.Workbook()
    wb.active.title = "摸底统计表"
    for i in range(1, sheets):
        wb.create_sheet(f"表{i}")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _check_master(path: Path, tmp: Path, kinds: dict[str, str]) -> None:
    modules = basic_modules(convert(path, "ods", tmp))
    assert {name: kind for name, (kind, _) in modules.items()} == kinds
    for b in BUTTONS:
        assert f"Sub {b.callback}(control As IRibbonControl)" in modules["CoverageXL"][1]
        assert run_python_code(b) in modules["CoverageXL"][1]


def test_libreoffice_opens_the_master_and_lists_its_modules(tmp_path):
    master = tmp_path / "master.xlsm"
    build_macro_workbook(_xlsx(2), master)
    _check_master(master, tmp_path, KINDS)
    convert(master, "xlsx", tmp_path)
    convert(master, "pdf", tmp_path)


def test_libreoffice_opens_the_master_after_a_later_write(tmp_path):
    master = tmp_path / "master.xlsm"
    build_macro_workbook(_xlsx(2), master)
    wb = openpyxl.load_workbook(master, keep_vba=True)
    wb.create_sheet("调度表")["A1"] = "调度"
    save_preserving(wb, master, source=master)
    _check_master(master, tmp_path, KINDS | {"Sheet3": "document"})
    convert(master, "pdf", tmp_path)


UNO_RUNNER = r'''
import os, subprocess, sys, time, uno
from com.sun.star.beans import PropertyValue

def prop(name, value):
    p = PropertyValue(); p.Name = name; p.Value = value; return p

doc_path, profile, callbacks = sys.argv[1], sys.argv[2], sys.argv[3:]
pipe = "cxl%d" % os.getpid()
proc = subprocess.Popen(["soffice", "--headless", "--norestore", "--nologo",
                         "-env:UserInstallation=" + uno.systemPathToFileUrl(profile),
                         "--accept=pipe,name=%s;urp;" % pipe])
desktop = None
try:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(240):
        try:
            ctx = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
            break
        except Exception:
            time.sleep(0.25)
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(doc_path), "_blank", 0,
                                       (prop("Hidden", True), prop("MacroExecutionMode", 4)))
    cell = doc.Sheets.getByIndex(0).getCellByPosition(0, 0)
    for cb in callbacks:
        cell.String = ""
        url = "vnd.sun.star.script:VBAProject.CoverageXL.%s?language=Basic&location=document" % cb
        # The ribbon passes an IRibbonControl; any object will do for LibreOffice.
        doc.getScriptProvider().getScript(url).invoke((doc,), (), ())
        print("%s\t%s" % (cb, cell.String))
    doc.close(True)
finally:
    if desktop is not None:
        try:
            desktop.terminate()
        except Exception:
            pass
    try:
        proc.wait(timeout=30)
    except Exception:
        proc.kill()
'''


def _uno_python() -> str | None:
    for candidate in ("/usr/bin/python3", shutil.which("python3")):
        if candidate and subprocess.run([candidate, "-c", "import uno"], capture_output=True, check=False).returncode == 0:
            return candidate
    return None


def test_every_ribbon_callback_runs_its_python_call_in_libreoffice(tmp_path):
    python = _uno_python()
    if python is None:
        pytest.skip("no Python with LibreOffice's uno module")
    stub = standard_module(
        "xlwings",
        "Public Sub RunPython(ByVal PythonCommand As String)\r\n"
        "    ThisComponent.Sheets.getByIndex(0).getCellByPosition(0, 0).String = PythonCommand\r\n"
        "End Sub\r\n",
    )
    vba = build_vba_project([document_module("ThisWorkbook", workbook=True), document_module("Sheet1"), stub, callback_module()])
    book = tmp_path / "stub.xlsm"
    make_xlsm(_xlsx(1), book, vba, load_ribbon_xml())
    runner = tmp_path / "runner.py"
    runner.write_text(UNO_RUNNER, encoding="utf-8")
    proc = subprocess.run(
        [python, str(runner), str(book), str(tmp_path / "profile"), *(b.callback for b in BUTTONS)],
        capture_output=True, text=True, timeout=180, check=False,
    )
    got = dict(line.split("\t", 1) for line in proc.stdout.splitlines() if "\t" in line)
    assert got == {b.callback: run_python_code(b) for b in BUTTONS}, proc.stdout + proc.stderr
