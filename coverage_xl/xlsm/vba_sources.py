"""The VBA modules of the master workbook: xlwings' own two, read from the installed package, and ours.

xlwings' standalone module ``xlwings.bas`` names its DLL with the package version
(``xlwings64-0.37.8.dll``), so it must come from the very xlwings that will run the macros: it is read
at build time, never copied into the repository. Its class ``Dictionary`` (``addin/Dictionary.cls``) is
an exported class file; :func:`class_source_from_cls` turns it into the form a project stores.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from coverage_xl.errors import CoverageError
from coverage_xl.xlsm.ovba import CLASS_BASE, EOL, VbaModule, document_module
from coverage_xl.xlsm.ribbon import MASTER_RIBBON, Ribbon, load_callback_source

_INSTALL_HINT = "请在运行本程序的 Python 环境中执行：pip install xlwings（须与 Excel 中使用的 xlwings 版本一致）。"


def xlwings_dir() -> Path:
    """Folder of the installed xlwings package, without importing it (it is not needed on Linux)."""
    spec = importlib.util.find_spec("xlwings")
    if spec is None or not spec.origin:
        raise CoverageError("未找到 xlwings，无法生成带按钮的汇总工作簿（.xlsm）。" + _INSTALL_HINT)
    return Path(spec.origin).parent


def _read(path: Path) -> str:
    try:
        text = path.read_bytes().decode("cp1252")
    except FileNotFoundError as exc:
        raise CoverageError(f"已安装的 xlwings 缺少文件“{path.name}”，安装可能不完整。" + _INSTALL_HINT) from exc
    return normalise_eol(text)


def normalise_eol(text: str) -> str:
    """VBA stores CRLF line ends; files may come with LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", EOL)


def module_from_bas(text: str, kind: str = "module") -> VbaModule:
    """A module from a .bas file, whose first line is ``Attribute VB_Name = "..."``."""
    text = normalise_eol(text)
    first = text.split(EOL, 1)[0]
    prefix = 'Attribute VB_Name = "'
    if not first.startswith(prefix) or not first.endswith('"'):
        raise ValueError("a .bas file must start with its Attribute VB_Name line")
    return VbaModule(first[len(prefix) : -1], kind, text)  # type: ignore[arg-type]


def class_source_from_cls(text: str) -> VbaModule:
    """Turn an exported .cls file into the source a project stores, as Excel does on import.

    The ``VERSION 1.0 CLASS`` / ``BEGIN`` ... ``END`` header goes; ``VB_Base`` follows ``VB_Name``;
    ``VB_TemplateDerived`` and ``VB_Customizable`` (both False) follow ``VB_Exposed`` if missing.
    """
    lines = normalise_eol(text).split(EOL)
    if lines and lines[0].startswith("VERSION "):
        end = lines.index("END")
        lines = lines[end + 1 :]
    out: list[str] = []
    for line in lines:
        out.append(line)
        if line.startswith("Attribute VB_Name = ") and not any(x.startswith("Attribute VB_Base") for x in lines):
            out.append(f'Attribute VB_Base = "{CLASS_BASE}"')
        if line.startswith("Attribute VB_Exposed = "):
            for extra in ("VB_TemplateDerived", "VB_Customizable"):
                if not any(x.startswith(f"Attribute {extra} ") for x in lines):
                    out.append(f"Attribute {extra} = False")
    module = module_from_bas(EOL.join(out), "class")
    return module


def xlwings_modules() -> list[VbaModule]:
    """xlwings' standalone module (named ``xlwings``) and its ``Dictionary`` class, as installed."""
    folder = xlwings_dir()
    return [module_from_bas(_read(folder / "xlwings.bas")), class_source_from_cls(_read(folder / "addin" / "Dictionary.cls"))]


def embedded_xlwings_version() -> str:
    """The xlwings version the built workbook will need: the one its xlwings.bas names its DLL by."""
    from coverage_xl.doctor import dll_version

    path = xlwings_dir() / "xlwings.bas"
    version = dll_version(_read(path))
    if version is None:
        raise CoverageError(f"无法从“{path}”中读出 xlwings 的版本（DLL 名称），安装可能不完整。" + _INSTALL_HINT)
    return version


def callback_module(spec: Ribbon = MASTER_RIBBON) -> VbaModule:
    """Our ribbon callback module (``templates/vba/CoverageXL.bas``, or the add-in's)."""
    module = module_from_bas(load_callback_source(spec))
    if module.name != spec.module:
        raise CoverageError(f"回调模块的名称应为 {spec.module}，实际为 {module.name}。")
    return module


def project_modules(sheet_code_names: list[str], workbook_code_name: str = "ThisWorkbook",
                    spec: Ribbon = MASTER_RIBBON) -> list[VbaModule]:
    """All modules of a master workbook or add-in: document modules for the workbook and each sheet,
    then xlwings' and the ribbon's callbacks."""
    docs = [document_module(workbook_code_name, workbook=True)] + [document_module(n) for n in sheet_code_names]
    return docs + xlwings_modules() + [callback_module(spec)]
