"""Save an openpyxl workbook over (or beside) a macro-enabled master without losing ribbon or VBA.

openpyxl with ``keep_vba=True`` carries ``vbaProject.bin`` and the ``customUI/`` files along, but
writes its own ``_rels/.rels`` without the ribbon relationship, and it knows nothing of document
modules: a sheet added by a job has no code name and no module. :func:`save_preserving` therefore
saves with openpyxl to memory and re-assembles the package from the *source* master:

* the ribbon parts and their relationship are copied from ``source``;
* the VBA project is rebuilt from the modules of the source project (read back from its streams):
  the workbook's document module, every standard and class module unchanged, the raw reference
  records and the code page as they were, and one document module per worksheet now present — the
  source's module for a sheet that kept its code name, a fresh empty one (``SheetN``, the first free
  number) for a new sheet or a copy that duplicated a code name; modules of deleted sheets go;
* ``codeName`` attributes are set to match; the result goes through the output guard (atomic, rotating backups).
"""

from __future__ import annotations

import io
from pathlib import Path

from coverage_xl import guard
from coverage_xl.errors import InputError
from coverage_xl.sheets.frame import save_workbook
from coverage_xl.xlsm.ovba import (
    WORKBOOK_BASE,
    VbaModule,
    build_vba_project,
    document_module,
    read_vba_project,
)
from coverage_xl.xlsm.package import (
    RT_VBA,
    assemble_xlsm,
    main_part,
    part_rels,
    read_package,
    resolve_target,
    ribbon_from_package,
)


def _is_identifier(name: str | None) -> bool:
    return bool(name) and len(name) <= 31 and name.isascii() and name.isidentifier()  # type: ignore[union-attr]


def assign_code_names(sheet_code_names: list[str | None], taken: set[str]) -> list[str]:
    """Keep each valid, unique code name; give the others the first free ``SheetN``.

    ``taken`` holds (upper-cased) names of the other modules, which a sheet may not reuse.
    """
    used = {t.upper() for t in taken}
    out: list[str] = []
    pending: list[int] = []
    for i, name in enumerate(sheet_code_names):
        if _is_identifier(name) and name.upper() not in used:  # type: ignore[union-attr]
            used.add(name.upper())  # type: ignore[union-attr]
            out.append(name)  # type: ignore[arg-type]
        else:
            out.append("")
            pending.append(i)
    n = 1
    for i in pending:
        while f"SHEET{n}" in used:
            n += 1
        out[i] = f"Sheet{n}"
        used.add(f"SHEET{n}")
    return out


def save_preserving(wb, target: str | Path, *, source: str | Path, kind: str = "master",
                    update: bool = True) -> Path:
    """Save openpyxl workbook ``wb`` to ``target`` keeping the ribbon and VBA project of ``source``.

    ``source`` is the macro-enabled master ``wb`` was loaded from (it may equal ``target``). The
    workbook's and sheets' ``codeName`` properties are updated in ``wb`` as a side effect.
    """
    if Path(target).suffix.lower() != ".xlsm":
        raise InputError(f"“{target}”应以 .xlsm 结尾：带宏的工作簿只能存为 .xlsm。")
    src_parts = read_package(source)
    book = main_part(src_parts)
    vba_targets = [resolve_target(book, r.get("Target", "")) for r in part_rels(src_parts, book) if r.get("Type") == RT_VBA]
    if not vba_targets or vba_targets[0] not in src_parts:
        raise InputError(f"“{source}”中没有 VBA 工程（不是带按钮的汇总工作簿 .xlsm），无法保留按钮和宏。")
    project = read_vba_project(src_parts[vba_targets[0]])
    ribbon = ribbon_from_package(src_parts)

    documents = {m.name.upper(): m for m in project.modules if m.kind == "document"}
    code = [m for m in project.modules if m.kind != "document"]
    book_module = next((m for m in documents.values() if WORKBOOK_BASE in m.source.split("\r\n", 2)[1]), None)
    if book_module is None:
        book_module = document_module(wb.code_name if _is_identifier(wb.code_name) else "ThisWorkbook", workbook=True)
    wb.code_name = book_module.name

    taken = {book_module.name} | {m.name for m in code}
    names = assign_code_names([ws.sheet_properties.codeName for ws in wb.worksheets], taken)
    for ws, name in zip(wb.worksheets, names, strict=True):
        ws.sheet_properties.codeName = name
    sheet_modules: list[VbaModule] = [documents.get(n.upper()) or document_module(n) for n in names]

    vba_bin = build_vba_project(
        [book_module, *sheet_modules, *code],
        references=project.references,
        codepage=project.codepage,
        syskind=project.syskind,
        project_id=project.project_id,
    )
    buf = io.BytesIO()
    save_workbook(wb, buf)
    data = assemble_xlsm(buf.getvalue(), vba_bin, ribbon, sheet_code_names=names, workbook_code_name=book_module.name)
    return guard.write_bytes(target, data, kind=kind, update=update)
