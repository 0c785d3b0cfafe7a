"""Is this machine's xlwings the one the master workbook and the add-in were built with?

The master and the add-in embed xlwings' VBA module (``xlwings.bas``) of the xlwings installed when
they were built, and that module names its DLL with the exact version (``xlwings64-0.37.8.dll``). A
later ``pip install -U xlwings`` installs a DLL of another name: every button then fails inside
Excel before any Python runs, with an error that does not say why. So the builder records the
version in the workbook (the defined name ``CXL_XLWINGS_VERSION``), and :func:`diagnose` compares it
with what is installed and says in Chinese what to do.

Reads the packages with zipfile + defusedxml (no spreadsheet library: this is core).
"""

from __future__ import annotations

import re
import sys
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from defusedxml import ElementTree as ET
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

VERSION_NAME = "CXL_XLWINGS_VERSION"  # workbook-level defined name holding the embedded version
_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_DLL = re.compile(r"xlwings(?:32|64)-(\d+(?:\.\d+)+)\.dll")


@dataclass(frozen=True)
class Check:
    ok: bool
    subject: str  # what was checked (Chinese)
    message: str  # what was found and what to do (Chinese)


def installed_xlwings_version() -> str | None:
    try:
        return metadata.version("xlwings")
    except metadata.PackageNotFoundError:
        return None


def required_xlwings_range() -> str | None:
    """The range the ``[excel]`` extra of this installation pins, e.g. ``<0.38,>=0.37.8``."""
    try:
        requires = metadata.requires("coverage-xl") or []
    except metadata.PackageNotFoundError:
        return None
    for req in requires:
        if req.startswith("xlwings") and 'extra == "excel"' in req:
            return req.split(";")[0][len("xlwings"):].strip().strip("()") or None
    return None


def dll_version(bas_text: str) -> str | None:
    """The version named by an xlwings.bas (the DLL it loads)."""
    m = _DLL.search(bas_text)
    return m.group(1) if m else None


def recorded_version(path: str | Path) -> str | None:
    """The xlwings version a master (.xlsm) or add-in (.xlam) was built with, from its defined name.

    Raises ValueError (Chinese) when the file is not a workbook package."""
    try:
        with zipfile.ZipFile(path) as zf:
            xml = zf.read("xl/workbook.xml")
    except (OSError, KeyError, zipfile.BadZipFile) as exc:
        raise ValueError(f"无法读取“{path}”：不是 .xlsm/.xlam 工作簿，或文件已损坏（{exc}）。") from exc
    root = ET.fromstring(xml)
    for el in root.iter(f"{_NS}definedName"):
        if el.get("name") == VERSION_NAME:
            return (el.text or "").strip().strip('"') or None
    return None


def _fix(recorded: str, path: Path) -> str:
    kind = "addin" if path.suffix.lower() == ".xlam" else "master"
    return (f"请二选一：① 安装与之相同的版本：pip install xlwings=={recorded}；② 用本机的 xlwings 重新生成："
            f"coverage-xl {kind} “{path.name}”" + (" --force（调度历史、单位设置和您的工作表会保留，原文件存入 coverage-xl备份 文件夹）。"
                                                     if kind == "master" else "（原文件存入 coverage-xl备份 文件夹）。"))


def diagnose(paths: list[Path] | tuple[Path, ...] = ()) -> list[Check]:
    """The checks of ``coverage-xl doctor``: Python, xlwings installed and in the pinned range, and for
    each workbook given, its recorded xlwings version against the installed one."""
    checks = [Check(sys.version_info >= (3, 11), "Python", f"Python {sys.version.split()[0]}"
                    + ("" if sys.version_info >= (3, 11) else "：版本过低，需要 3.11 或更高版本。"))]
    installed = installed_xlwings_version()
    wanted = required_xlwings_range()
    if installed is None:
        checks.append(Check(False, "xlwings", '未安装 xlwings：Excel 中的按钮无法运行。请执行：pip install "coverage-xl[excel]"。'))
    else:
        text = f"已安装 xlwings {installed}"
        ok = True
        if wanted and not _in_range(installed, wanted):
            ok = False
            text += f"，不在本程序要求的范围（{wanted}）内。请执行：pip install \"coverage-xl[excel]\"，再重新生成总表和加载项。"
        checks.append(Check(ok, "xlwings", text + ("。" if ok else "")))
    for path in paths:
        path = Path(path)
        try:
            recorded = recorded_version(path)
        except ValueError as exc:
            checks.append(Check(False, path.name, str(exc)))
            continue
        if recorded is None:
            checks.append(Check(False, path.name, "文件中没有记录 xlwings 版本（不是由 coverage-xl master/addin 生成，"
                                                 "或由旧版本生成）。" + _fix(installed or "（本机版本）", path)))
        elif installed is None:
            checks.append(Check(False, path.name, f"内嵌 xlwings {recorded}，但本机未安装 xlwings。"
                                                 f"请执行：pip install xlwings=={recorded}。"))
        elif recorded != installed:
            checks.append(Check(False, path.name, f"内嵌 xlwings {recorded}，本机安装的是 {installed}：按钮会因找不到 "
                                                 f"xlwings64-{recorded}.dll 而无法运行。" + _fix(recorded, path)))
        else:
            checks.append(Check(True, path.name, f"内嵌 xlwings {recorded}，与本机一致。"))
    return checks


def _in_range(version: str, spec: str) -> bool:
    """``version`` satisfies a specifier such as ``<0.38,>=0.37.8`` (packaging's rules)."""
    try:
        return Version(version) in SpecifierSet(spec)
    except (InvalidSpecifier, InvalidVersion):
        return True  # an unreadable pin is not the clerk's problem: the workbook check still runs
