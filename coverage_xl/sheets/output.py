"""Write the sheets a job owns into an output workbook, and leave everything else alone.

:func:`write_owned_sheets` is the one function the jobs (:mod:`coverage_xl.jobs`: consolidation,
dispatch, the ledger) use to put their sheets into a workbook file — often the bureau's master
workbook (总表.xlsm) with other sheets, defined names, a VBA project and a ribbon tab. The Excel
buttons do not write the open master through it (Excel holds the file): they have a job write a
temporary workbook and copy its sheets into the open book (:func:`coverage_xl.excel.copy_sheet`). It

* loads an existing output with openpyxl (``keep_vba`` for .xlsm/.xltm, ``keep_links``), deletes
  only the named sheets and recreates them at the same tab position (keeping each sheet's
  ``codeName``, which the VBA document modules are bound to), and calls a builder for each;
* keeps every other sheet, style, defined name and the VBA project as openpyxl round-trips them;
* for macro-enabled workbooks keeps the ribbon and VBA: openpyxl copies ``customUI/*`` but drops
  its relationship from ``_rels/.rels`` and knows nothing of VBA document modules;
  :func:`coverage_xl.xlsm.preserve.save_preserving` re-assembles both from the existing file when it
  has a VBA project; otherwise (no VBA project, or a new .xlsm) :func:`restore_package_parts` here
  puts back the ribbon parts and declares the main part macro-enabled;
* writes through the output guard (:mod:`coverage_xl.guard`): never one of the job's inputs, only
  into a workbook this tool made (the master, an earlier consolidate/dispatch output), under the
  master's lock, with a rotating backup and an atomic rename.

What openpyxl itself cannot round-trip (charts' exotic extensions, slicers, form-control shapes
without VBA) is outside this function's reach; the master workbook keeps none of those.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from xml.etree import ElementTree as ET

from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from coverage_xl import guard
from coverage_xl.errors import InputError, OutputError
from coverage_xl.sheets.frame import save_workbook

MACRO_SUFFIXES = (".xlsm", ".xltm")
WRITABLE_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm")
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_MAIN_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
CT_MAIN_XLSM = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
UI_REL_TYPES = (
    "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility",
    "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility",
)

Builder = Callable[[Worksheet], None]


def write_owned_sheets(out_path: str | Path, builders: Mapping[str, Builder], *, kind: str,
                       order: Sequence[str] | None = None, inputs: Iterable[str | Path] = ()) -> Path:
    """Create or update ``out_path`` so that the sheets named in ``builders`` are freshly drawn.

    ``builders`` maps a sheet name to a function that draws that (empty) sheet. Sheets that already
    exist are replaced at the same position; new ones are appended in ``order`` (default: the
    mapping's order) — in a new workbook they are the only sheets. ``kind`` is the job writing
    (``consolidate``, ``dispatch``). Returns ``out_path``.
    """
    out = Path(out_path)
    suffix = out.suffix.lower()
    if suffix not in WRITABLE_SUFFIXES:
        raise InputError(f"输出文件“{out.name}”的扩展名必须是 .xlsx 或 .xlsm。")
    inputs = list(inputs)
    guard.may_write(out, kind=kind, update=True, inputs=inputs)
    with guard.locked(out):
        return _write_locked(out, builders, kind=kind, order=order, inputs=inputs)


def _write_locked(out: Path, builders: Mapping[str, Builder], *, kind: str, order: Sequence[str] | None,
                  inputs: list[str | Path]) -> Path:
    suffix = out.suffix.lower()
    names = list(order) if order is not None else list(builders)
    missing = [n for n in builders if n not in names]
    names += missing
    names = [n for n in names if n in builders]
    macro = suffix in MACRO_SUFFIXES
    existed = out.exists()
    if existed:
        wb = _load(out, macro)
    else:
        wb = Workbook()
        wb.remove(wb.active)
    for name in names:
        _replace_sheet(wb, name, builders[name])
    if not wb.worksheets:
        raise InputError("没有要写入的工作表。")
    if not existed:
        wb.active = 0
    if macro and existed:
        preserve = _package_saver()
        if preserve is not None:
            try:
                preserve(wb, out, source=out, kind=kind)  # through the guard; rebuilds VBA document modules
                return out
            except InputError:
                pass  # no VBA project in the existing file: nothing to rebuild, use the fallback below
    with guard.output(out, kind=kind, update=True, inputs=inputs) as tmp:
        _save(wb, tmp, source=out if existed else None, macro=macro)
    return out


def _load(path: Path, macro: bool) -> Workbook:
    try:
        return load_workbook(path, keep_vba=macro, keep_links=True, rich_text=True)
    except PermissionError as exc:
        raise OutputError(f"无法打开“{path}”：文件可能正在 Excel/WPS 中打开，请关闭后重试。") from exc
    except Exception as exc:  # openpyxl raises many kinds for a broken or foreign file
        raise OutputError(f"已有的输出文件“{path}”无法打开（{exc}）：请检查它是否为 .xlsx/.xlsm 工作簿，"
                          "或换一个输出文件名。原文件未改动。") from exc


def _replace_sheet(wb: Workbook, name: str, build: Builder) -> Worksheet:
    """Delete ``name`` if present and recreate it at the same index, keeping its codeName."""
    code_name = None
    tab_color = None
    index: int | None = None
    was_active = False
    if name in wb.sheetnames:
        old = wb[name]
        index = wb.sheetnames.index(name)
        code_name = old.sheet_properties.codeName
        tab_color = old.sheet_properties.tabColor
        was_active = wb.active is old
        wb.remove(old)
    ws = wb.create_sheet(name, index)
    build(ws)
    if ws.title != name:  # a builder that renames its sheet would break the contract
        ws.title = name
    if code_name:
        ws.sheet_properties.codeName = code_name
    if tab_color is not None:
        ws.sheet_properties.tabColor = tab_color
    if was_active:
        wb.active = wb.sheetnames.index(name)
    return ws


def _save(wb: Workbook, tmp: Path, *, source: Path | None, macro: bool) -> None:
    save_workbook(wb, tmp)
    if macro:
        restore_package_parts(tmp, source)


def _package_saver() -> Callable[..., object] | None:
    """``save_preserving(wb, target, *, source)`` from the xlsm package layer, when present."""
    import importlib

    for name in ("coverage_xl.xlsm.preserve", "coverage_xl.xlsm.package"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        func = getattr(module, "save_preserving", None)
        if func is not None:
            return func
    return None


def restore_package_parts(saved: Path, source: Path | None) -> None:
    """Put back what openpyxl drops from a macro-enabled package, editing the zip in place.

    From ``source`` (the file before this save): ``customUI/*`` parts that are missing, the ribbon
    relationships of ``_rels/.rels`` and the content types those parts need. Without a source (a new
    .xlsm), only make sure the main part is declared macro-enabled, or Excel refuses the file.
    """
    src_parts: dict[str, bytes] = {}
    if source is not None and source.exists():
        with zipfile.ZipFile(source) as zf:
            src_parts = {n: zf.read(n) for n in zf.namelist()
                         if n.startswith("customUI") or n in ("_rels/.rels", "[Content_Types].xml")}
    with zipfile.ZipFile(saved) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    changed = False
    added: list[str] = []
    for name, data in src_parts.items():
        if name.startswith("customUI") and name not in parts:
            parts[name] = data
            added.append(name)
            changed = True
    if "_rels/.rels" in src_parts:
        src_root = ET.fromstring(src_parts["_rels/.rels"])
        root = ET.fromstring(parts["_rels/.rels"])
        have = {(r.get("Type"), r.get("Target", "").lstrip("/")) for r in root}
        ids = {r.get("Id") for r in root}
        for rel in src_root:
            key = (rel.get("Type"), rel.get("Target", "").lstrip("/"))
            if rel.get("Type") in UI_REL_TYPES and key not in have and key[1] in parts:
                rid = rel.get("Id") or "rIdUI"
                n = 1
                while rid in ids:
                    rid = f"rIdUI{n}"
                    n += 1
                ids.add(rid)
                ET.SubElement(root, f"{{{REL_NS}}}Relationship", Id=rid, Type=rel.get("Type"),
                              Target=rel.get("Target"))
                changed = True
        if changed:
            parts["_rels/.rels"] = _xml(root, REL_NS)
    ct = ET.fromstring(parts["[Content_Types].xml"])
    ct_changed = False
    defaults = {d.get("Extension", "").lower() for d in ct.findall(f"{{{CT_NS}}}Default")}
    overrides = {o.get("PartName") for o in ct.findall(f"{{{CT_NS}}}Override")}
    if "[Content_Types].xml" in src_parts:
        src_ct = ET.fromstring(src_parts["[Content_Types].xml"])
        for d in src_ct.findall(f"{{{CT_NS}}}Default"):
            ext = d.get("Extension", "").lower()
            if ext not in defaults and any(n.lower().endswith("." + ext) for n in added):
                ET.SubElement(ct, f"{{{CT_NS}}}Default", Extension=d.get("Extension"), ContentType=d.get("ContentType"))
                defaults.add(ext)
                ct_changed = True
        for o in src_ct.findall(f"{{{CT_NS}}}Override"):
            part = o.get("PartName", "")
            if part.lstrip("/") in added and part not in overrides:
                ET.SubElement(ct, f"{{{CT_NS}}}Override", PartName=part, ContentType=o.get("ContentType"))
                ct_changed = True
    for o in ct.findall(f"{{{CT_NS}}}Override"):
        if o.get("ContentType") == CT_MAIN_XLSX:
            o.set("ContentType", CT_MAIN_XLSM)
            ct_changed = True
    if ct_changed:
        parts["[Content_Types].xml"] = _xml(ct, CT_NS)
    if not (changed or ct_changed):
        return
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(parts, key=lambda n: n != "[Content_Types].xml"):
            zf.writestr(name, parts[name])
    saved.write_bytes(buf.getvalue())


def _xml(root: ET.Element, ns: str) -> bytes:
    ET.register_namespace("", ns)
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + ET.tostring(root, encoding="utf-8")
