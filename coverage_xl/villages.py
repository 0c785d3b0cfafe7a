"""The village (村/社区) of a household address: the one parser every list and ledger uses.

Addresses name the city, the town-level unit, then the village: 湖南省沅江市草尾镇新华村3组. When the
unit is known, everything up to its name is cut; otherwise everything up to the last 省/市/县/镇/乡/
街道/芦苇场. The village is the shortest run that ends in 社区, 居委会, 村, 分场, 管理区 or 工区.
"""

from __future__ import annotations

import re

from coverage_xl.units import Unit

_VILLAGE = re.compile(r"^(.{1,12}?(?:社区|居委会|村|分场|管理区|工区))")
_PREFIX_ENDS = ("省", "市", "县", "镇", "乡", "街道", "芦苇场")


def village_of(address: str, unit: Unit | str | None = None) -> str:
    """村/社区 parsed from a household address: 湖南省沅江市草尾镇新华村3组 → 新华村; '' if none."""
    s = re.sub(r"\s+", "", address or "")
    name = unit.name if isinstance(unit, Unit) else (unit or "")
    if name and name in s:
        s = s.split(name, 1)[1]
    else:
        cut = max((s.rfind(p) + len(p) for p in _PREFIX_ENDS if p in s), default=0)
        s = s[cut:]
    m = _VILLAGE.match(s)
    return m.group(1) if m else ""
