"""Turn a workbook package (.xlsx from openpyxl) into a macro-enabled one with our ribbon and VBA.

The zip is edited part by part, never re-created by a spreadsheet library, because openpyxl drops
the ribbon (it keeps ``customUI/*`` but not its relationship in ``_rels/.rels``). What is set:

* ``[Content_Types].xml``: the main part becomes ``application/vnd.ms-excel.sheet.macroEnabled.main+xml``
  and ``/xl/vbaProject.bin`` gets ``application/vnd.ms-office.vbaProject``;
* ``xl/vbaProject.bin`` and its relationship from the workbook part (any older one is replaced);
* the ribbon parts (``customUI/customUI14.xml`` and whatever sits beside it) and their relationship
  from ``_rels/.rels``;
* ``codeName`` on ``workbookPr`` and on each worksheet's ``sheetPr``, in sheet order, which must name
  the document modules of the VBA project.

XML that Excel is picky about (workbook, sheets) is edited as text on the start tags only, so
namespaces, prefixes and ``mc:Ignorable`` lists stay exactly as they were; the two small
single-namespace parts (content types and relationships) are rebuilt with ElementTree.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET
from xml.sax.saxutils import quoteattr

from coverage_xl import guard
from coverage_xl.errors import InputError

CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
RT_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
RT_WORKSHEET = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
RT_VBA = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
RT_UI14 = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"  # customUI14.xml
RT_UI12 = "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"  # customUI.xml (2007)
UI_REL_TYPES = (RT_UI14, RT_UI12)
CT_MACRO_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
CT_ADDIN_MAIN = "application/vnd.ms-excel.addin.macroEnabled.main+xml"  # .xlam: an Excel add-in
CT_PLAIN_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
CT_VBA = "application/vnd.ms-office.vbaProject"
RIBBON_PART = "customUI/customUI14.xml"


@dataclass
class RibbonParts:
    """The ribbon as package parts: files under ``customUI/`` and their relationships from the root."""

    parts: dict[str, bytes] = field(default_factory=dict)
    rels: list[tuple[str, str]] = field(default_factory=list)  # (relationship type, target part)
    defaults: dict[str, str] = field(default_factory=dict)  # extension -> content type (e.g. images)

    @classmethod
    def from_xml(cls, ribbon_xml: str | bytes) -> RibbonParts:
        data = ribbon_xml.encode("utf-8") if isinstance(ribbon_xml, str) else ribbon_xml
        return cls({RIBBON_PART: data}, [(RT_UI14, RIBBON_PART)])


# --- reading a package ----------------------------------------------------------------------------


def read_package(xlsx: str | Path | bytes) -> dict[str, bytes]:
    """All parts of a package, in zip order (a dict keeps it)."""
    try:
        raw = xlsx if isinstance(xlsx, bytes) else Path(xlsx).read_bytes()
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            return {info.filename: zf.read(info) for info in zf.infolist() if not info.is_dir()}
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(f"无法读取工作簿“{xlsx if not isinstance(xlsx, bytes) else '(内存)'}”：{exc}") from exc


def _rels_path(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def resolve_target(source_part: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def part_rels(parts: dict[str, bytes], part: str) -> list[ET.Element]:
    data = parts.get(_rels_path(part))
    return list(ET.fromstring(data)) if data else []


def main_part(parts: dict[str, bytes]) -> str:
    for rel in part_rels(parts, ""):
        if rel.get("Type") == RT_OFFICE_DOCUMENT:
            return resolve_target("", rel.get("Target", ""))
    raise InputError("工作簿缺少主部件（_rels/.rels 中没有 officeDocument 关系），文件可能已损坏。")


def worksheet_parts(parts: dict[str, bytes]) -> list[str]:
    """Worksheet parts in tab order (chart sheets have no document module here and are skipped)."""
    book = main_part(parts)
    targets = {r.get("Id"): r for r in part_rels(parts, book)}
    xml = parts[book].decode("utf-8")
    out = []
    for tag in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", xml):
        rid = re.search(r'\br:id="([^"]+)"', tag) or re.search(r'\b\w+:id="([^"]+)"', tag)
        rel = targets.get(rid.group(1)) if rid else None
        if rel is not None and rel.get("Type") == RT_WORKSHEET:
            out.append(resolve_target(book, rel.get("Target", "")))
    return out


def ribbon_from_package(parts: dict[str, bytes]) -> RibbonParts:
    """The ribbon parts of an existing package: each UI relationship's target and its folder."""
    ribbon = RibbonParts()
    folders = set()
    for rel in part_rels(parts, ""):
        if rel.get("Type") in UI_REL_TYPES:
            target = resolve_target("", rel.get("Target", ""))
            ribbon.rels.append((rel.get("Type", RT_UI14), target))
            folders.add(posixpath.dirname(target) + "/")
    for name, data in parts.items():
        if any(name.startswith(f) for f in folders):
            ribbon.parts[name] = data
    types = ET.fromstring(parts["[Content_Types].xml"])
    exts = {posixpath.splitext(n)[1].lstrip(".").lower() for n in ribbon.parts}
    for el in types.findall(f"{{{CT_NS}}}Default"):
        if el.get("Extension", "").lower() in exts - {"xml", "rels"}:
            ribbon.defaults[el.get("Extension", "")] = el.get("ContentType", "")
    return ribbon


# --- editing --------------------------------------------------------------------------------------


def _set_attr(tag: str, name: str, value: str) -> str:
    """Set attribute ``name`` on a start tag given as text."""
    if re.search(rf'\s{name}="[^"]*"', tag):
        return re.sub(rf'(\s{name}=)"[^"]*"', rf'\1"{value}"', tag, count=1)
    end = -2 if tag.endswith("/>") else -1
    return f'{tag[:end].rstrip()} {name}="{value}"{tag[end:]}'


def _set_code_name(xml: str, element: str, after: tuple[str, ...], code_name: str) -> str:
    """Set ``codeName`` on ``element`` (workbookPr / sheetPr), creating it where the schema wants it."""
    found = re.search(rf"<(\w+:)?{element}\b[^>]*?/?>", xml)
    if found:
        return xml[: found.start()] + _set_attr(found.group(0), "codeName", code_name) + xml[found.end() :]
    anchor = None
    for name in after:  # insert after the last preceding sibling present, else after the root tag
        for m in re.finditer(rf"<(\w+:)?{name}\b[^>]*?(/>|>.*?</(\w+:)?{name}>)", xml, re.S):
            anchor = m
    if anchor is None:
        anchor = re.search(r"<(?!\?)(\w+:)?\w+\b[^>]*?>", xml)  # the root start tag
    assert anchor is not None
    prefix = re.match(r"<(\w+:)?", anchor.group(0)).group(1) or ""  # type: ignore[union-attr]
    return xml[: anchor.end()] + f'<{prefix}{element} codeName="{code_name}"/>' + xml[anchor.end() :]


def _flat_xml(root: ET.Element, ns: str) -> bytes:
    """Serialise a one-level, one-namespace part (content types, relationships) as Office writes it."""
    local = root.tag.split("}")[-1]
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>', f"<{local} xmlns={quoteattr(ns)}>"]
    for el in root:
        attrs = "".join(f" {k}={quoteattr(v)}" for k, v in el.attrib.items())
        out.append(f"<{el.tag.split('}')[-1]}{attrs}/>")
    out.append(f"</{local}>")
    return "".join(out).encode("utf-8")


def _content_types(parts: dict[str, bytes], book: str, vba_part: str, ribbon: RibbonParts, dropped: set[str],
                   main_type: str = CT_MACRO_MAIN) -> bytes:
    root = ET.fromstring(parts["[Content_Types].xml"])
    for el in list(root):
        part = el.get("PartName", "").lstrip("/")
        if el.tag == f"{{{CT_NS}}}Override" and (part in dropped or part == vba_part):
            root.remove(el)
        elif el.tag == f"{{{CT_NS}}}Override" and part == book and el.get("ContentType") in (CT_PLAIN_MAIN, CT_MACRO_MAIN):
            el.set("ContentType", main_type)
    if not any(el.get("PartName", "").lstrip("/") == book for el in root):
        ET.SubElement(root, f"{{{CT_NS}}}Override", PartName=f"/{book}", ContentType=main_type)
    ET.SubElement(root, f"{{{CT_NS}}}Override", PartName=f"/{vba_part}", ContentType=CT_VBA)
    have = {el.get("Extension", "").lower() for el in root.findall(f"{{{CT_NS}}}Default")}
    for ext, ctype in ribbon.defaults.items():
        if ext.lower() not in have:
            root.insert(0, ET.Element(f"{{{CT_NS}}}Default", Extension=ext, ContentType=ctype))
    return _flat_xml(root, CT_NS)


def _with_rels(data: bytes | None, drop_types: tuple[str, ...], add: list[tuple[str, str]]) -> bytes:
    root = ET.fromstring(data) if data else ET.Element(f"{{{REL_NS}}}Relationships")
    for rel in list(root):
        if rel.get("Type") in drop_types:
            root.remove(rel)
    ids = {rel.get("Id") for rel in root}
    n = 1
    for rel_type, target in add:
        while f"rId{n}" in ids:
            n += 1
        ids.add(f"rId{n}")
        ET.SubElement(root, f"{{{REL_NS}}}Relationship", Id=f"rId{n}", Type=rel_type, Target=target)
    return _flat_xml(root, REL_NS)


def assemble_xlsm(
    xlsx: str | Path | bytes,
    vba_bin: bytes,
    ribbon: RibbonParts,
    *,
    sheet_code_names: list[str],
    workbook_code_name: str = "ThisWorkbook",
    main_type: str = CT_MACRO_MAIN,
) -> bytes:
    """Return the .xlsm bytes: ``xlsx`` with ``vba_bin``, ``ribbon`` and code names set.

    ``main_type`` is the workbook part's content type: a macro-enabled workbook, or (CT_ADDIN_MAIN)
    an add-in, which is all that makes an .xlam differ from an .xlsm inside."""
    parts = read_package(xlsx)
    book = main_part(parts)
    sheets = worksheet_parts(parts)
    if len(sheets) != len(sheet_code_names):
        raise ValueError(f"{len(sheets)} worksheets but {len(sheet_code_names)} sheet code names")

    # Drop any earlier VBA project (and its signature parts) and any earlier ribbon.
    dropped = {resolve_target(book, r.get("Target", "")) for r in part_rels(parts, book) if r.get("Type") == RT_VBA}
    dropped |= {resolve_target("", r.get("Target", "")) for r in part_rels(parts, "") if r.get("Type") in UI_REL_TYPES}
    dropped |= {_rels_path(p) for p in list(dropped)}
    dropped |= {n for n in parts if n.startswith("customUI/") or posixpath.basename(n).startswith("vbaProjectSignature")}
    vba_part = posixpath.join(posixpath.dirname(book), "vbaProject.bin")

    out_parts: dict[str, bytes] = {}
    for name, data in parts.items():
        if name in dropped or name == vba_part:
            continue
        if name == "[Content_Types].xml":
            data = _content_types(parts, book, vba_part, ribbon, dropped, main_type)
        elif name == _rels_path(""):
            data = _with_rels(data, UI_REL_TYPES, list(ribbon.rels))
        elif name == _rels_path(book):
            data = _with_rels(data, (RT_VBA,), [(RT_VBA, posixpath.relpath(vba_part, posixpath.dirname(book)))])
        elif name == book:
            data = _set_code_name(data.decode("utf-8"), "workbookPr", ("fileVersion", "fileSharing"), workbook_code_name).encode("utf-8")
        elif name in sheets:
            code = sheet_code_names[sheets.index(name)]
            data = _set_code_name(data.decode("utf-8"), "sheetPr", (), code).encode("utf-8")
        out_parts[name] = data
    if _rels_path(book) not in out_parts:
        out_parts[_rels_path(book)] = _with_rels(None, (), [(RT_VBA, "vbaProject.bin")])
    out_parts[vba_part] = vba_bin
    out_parts.update(ribbon.parts)

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        # [Content_Types].xml first, as Office writes it (some readers sniff the first entry).
        for name in sorted(out_parts, key=lambda n: n != "[Content_Types].xml"):
            zf.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), out_parts[name], zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def make_xlsm(
    xlsx: str | Path | bytes,
    out_path: str | Path,
    vba_bin: bytes,
    ribbon_xml: str | bytes | RibbonParts,
    *,
    sheet_code_names: list[str] | None = None,
    workbook_code_name: str = "ThisWorkbook",
    main_type: str = CT_MACRO_MAIN,
    kind: str = "master",
    update: bool = False,
) -> Path:
    """Write ``out_path`` through the output guard as a macro-enabled workbook (``update``: it replaces
    an existing master whose content has been carried over, see :func:`coverage_xl.master.build_master`).

    ``sheet_code_names`` default to Sheet1, Sheet2, ... in tab order; they must match the document
    modules inside ``vba_bin``.
    """
    ribbon = ribbon_xml if isinstance(ribbon_xml, RibbonParts) else RibbonParts.from_xml(ribbon_xml)
    if sheet_code_names is None:
        sheet_code_names = [f"Sheet{i}" for i in range(1, len(worksheet_parts(read_package(xlsx))) + 1)]
    data = assemble_xlsm(xlsx, vba_bin, ribbon, sheet_code_names=sheet_code_names, workbook_code_name=workbook_code_name,
                         main_type=main_type)
    return guard.write_bytes(out_path, data, kind=kind, update=update)
