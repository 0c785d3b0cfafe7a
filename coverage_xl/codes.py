"""Rule codes: the stable identifier, severity and Chinese message of every finding.

A code never changes meaning once released; tools and clerks filter on it. Messages are templates
filled with a finding's facts (``{value}``, ``{expected}`` …) and always say what is wrong and how to
fix it. docs/rules.md is generated from this table (``python -m coverage_xl.codes``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def label(self) -> str:
        return {"error": "错误", "warning": "警告", "info": "提示"}[self.value]

    @property
    def rank(self) -> int:
        """0 for the worst: a cell with several findings is marked by the one of lowest rank."""
        return {"error": 0, "warning": 1, "info": 2}[self.value]

    @property
    def fill(self) -> str:
        """The RGB fill of a marked cell (Excel's own red / yellow / blue highlight styles): the
        annotated copy, the Excel button and the templates' conditional formats all use it."""
        return {"error": "FFC7CE", "warning": "FFEB9C", "info": "DDEBF7"}[self.value]


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity
    title: str  # short Chinese title, used in summaries and the 校验结果 sheet
    message: str  # Chinese template: what is wrong and how to fix it


E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

RULES: dict[str, Rule] = {
    r.code: r
    for r in [
        # --- the file and its sheet
        Rule("file.unreadable", E, "文件无法读取",
             "无法读取该文件：{detail}。请确认它是 Excel（.xlsx/.xlsm/.xls）或 WPS/LibreOffice（.ods）表格，"
             "没有加密码、没有损坏；可在 Excel 中打开后“另存为”.xlsx 再提交。"),
        Rule("file.too_large", E, "文件过大",
             "该文件超出可安全读取的范围：{detail}。请删除多余的内容（整行整列的格式、数据区以外的单元格），"
             "或按单位拆分后另存为.xlsx再提交。"),
        Rule("file.suspicious", E, "文件结构异常",
             "该文件结构异常，为保护其他单位的汇总未读取：{detail}。请在 Excel 中打开后“另存为”新的.xlsx再提交。"),
        Rule("file.format_mismatch", INFO, "扩展名与实际格式不符",
             "文件扩展名是“{found}”，实际是{expected}格式，已按实际格式读取。建议在 Excel 中另存为.xlsx，避免别人打不开。"),
        Rule("sheet.stray_cells", W, "数据区以外有零散内容",
             "工作表在数据区（到{expected}为止）以外很远的地方还有内容：{detail}，已忽略、未读取。"
             "请核对：如是误输入，请删除这些单元格；如是人员数据，请移到数据区内。"),
        Rule("sheet.not_found", E, "找不到附件3表头",
             "在工作簿的所有工作表中都没有找到附件3（摸底明细表）的表头（行政代码、行政区划、姓名、身份证号码……）。"
             "请使用市局下发的模板，不要删除或改写表头。"),
        Rule("sheet.multiple", W, "有多张附件3工作表",
             "工作表{detail}也有附件3表头和数据，本次只读取了“{expected}”。每个单位只报一张附件3：请把各表数据合并到"
             "一张表中（可按村排序），或删除多余的工作表后再提交。"),
        Rule("sheet.empty", W, "没有数据行", "附件3表头下没有任何数据行。请填写摸底数据后再提交。"),
        Rule("header.mismatch", E, "表头不符",
             "第{column}列表头应为“{expected}”，实际为“{found}”。请使用市局下发的模板，不要插入、删除、移动或改写列。"),
        Rule("header.numbering", W, "缺少列序号行",
             "表头下方应有一行列序号 1–20（与通知附件3一致），未找到。数据从表头下一行开始读取，请核对。"),
        Rule("rows.after_total", W, "合计行之后还有数据",
             "合计行（第{expected}行）之后还有人员数据（{detail}），已作为数据读取。合计行应在最后：请把这些人员"
             "移到合计行之前，或确认是否多余。"),
        Rule("cell.formula_uncached", E, "公式未计算",
             "公式未计算，请在 Excel 中打开并保存后再提交（该单元格是公式，但文件中没有保存计算结果，无法知道它的值）。"),
        Rule("unit.unknown", W, "无法识别填报单位",
             "无法从“填报单位”或“行政区划”识别本表属于哪个镇（场、街道）。请在第2行填写“填报单位：××镇”。"),
        Rule("unit.mismatch", E, "行政区划不符",
             "本行{field_label}为“{value}”，与本表填报单位“{expected}”不符。请核对：该人员是否属于本单位；"
             "行政代码应为 430981 或 {expected_code}。"),
        Rule("unit.region_missing", W, "行政区划为空", "本行未填写行政区划，请填写“{expected}”。"),
        # --- ID number
        Rule("id.missing", E, "身份证号码为空", "未填写身份证号码。请补录18位公民身份号码。"),
        Rule("id.numeric", E, "身份证号码被存为数字",
             "身份证号码被存成了数字（{value}），Excel 只保留15位有效数字，后几位已经丢失，无法恢复。"
             "请把该列单元格格式设为“文本”，再逐个重新录入完整号码。"),
        Rule("id.format", E, "身份证号码格式错误",
             "身份证号码“{value}”不是18位（前17位为数字，最后一位为数字或X）。请核对后重新录入。"),
        Rule("id.checksum", E, "身份证号码校验位错误",
             "身份证号码“{value}”的校验位不对（按前17位计算应为“{expected}”），说明号码中有数字录错。请对照身份证或户口簿逐位核对。"),
        Rule("id.birthdate", E, "身份证号码出生日期错误",
             "身份证号码“{value}”中的出生日期“{detail}”不存在或晚于统计日期。请核对号码第7–14位。"),
        Rule("id.region", W, "身份证号码地址码不存在",
             "身份证号码“{value}”的前6位地址码“{detail}”不是任何时期存在过的行政区划代码，请核对。"
             "（非430981的地址码本身是正常的：号码终身不变，记录的是首次登记地。）"),
        Rule("id.legacy15", W, "15位旧身份证号码",
             "这是15位旧身份证号码，请换录为18位号码：{expected}（请与本人身份证核对）。"),
        Rule("id.normalised", W, "身份证号码含全角字符或空格",
             "身份证号码含全角字符、空格或小写x，已按“{expected}”校验。请在表中改为半角、去掉空格、使用大写X。"),
        Rule("id.duplicate", E, "身份证号码重复",
             "身份证号码在本表第{detail}行重复出现。同一人只能填一行，请删除重复行或核对号码。"),
        Rule("id.duplicate_cross_unit", W, "与其他单位重复",
             "该身份证号码同时出现在{detail}。请两个单位核实此人应归属哪个单位（由人工确定），另一方删除。"),
        # --- 归属单位 on the bureau's 重复人员 sheet (cross-unit duplicates)
        Rule("owner.unknown_unit", E, "归属单位无法识别",
             "“重复人员”表的归属单位填的是“{value}”，不是本市任何一个单位（或同时像几个单位）。请填写单位名称，"
             "如“草尾镇”。本次此人仍按各单位上报计入。"),
        Rule("owner.not_a_place", E, "归属单位不在上报单位之中",
             "归属单位填的是“{value}”，但此人只由{detail}上报。请在这几个单位中选择一个；本次此人仍按各单位上报计入。"),
        Rule("owner.conflict", E, "归属单位前后不一",
             "同一身份证号码的几行归属单位填得不一样（{detail}）。请只保留一个单位；本次此人仍按各单位上报计入。"),
        Rule("owner.not_duplicate", INFO, "已不再重复",
             "归属单位填了“{value}”，但本次汇总中此身份证号码已不在两个及以上单位出现，无需再定归属，本格不起作用。"),
        # --- person
        Rule("name.missing", E, "姓名为空", "未填写姓名。请补录与身份证一致的姓名。"),
        Rule("birth.mismatch", E, "出生年月与身份证不符",
             "出生年月“{value}”与身份证号码中的出生年月（{expected}）不一致。请核对后改正（可直接按身份证号码填写）。"),
        Rule("birth.format", E, "出生年月无法识别",
             "出生年月“{value}”无法识别。请按“1980.01”或“1980-01”或“1980年1月”的格式填写。"),
        Rule("birth.missing", W, "出生年月为空", "未填写出生年月，可按身份证号码补填：{expected}。"),
        # --- category (columns 7–17)
        Rule("category.none", E, "未勾选分类",
             "第7–17列都没有勾选。请在“属于城乡居保覆盖范围”或一项“不属于”原因下打“√”。"),
        Rule("category.conflict", E, "分类勾选冲突",
             "同时勾选了{detail}。每人只能勾选一项：属于覆盖范围，或不属于覆盖范围的一个原因。"),
        Rule("category.value", E, "勾选内容不规范",
             "第{column}列“{field_label}”填的是“{value}”，不是勾选符号。请只填“√”（或留空）。"),
        Rule("category.other_detail", W, "其他原因未写明",
             "勾选了“其他”，但没有写明具体情况。请在第17列直接写明原因（如“长期外出失联”）。"),
        # --- willingness (column 18)
        Rule("willing.missing", E, "未填写参保意愿",
             "属于覆盖范围的人员必须填写“是否愿意参保”。请填“是”或“否”。"),
        Rule("willing.value", E, "参保意愿填写不规范", "“是否愿意参保”填的是“{value}”，只能填“是”或“否”。"),
        Rule("willing.unexpected", W, "不属于覆盖范围却填了意愿",
             "不属于覆盖范围的人员无需填写“是否愿意参保”（填的是“{value}”）。请核对分类，或清空该格。"),
        # --- phone (column 19)
        Rule("phone.format", E, "联系电话格式错误",
             "联系电话“{value}”不是11位手机号（1开头）或固定电话（如0737-1234567）。请核对。"),
        Rule("phone.missing", INFO, "未填联系电话", "属于覆盖范围的人员未填联系电话，后续缴费提醒将无法联系，建议补录。"),
        # --- age
        Rule("age.under16", E, "未满16周岁",
             "按身份证号码，截至{detail}未满16周岁，不属于城乡居保参保对象。请核对分类（如在校学生）或号码。"),
        Rule("age.student_over25", W, "在校学生已满25周岁",
             "勾选了“在校学生”，但按身份证号码截至{detail}已满{expected}周岁。请核实是否仍在校（如研究生）；"
             "已不在校的请改为其他分类。"),
        Rule("age.over60", INFO, "已满60周岁",
             "截至{detail}已满60周岁，可按政策一次性补缴后按月领取待遇，请告知本人。"),
        # --- returned follow-up lists (跟进名单回执, read back into the ledger)
        Rule("followup.columns", E, "跟进名单缺少填写列",
             "工作表“{detail}”中找不到跟进日期、跟进方式、跟进结果等填写列，无法读取跟进情况。"
             "请使用 coverage-xl 生成的跟进名单填写后返回，不要删除或改写表头。"),
        Rule("followup.id", E, "跟进名单身份证号码无法识别",
             "工作表“{sheet}”：身份证号码“{value}”无法识别，本行跟进情况未计入台账。请不要改动名单中的身份证号码。"),
        Rule("followup.date", E, "跟进日期无法识别",
             "工作表“{sheet}”：跟进日期“{value}”无法识别或晚于统计日期{expected}。请按“2020-09-05”的格式填写联系的日期。"),
        Rule("followup.method", E, "跟进方式不规范",
             "工作表“{sheet}”：跟进方式填的是“{value}”，只能从下拉选项中选择：上门、电话、短信、其他。"),
        Rule("followup.result", E, "跟进结果不规范",
             "工作表“{sheet}”：跟进结果填的是“{value}”，只能从下拉选项中选择：已登记、已缴费、不愿参保、联系不上、不属于、其他。"),
        Rule("followup.signed", E, "是否签订意愿书填写不规范",
             "工作表“{sheet}”：“是否签订意愿书”填的是“{value}”，只能填“是”或“否”。"),
        Rule("followup.untraced", E, "联系不上未记录联系时间及方式",
             "工作表“{sheet}”：跟进结果为“联系不上”，但未填写{detail}。联系不上的人员须注明联系时间及方式，做到记录有痕。"),
        Rule("followup.result_missing", W, "未填写跟进结果",
             "工作表“{sheet}”：本行填写了跟进情况，但没有填写跟进结果，本行未计入台账。请从下拉选项中选择跟进结果。"),
    ]
}


def rule(code: str) -> Rule:
    return RULES[code]


def rules_markdown() -> str:
    """The rules table for docs/rules.md, generated so the docs cannot drift from the code."""
    lines = ["| 代码 code | 级别 severity | 名称 | 提示信息（模板） |", "|---|---|---|---|"]
    for r in RULES.values():
        lines.append(f"| `{r.code}` | {r.severity.value} | {r.title} | {r.message.replace('|', '｜')} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(rules_markdown())
