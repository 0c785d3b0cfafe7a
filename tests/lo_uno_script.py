"""Drive LibreOffice through UNO: type values into a workbook and let Calc judge them.

Run with a Python that has Debian's ``python3-uno`` (the system /usr/bin/python3), not the venv:
``python3 lo_uno_script.py < job.json``. The job lists files; for each one the script opens it
hidden, types the given strings into cells of the first sheet (as a person would: text input),
asks Calc to circle invalid data (Tools ▸ Detective ▸ Mark Invalid Data, ``showInvalid``), reads the
circled cells back, and optionally stores the result as HTML (Calc's HTML export paints the
conditional formats, so a test can see which cells turned red). One soffice process serves the
whole job. Output: one JSON object on stdout.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import uno
from com.sun.star.beans import PropertyValue


def _pv(name, value):
    p = PropertyValue()
    p.Name = name
    p.Value = value
    return p


def _connect(pipe):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    last = None
    for _ in range(300):
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except Exception as exc:  # noqa: BLE001 - not up yet
            last = exc
            time.sleep(0.2)
    raise RuntimeError(f"soffice did not answer: {last}")


def _address(name):
    letters = "".join(ch for ch in name if ch.isalpha()).upper()
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return col - 1, int(name[len(letters):]) - 1


def _delete_rows(ctx, doc, sheet, rows):
    """Delete whole rows as a clerk does (select the row, 行 ▸ 删除行: .uno:DeleteRows), bottom
    first; report per row whether the row is gone (Calc refuses on a protected sheet when the row
    holds a locked cell)."""
    dispatcher = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.DispatchHelper", ctx)
    frame = doc.CurrentController.Frame
    done = []
    for row in sorted(rows, reverse=True):
        marker = sheet.getCellByPosition(2, row - 1).getString()
        before = sheet.getCellRangeByName("A1:A1048576").queryContentCells(1023).Count
        doc.CurrentController.select(sheet.getCellRangeByName(f"A{row}:A{row}"))
        dispatcher.executeDispatch(frame, ".uno:DeleteRows", "", 0, ())
        after = sheet.getCellRangeByName("A1:A1048576").queryContentCells(1023).Count
        done.append([row, sheet.getCellByPosition(2, row - 1).getString() != marker or after < before])
    return done


def _cpu_seconds(root):
    """CPU time (user + system) of soffice: ``root`` and its descendants (soffice starts soffice.bin).
    On a shared machine it varies far less than the wall clock; the benchmarks report both."""
    stats = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += stats.get(pid, (0, 0))[1]
        todo.extend(child for child, (parent, _) in stats.items() if parent == pid)
    return total / os.sysconf("SC_CLK_TCK")


def run(job):
    profile = tempfile.mkdtemp(prefix="cxl-lo-")
    pipe = f"cxl{os.getpid()}"
    proc = subprocess.Popen(
        [job.get("soffice", "soffice"), "--headless", "--invisible", "--norestore", "--nologo",
         "--nodefault", f"-env:UserInstallation=file://{profile}", f"--accept=pipe,name={pipe};urp;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = []
    try:
        ctx = _connect(pipe)
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        for item in job["files"]:
            url = uno.systemPathToFileUrl(os.path.abspath(item["path"]))
            out = {"path": item["path"], "loaded": False}
            results.append(out)
            try:
                cpu_started = _cpu_seconds(proc.pid)
                started = time.perf_counter()
                props = (_pv("Hidden", True),) + ((_pv("FilterName", item["filter"]),) if item.get("filter") else ())
                doc = desktop.loadComponentFromURL(url, "_blank", 0, props)
                loaded = time.perf_counter()
                cpu_loaded = _cpu_seconds(proc.pid)
                edit_started = time.perf_counter()
            except Exception as exc:  # noqa: BLE001
                out["error"] = repr(exc)
                continue
            if doc is None:
                continue
            out["loaded"] = True
            try:
                out["sheets"] = list(doc.Sheets.ElementNames)
                if hasattr(doc, "BasicLibraries"):
                    libs = doc.BasicLibraries
                    out["basic"] = {n: list(libs.getByName(n).ElementNames) for n in libs.ElementNames
                                    if libs.hasByName(n)} if libs is not None else {}
                sheet = doc.Sheets.getByIndex(0)
                for ref, value in item.get("cells", {}).items():
                    col, row = _address(ref)
                    sheet.getCellByPosition(col, row).setString(value)
                for ref, value in item.get("numbers", {}).items():
                    col, row = _address(ref)
                    sheet.getCellByPosition(col, row).setValue(value)
                doc.calculate()  # what an edit costs: the dirty cells only
                edited = time.perf_counter()
                cpu_edited = _cpu_seconds(proc.pid)
                all_started = time.perf_counter()
                doc.calculateAll()
                out["seconds"] = {"load": loaded - started, "edit_recalc": edited - edit_started,
                                  "recalc_all": time.perf_counter() - all_started,
                                  "cpu_load": cpu_loaded - cpu_started, "cpu_edit_recalc": cpu_edited - cpu_loaded}
                if item.get("delete_rows"):
                    out["deleted"] = _delete_rows(ctx, doc, sheet, item["delete_rows"])
                    doc.calculateAll()
                if item.get("invalid", True):
                    sheet.showInvalid()
                    circled = []
                    page = sheet.DrawPage
                    for i in range(page.Count):
                        shape = page.getByIndex(i)
                        anchor = getattr(shape, "Anchor", None)
                        addr = getattr(anchor, "CellAddress", None)
                        if shape.ShapeType.endswith("EllipseShape") and addr is not None:
                            circled.append([addr.Row + 1, addr.Column + 1])
                    out["invalid"] = sorted(circled)
                values = {}
                for ref in item.get("read", []):
                    col, row = _address(ref)
                    values[ref] = sheet.getCellByPosition(col, row).getString()
                out["values"] = values
                if item.get("save_as"):  # as a clerk saves it: Calc's own .xlsx, with its cached results
                    doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(item["save_as"])),
                                   (_pv("FilterName", "Calc MS Excel 2007 XML"),))
                if item.get("html"):
                    doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(item["html"])),
                                   (_pv("FilterName", "HTML (StarCalc)"),))
            except Exception as exc:  # noqa: BLE001
                out["error"] = repr(exc)
            finally:
                doc.close(True)
        try:
            desktop.terminate()
        except Exception:  # noqa: BLE001 - the bridge goes away as it quits
            pass
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(profile, ignore_errors=True)
    return {"files": results}


if __name__ == "__main__":
    print(json.dumps(run(json.load(sys.stdin)), ensure_ascii=False))
