"""The ribbon tabs: tables of buttons from which the ribbon XML and the VBA callbacks come.

Two ribbons: the master's 城乡居保 tab (the bureau's jobs, reading the master's 单位设置) and the
add-in's 城乡居保校验 tab (checking whatever workbook is open: a town's file). Each button has a
Chinese label (in the UTF-8 ribbon XML only), an ASCII VBA callback, and the name of the function in
:mod:`coverage_xl.excel` that the callback runs through xlwings' ``RunPython``. The files under
``templates/ribbon`` and ``templates/vba`` are generated from these tables (``python -m
coverage_xl.xlsm.ribbon`` rewrites them) and a test checks that they still agree. The VBA stays ASCII
so that its code page can never garble it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from coverage_xl.errors import CoverageError
from coverage_xl.paths import templates_dir

CUSTOMUI14_NS = "http://schemas.microsoft.com/office/2009/07/customui"
CALLBACK_MODULE = "CoverageXL"
EXCEL_MODULE = "coverage_xl.excel"
TAB_LABEL = "城乡居保"
TEMPLATES_DIR = templates_dir()
RIBBON_TEMPLATE = TEMPLATES_DIR / "ribbon" / "customUI14.xml"
CALLBACK_TEMPLATE = TEMPLATES_DIR / "vba" / f"{CALLBACK_MODULE}.bas"


@dataclass(frozen=True)
class RibbonButton:
    id: str
    label: str
    callback: str  # VBA Sub name (ASCII)
    function: str  # function in coverage_xl.excel
    image: str  # imageMso
    group: str
    tip: str


BUTTONS: tuple[RibbonButton, ...] = (
    RibbonButton("cxlValidate", "校验当前表", "CXL_Validate", "validate_current", "DataValidation", "摸底",
                 "检查当前工作表的摸底明细：身份证号码、出生年月、覆盖范围与原因、参保意愿、联系电话。"),
    RibbonButton("cxlTemplates", "生成单位模板", "CXL_Templates", "make_templates", "FileNew", "摸底",
                 "为各镇（街道、芦苇场）生成带数据校验的摸底明细表模板。"),
    RibbonButton("cxlConsolidate", "汇总各单位", "CXL_Consolidate", "consolidate_units", "PivotTableInsert", "汇总调度",
                 "读取各单位上报的摸底明细表，汇总为摸底统计表。"),
    RibbonButton("cxlDispatch", "生成调度表", "CXL_Dispatch", "make_dispatch", "QueryShowTable", "汇总调度",
                 "与参保登记、缴费名单比对，生成调度表（覆盖率、参保缴费率）。"),
    RibbonButton("cxlLedger", "更新台账", "CXL_Ledger", "update_ledger", "RefreshAll", "汇总调度",
                 "读入名单、摸底表、登记缴费导出和交回的跟进名单，逐人更新台账（对账销号），生成台账汇总表。"),
    RibbonButton("cxlNotices", "生成通报", "CXL_Notices", "make_notices", "ReviewTrackChanges", "汇总调度",
                 "按调度结果生成通报和整改通知。"),
    RibbonButton("cxlHelp", "打开说明", "CXL_Help", "open_help", "Help", "帮助", "打开使用说明。"),
)

GROUPS: tuple[tuple[str, str], ...] = (("cxlGroupSurvey", "摸底"), ("cxlGroupDispatch", "汇总调度"), ("cxlGroupHelp", "帮助"))

ADDIN_BUTTONS: tuple[RibbonButton, ...] = (
    RibbonButton("cxlBookValidate", "校验当前工作簿", "CXL_ValidateBook", "validate_active_book", "DataValidation",
                 "摸底校验", "检查当前打开的工作簿（如某镇报来的摸底明细表）：问题单元格填色加批注，并列入“校验结果”表。"
                 "不会自动保存。"),
    RibbonButton("cxlFilesValidate", "校验文件…", "CXL_ValidateFiles", "validate_files", "FileOpen", "摸底校验",
                 "选择一个或多个摸底明细表文件，在原文件旁另存标注副本（原文件不改动），并列出结果。"),
    RibbonButton("cxlDoctor", "检查环境", "CXL_Doctor", "check_environment", "ReviewTrackChanges", "帮助",
                 "检查 Python 和 xlwings 的版本是否与加载项一致，并说明如何处理。"),
)
ADDIN_GROUPS: tuple[tuple[str, str], ...] = (("cxlBookGroupCheck", "摸底校验"), ("cxlBookGroupHelp", "帮助"))


@dataclass(frozen=True)
class Ribbon:
    """One tab with its buttons, and the VBA module holding their callbacks."""

    tab_id: str
    tab_label: str
    groups: tuple[tuple[str, str], ...]
    buttons: tuple[RibbonButton, ...]
    module: str  # VBA module name of the callbacks
    ribbon_file: str  # under templates/ribbon

    @property
    def ribbon_template(self):
        return TEMPLATES_DIR / "ribbon" / self.ribbon_file

    @property
    def callback_template(self):
        return TEMPLATES_DIR / "vba" / f"{self.module}.bas"


MASTER_RIBBON = Ribbon("cxlTab", TAB_LABEL, GROUPS, BUTTONS, CALLBACK_MODULE, "customUI14.xml")
ADDIN_RIBBON = Ribbon("cxlBookTab", "城乡居保校验", ADDIN_GROUPS, ADDIN_BUTTONS, "CoverageXLAddin", "addin_customUI14.xml")


def run_python_code(button: RibbonButton) -> str:
    """The Python statement a callback hands to ``RunPython``."""
    return f"import {EXCEL_MODULE} as m; m.{button.function}()"


def ribbon_xml(spec: Ribbon = MASTER_RIBBON) -> str:
    """The customUI14 part (2009/07 namespace) with one large button per table row."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
        f'<customUI xmlns="{CUSTOMUI14_NS}">',
        "  <ribbon>",
        "    <tabs>",
        f"      <tab id={quoteattr(spec.tab_id)} label={quoteattr(spec.tab_label)}>",
    ]
    for group_id, group_label in spec.groups:
        lines.append(f"        <group id={quoteattr(group_id)} label={quoteattr(group_label)}>")
        for b in (b for b in spec.buttons if b.group == group_label):
            lines.append(
                f"          <button id={quoteattr(b.id)} label={quoteattr(b.label)} size=\"large\""
                f" imageMso={quoteattr(b.image)} screentip={quoteattr(b.label)} supertip={quoteattr(b.tip)}"
                f" onAction={quoteattr(b.callback)}/>"
            )
        lines.append("        </group>")
    lines += ["      </tab>", "    </tabs>", "  </ribbon>", "</customUI>", ""]
    return "\n".join(lines)


def callback_module_source(spec: Ribbon = MASTER_RIBBON) -> str:
    """The ASCII callback module, CRLF line ends, as a .bas file (``Attribute VB_Name`` first)."""
    lines = [
        f'Attribute VB_Name = "{spec.module}"',
        "Option Explicit",
        "",
        "' Ribbon callbacks of coverage-xl. Generated by coverage_xl/xlsm/ribbon.py: keep it ASCII only.",
        "' Each callback runs one function of coverage_xl.excel through xlwings (module xlwings).",
    ]
    for b in spec.buttons:
        lines += ["", f"Sub {b.callback}(control As IRibbonControl)", f'    RunPython "{run_python_code(b)}"', "End Sub"]
    return "\r\n".join(lines) + "\r\n"


_SUB_RE = re.compile(r"^\s*(?:Public\s+)?Sub\s+(\w+)\s*\(\s*control\s+As\s+IRibbonControl\s*\)", re.I | re.M)
_ONACTION_RE = re.compile(r'onAction="([^"]+)"')
_RUNPYTHON_RE = re.compile(r'RunPython\s+"import\s+([\w.]+)\s+as\s+(\w+);\s*\2\.(\w+)\(\)"')


def ribbon_callbacks(xml: str) -> list[str]:
    """Every onAction name in a ribbon XML."""
    return _ONACTION_RE.findall(xml)


def vba_ribbon_subs(source: str) -> list[str]:
    """Every ``Sub X(control As IRibbonControl)`` in a VBA source."""
    return _SUB_RE.findall(source)


def run_python_targets(source: str) -> list[tuple[str, str]]:
    """(module, function) of every ``RunPython "import M as m; m.f()"`` in a VBA source."""
    return [(mod, func) for mod, _alias, func in _RUNPYTHON_RE.findall(source)]


def load_ribbon_xml(spec: Ribbon = MASTER_RIBBON) -> str:
    """The ribbon part as kept in ``templates/`` (falls back to the table if templates are absent)."""
    path = RIBBON_TEMPLATE if spec is MASTER_RIBBON else spec.ribbon_template
    return path.read_text(encoding="utf-8") if path.exists() else ribbon_xml(spec)


def load_callback_source(spec: Ribbon = MASTER_RIBBON) -> str:
    """The callback module as kept in ``templates/`` with CRLF line ends (falls back to the table)."""
    path = CALLBACK_TEMPLATE if spec is MASTER_RIBBON else spec.callback_template
    if not path.exists():
        return callback_module_source(spec)
    try:
        text = path.read_bytes().decode("ascii")
    except UnicodeDecodeError as exc:
        raise CoverageError(f"“{path}”中有非 ASCII 字符（如中文）：VBA 回调模块只能使用英文字符，中文请写在功能区 XML 中。") from exc
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def write_templates() -> None:
    """Regenerate the template files of both ribbons from their tables."""
    for spec in (MASTER_RIBBON, ADDIN_RIBBON):
        spec.ribbon_template.parent.mkdir(parents=True, exist_ok=True)
        spec.callback_template.parent.mkdir(parents=True, exist_ok=True)
        spec.ribbon_template.write_text(ribbon_xml(spec), encoding="utf-8", newline="\n")
        spec.callback_template.write_bytes(callback_module_source(spec).encode("ascii"))


if __name__ == "__main__":
    write_templates()
