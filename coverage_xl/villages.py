"""The village (村/社区/分场…) named in a 户籍地址 — the one parser, for follow-up lists, prefill and the ledger.

Addresses are typed by hand in many shapes ('湖南省沅江市草尾镇新华村3组', '琼湖街道新村社区3栋',
'漉湖芦苇场东风分场', '新华村5组'), so the parser cuts off the town-level part and takes the first
village-level name after it; '' when there is none (the caller decides what to show).
"""

from __future__ import annotations

import re

from coverage_xl.units import Unit

# The town-level part: up to the first 镇/乡/街道/场 …; without one, up to the last 省/市/县.
_TOWN_PART = re.compile(r"^.*?(?:街道办事处|街道|芦苇场|农场|林场|镇|乡)")
_REGION_ENDS = ("省", "市", "县")
# Village-level endings, longest first; 居委会 names are shown as 社区.
_VILLAGE_END = re.compile(r"社区居委会|村民委员会|村委会|居委会|社区|分场|管理区|工区|村")
_MAX_NAME = 15


def village_of(address: object, unit: Unit | str | None = None) -> str:
    """The 村 or 社区 in a 户籍地址: '沅江市草尾镇新华村5组' → '新华村', '…琼湖街道新村社区3栋' → '新村社区',
    '沅江市共华镇乐园分场3队' → '乐园分场'.

    When ``unit`` (a unit or its name) is given and its name is in the address, the village is looked
    for after it. The
    first village-level word after the town wins, unless the text goes on with 社区/委会 (新村社区 is
    one name, not 新村). Returns '' when none is found.

    >>> village_of('湖南省沅江市琼湖街道新村社区3栋'), village_of('沅江市共华镇乐园分场3队')
    ('新村社区', '乐园分场')
    """
    if not isinstance(address, str) or not address.strip():
        return ""
    s = re.sub(r"\s+", "", address)
    name = unit.name if isinstance(unit, Unit) else (unit or "")
    if name and name in s:
        rest = s.split(name, 1)[1]
    elif m := _TOWN_PART.match(s):
        rest = s[m.end():]
    else:
        rest = s[max((s.rfind(p) + len(p) for p in _REGION_ENDS if p in s), default=0):]
    for hit in _VILLAGE_END.finditer(rest):
        end, word = hit.end(), hit.group(0)
        if word == "村" and rest[end:end + 2] in ("社区", "委会", "民委"):
            continue
        name = rest[:end]
        if word in ("村委会", "村民委员会"):
            name = name[: -len(word) + 1]
        elif word == "社区居委会":
            name = name[:-3]
        elif word == "居委会":
            name = name[:-3] + "社区"
        if 1 < len(name) <= _MAX_NAME:
            return name
        return ""
    return ""
