"""Pre-filled Annex 3 workbooks: the province's list joined with comparison data by ID number.

The fixture is a small province list whose every person has a known truth: which comparison files
list them, which unit they belong to, whether their number is wrong. The workbooks are read back
with python-calamine (not the writer's library) and checked against that truth, then validated, then
filled in as a town would and consolidated.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from coverage_xl import idcard
from coverage_xl.errors import InputError
from coverage_xl.layout import ANNEX3, CATEGORY_KEYS, IN_SCOPE
from coverage_xl.prefill import (
    SUMMARY_CSV,
    SUMMARY_XLSX,
    UNRECOGNISED_FILE,
    WORKBOOK_NAME,
    CompareSource,
    parse_compare_spec,
    prefill,
    resolve_category,
    village_of,
)
from coverage_xl.units import CITY_CODE, unit_by_name
from coverage_xl.validate import validate_file

AS_OF = dt.date(2020, 9, 30)
CAOWEI = unit_by_name("草尾镇")
QIONGHU = unit_by_name("琼湖街道")


def make_id(born: str, seq: str, code: str = "430981") -> str:
    body = code + born + seq
    return body + idcard.check_character(body)


@dataclass
class Row:
    """One person of the generated list and the truth about them."""

    name: str
    id: str  # the normalised, correct number (the join key)
    unit: str | None  # unit name, None when not recognisable
    unit_cell: str  # what the list's 乡镇 column says
    address: str
    sources: list[str] = field(default_factory=list)  # comparison files listing the person
    list_id: str = ""  # the number as written in the list ('' = same as id)
    compare_id: str = ""  # the number as written in the comparison files ('' = same as id)
    status: str = "正常"
    bad_id: bool = False

    @property
    def written(self) -> str:
        return idcard.normalise(self.list_id or self.id)


def ending_in_x(born: str) -> str:
    """A number whose check character is X (one in eleven are)."""
    return next(i for i in (make_id(born, f"{n:03d}") for n in range(100, 999)) if i.endswith("X"))


LOWER_X = ending_in_x("19850101")
LOWER_X_2 = ending_in_x("19790505")
BAD = make_id("19700303", "555")[:-1]
BAD = BAD + ("0" if make_id("19700303", "555")[-1] != "0" else "1")


def rows() -> list[Row]:
    a = "湖南省沅江市草尾镇"
    q = "湖南省沅江市琼湖街道"
    return [
        Row("王甲", make_id("19800101", "111"), "草尾镇", "草尾镇", a + "新华村3组", ["企业"]),
        Row("李乙", LOWER_X, "草尾镇", "草尾镇", a + "胜利村1组", ["学生"], list_id=LOWER_X.lower()),
        Row("张丙", make_id("19760707", "131"), "草尾镇", "草尾镇", a + "新华村5组", ["企业", "学生"]),
        Row("赵丁", make_id("19820202", "141"), "草尾镇", "草尾镇", a + "东风村2组", ["居保"]),
        Row("钱戊", make_id("19830303", "151"), "草尾镇", "草尾镇", a + "胜利村7组"),
        Row("孙己", BAD, "草尾镇", "草尾镇", a + "东风村4组", bad_id=True),
        Row("周庚", make_id("19700808", "171"), "琼湖街道", "", q + "金花社区12号", ["火化"]),
        Row("吴辛", make_id("19750909", "181"), "琼湖街道", "", q + "白沙社区3号", ["迁出"]),
        Row("郑壬", make_id("19781010", "191"), "琼湖街道", "", q + "金花社区8号"),
        Row("冯癸", LOWER_X_2, "琼湖街道", "", q + "白沙社区9号", ["企业"], compare_id=LOWER_X_2.lower()),
        Row("陈子", make_id("19691111", "211"), "琼湖街道", "", q + "金花社区1号", status="死亡"),
        Row("褚丑", make_id("19720404", "221"), None, "", "湖南省益阳市赫山区龙光桥镇某村1组", ["企业"]),
    ]


SOURCES = {  # file stem -> category as declared on the command line
    "企业": ("省内企业职保", "prov_enterprise"),
    "学生": ("教育在校学生", "student"),
    "居保": ("城乡居保已参保", "enrolled"),
    "火化": ("民政火化", "deceased"),
    "迁出": ("公安迁出", "other"),
}
OUTSIDER = make_id("19660606", "901")  # in a comparison file, not in the list


LIST_HEADER = ["序号", "姓名", "公民身份号码", "乡镇（街道）", "户籍地址", "户籍状态"]


def list_rows(people: list[Row]) -> list[list[str]]:
    return [[str(i), p.name, p.list_id or p.id, p.unit_cell, p.address, p.status] for i, p in enumerate(people, 1)]


def write_list_xlsx(path: Path, people: list[Row]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["省人社厅下发需核实参保人员名单（沅江市）"])
    ws.append([])
    ws.append(LIST_HEADER)
    for r in list_rows(people):
        ws.append(r)
        ws.cell(ws.max_row, 3).number_format = "@"
    wb.save(path)
    return path


def write_list_gbk_csv(path: Path, people: list[Row]) -> Path:
    with path.open("w", encoding="gbk", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["需核实参保人员名单"])
        w.writerow(LIST_HEADER)
        w.writerows(list_rows(people))
    return path


def write_sources(folder: Path, people: list[Row]) -> list[CompareSource]:
    out = []
    for stem, (label, cat) in SOURCES.items():
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(["比对结果", None, f"{label}"])
        ws.append(["姓名", "证件类型", "身份证号码"])
        for p in people:
            if stem in p.sources:
                ws.append([p.name, "居民身份证", p.compare_id or p.id])
        if stem == "企业":
            ws.append(["名单外", "居民身份证", OUTSIDER])
        path = folder / f"{stem}.xlsx"
        wb.save(path)
        out.append(CompareSource(path, cat, label))
    return out


def expected_tick(p: Row) -> str | None:
    cats = {SOURCES[s][1] for s in p.sources}
    if p.status == "死亡":
        cats.add("deceased")
    cats = {IN_SCOPE if c == "enrolled" else c for c in cats}
    return cats.pop() if len(cats) == 1 else None


def read_back(path: Path) -> list[dict]:
    """Data rows of a written workbook by Annex 3 key, read with calamine (not openpyxl)."""
    wb = CalamineWorkbook.from_path(str(path))
    grid = wb.get_sheet_by_name(ANNEX3.sheet_name).to_python(skip_empty_area=False)
    start = next(i for i, r in enumerate(grid) if [str(v).removesuffix(".0") for v in r[:3]] == ["1", "2", "3"]) + 1
    out = []
    for r in grid[start:]:
        if r[0] == "合计":
            break
        if not r[ANNEX3.col("name") - 1]:
            continue  # the template's blank rows (only 行政代码/行政区划)
        out.append({k: r[n - 1] for n, k in enumerate(ANNEX3.keys, start=1)})
    return out


@pytest.fixture
def case(tmp_path):
    people = rows()
    src_dir = tmp_path / "src"
    src_dir.mkdir()
    sources = write_sources(src_dir, people)
    return people, sources, src_dir


@pytest.fixture(params=["xlsx", "gbk_csv"])
def done(request, case, tmp_path):
    people, sources, src_dir = case
    if request.param == "xlsx":
        lst = write_list_xlsx(src_dir / "名单.xlsx", people)
    else:
        lst = write_list_gbk_csv(src_dir / "名单.csv", people)
    out = tmp_path / "out"
    result = prefill(lst, sources, out_dir=out, as_of=AS_OF)
    return people, result, out


def test_every_person_is_written_exactly_once_in_their_units_workbook(done):
    people, result, out = done
    seen: dict[str, list[str]] = {}
    for f in [out / WORKBOOK_NAME.format(unit=u) for u in ("草尾镇", "琼湖街道")] + [out / UNRECOGNISED_FILE]:
        for r in read_back(f):
            seen.setdefault(r["id"], []).append(f.name)
    assert sorted(seen) == sorted(p.written for p in people)
    assert all(len(v) == 1 for v in seen.values())
    for p in people:
        expected = WORKBOOK_NAME.format(unit=p.unit) if p.unit else UNRECOGNISED_FILE
        assert seen[p.written] == [expected], p.name
    assert {f.name for f in result.files} == {WORKBOOK_NAME.format(unit="草尾镇"), WORKBOOK_NAME.format(unit="琼湖街道"),
                                              UNRECOGNISED_FILE}


def test_person_columns_are_filled_and_ids_stay_text(done):
    people, _result, out = done
    by_id = {r["id"]: r for r in read_back(out / WORKBOOK_NAME.format(unit="草尾镇"))}
    wang = by_id[people[0].id]
    assert wang["code"] == CAOWEI.code and wang["region"] == "草尾镇" and wang["name"] == "王甲"
    assert wang["birth"] == "1980.01" and wang["address"] == "湖南省沅江市草尾镇新华村3组"
    assert isinstance(wang["id"], str)
    assert LOWER_X in by_id  # the lowercase x of the list is written as X
    ws = openpyxl.load_workbook(out / WORKBOOK_NAME.format(unit="草尾镇"))[ANNEX3.sheet_name]
    id_cells = [c for c in ws[ANNEX3.by_key["id"].letter] if c.value == people[0].id]
    assert id_cells and id_cells[0].number_format == "@"


def test_suggestions_match_the_evidence_and_conflicts_stay_open(done):
    people, _result, out = done
    written = {}
    for f in out.glob("*.xlsx"):
        if f.name != SUMMARY_XLSX:
            written.update({r["id"]: r for r in read_back(f)})
    for p in people:
        r = written[p.written]
        ticked = [k for k in CATEGORY_KEYS if r[k]]
        want = expected_tick(p)
        assert ticked == ([want] if want else []), p.name
        if want and want != "other":
            assert r[want] == "√"
        assert r["willing"] == "", p.name  # never guessed
    assert written[people[0].id]["remark"] == "比对：省内企业职保"
    assert written[LOWER_X]["remark"] == "比对：教育在校学生；比对为在校学生，但截至2020-09-30已满35周岁，请核实是否仍在校"
    assert written[people[3].id]["remark"] == "比对：城乡居保已参保"
    assert written[people[7].id]["other"] == "户籍已迁出"
    conflict = written[people[2].id]["remark"]
    assert "冲突" in conflict and "省内企业职保" in conflict and "教育在校学生" in conflict
    assert "死亡" in written[people[10].id]["remark"]


def test_bad_ids_are_marked_for_correction_and_listed(done):
    people, result, out = done
    r = {x["id"]: x for x in read_back(out / WORKBOOK_NAME.format(unit="草尾镇"))}[BAD]
    assert r["remark"].startswith("需核实身份证号码（校验位错误）")
    assert [(b.unit, b.name, b.id, b.problem) for b in result.bad_ids] == [("草尾镇", "孙己", BAD, "id.checksum")]
    wb = CalamineWorkbook.from_path(str(out / SUMMARY_XLSX))
    listed = wb.get_sheet_by_name("身份证号码需核实").to_python()
    assert listed[1][:5] == ["草尾镇", listed[1][1], "孙己", BAD, "校验位错误"]


def test_unrecognised_unit_goes_to_its_own_workbook(done):
    _people, result, out = done
    (r,) = read_back(out / UNRECOGNISED_FILE)
    assert r["name"] == "褚丑" and r["region"] == "" and r["prov_enterprise"] == "√"
    assert "无法识别所属单位" in r["remark"]
    assert result.unrecognised.rows == 1


def test_rows_are_sorted_by_village_then_name(done):
    _people, _result, out = done
    got = [(village_of(r["address"], CAOWEI), r["name"]) for r in read_back(out / WORKBOOK_NAME.format(unit="草尾镇"))]
    assert got == sorted(got)
    assert [v for v, _ in got] == ["东风村", "东风村", "新华村", "新华村", "胜利村", "胜利村"]


def test_summary_counts_per_unit(done):
    _people, result, out = done
    lines = {u.name: u for u in result.all_lines}
    c = lines["草尾镇"]
    assert (c.rows, c.suggested, c.conflicts, c.to_visit, c.bad_ids) == (6, 3, 1, 3, 1)
    assert c.by_source == {"省内企业职保": 2, "教育在校学生": 2, "城乡居保已参保": 1}
    q = lines["琼湖街道"]
    assert (q.rows, q.suggested, q.to_visit) == (5, 4, 1)
    assert dict(q.by_category) == {"deceased": 2, "other": 1, "prov_enterprise": 1}
    src = {s.source.label: s for s in result.sources}
    assert (src["省内企业职保"].ids, src["省内企业职保"].matched, src["省内企业职保"].not_in_list) == (5, 4, 1)
    with (out / SUMMARY_CSV).open(encoding="utf-8-sig") as fh:
        table = list(csv.reader(fh))
    header = table[0]
    by_unit = {r[0]: dict(zip(header, r, strict=True)) for r in table[1:]}
    assert by_unit["草尾镇"]["待入户核实"] == "3" and by_unit["未识别单位"]["名单人数"] == "1"
    assert by_unit["合计"]["名单人数"] == "12"


def test_each_workbook_raises_only_the_findings_of_unconfirmed_rows(done):
    people, _result, out = done
    expected: dict[str, set[str]] = {}
    for p in people:
        if p.unit is None:
            continue
        want = expected_tick(p)
        codes = set()
        if want is None:
            codes.add("category.none")
        elif want == IN_SCOPE:
            codes |= {"willing.missing", "phone.missing"}
        elif want == "student" and idcard.age_on(idcard.birth_date(p.written), AS_OF) >= 25:
            codes.add("age.student_over25")  # 李乙, 35: suggested 在校学生, to be checked
        if p.bad_id:
            codes.add("id.checksum")
        expected[p.written] = codes
    for unit in ("草尾镇", "琼湖街道"):
        checked = validate_file(out / WORKBOOK_NAME.format(unit=unit), AS_OF)
        assert checked.report.unit == unit
        row_id = dict(zip(checked.people["row"], checked.people["id"], strict=True))
        got: dict[str, set[str]] = {i: set() for i in row_id.values()}
        for f in checked.report.findings:
            assert f.row in row_id, f.code  # no finding about the file or the header
            got[row_id[f.row]].add(f.code)
        assert got == {i: expected[i] for i in got}, unit
        assert len(got) == sum(1 for p in people if p.unit == unit)


def fill_in_as_a_town(path: Path, people: list[Row]) -> dict[str, str]:
    """Confirm every row: keep the suggestion, decide open rows, correct the bad number.

    Returns the final category by ID."""
    truth = {p.written: p for p in people}
    wb = openpyxl.load_workbook(path)
    ws = wb[ANNEX3.sheet_name]
    id_col, cats = ANNEX3.col("id"), {k: ANNEX3.col(k) for k in CATEGORY_KEYS}
    final: dict[str, str] = {}
    for row in ws.iter_rows(min_row=1):
        pid = row[id_col - 1].value
        if pid not in truth:
            continue
        r = row[0].row
        ticked = [k for k, c in cats.items() if ws.cell(r, c).value]
        if not ticked:  # an open row: the visit decides (the conflict turns out to be the student)
            decided = "student" if truth[pid].sources == ["企业", "学生"] else IN_SCOPE
            ws.cell(r, cats[decided], "√")
            ticked = [decided]
        if ticked == [IN_SCOPE]:
            ws.cell(r, ANNEX3.col("willing"), "否" if truth[pid].name == "钱戊" else "是")
            ws.cell(r, ANNEX3.col("phone"), "13800001234")
        if pid == BAD:
            fixed = make_id("19700303", "555")
            ws.cell(r, id_col, fixed)
            pid = fixed
        final[pid] = ticked[0]
    wb.save(path)
    return final


def test_round_trip_filled_in_then_consolidated(case, tmp_path):
    from coverage_xl.consolidate import consolidate
    from coverage_xl.survey import load_batch

    people, sources, src_dir = case
    out = tmp_path / "out"
    prefill(write_list_xlsx(src_dir / "名单.xlsx", people), sources, out_dir=out, as_of=AS_OF)
    towns = tmp_path / "returned"
    towns.mkdir()
    final: dict[str, list[str]] = {}
    for unit in ("草尾镇", "琼湖街道"):
        f = shutil.copy(out / WORKBOOK_NAME.format(unit=unit), towns / f"{unit}.xlsx")
        final[unit] = list(fill_in_as_a_town(Path(f), people).values())
        checked = validate_file(f, AS_OF)
        assert [x.code for x in checked.report.findings if x.severity.value == "error"] == [], unit
    batch = load_batch(towns, AS_OF)
    result = consolidate(batch)
    for unit, mine in final.items():
        counts = result.counts(unit)
        assert counts[IN_SCOPE] == mine.count(IN_SCOPE)
        assert counts["out_total"] == len(mine) - mine.count(IN_SCOPE)
        for k in ("prov_enterprise", "student", "deceased", "other"):
            assert counts[k] == mine.count(k), (unit, k)
    caowei, qionghu = result.counts("草尾镇"), result.counts("琼湖街道")
    assert (caowei[IN_SCOPE], caowei["willing"], caowei["unwilling"]) == (3, 2, 1)
    assert (caowei["prov_enterprise"], caowei["student"], caowei["out_total"]) == (1, 2, 3)
    assert (qionghu[IN_SCOPE], qionghu["deceased"], qionghu["other"], qionghu["prov_enterprise"]) == (1, 2, 1, 1)


def test_units_option_limits_the_workbooks_but_keeps_unrecognised(case, tmp_path):
    people, sources, src_dir = case
    out = tmp_path / "out"
    result = prefill(write_list_xlsx(src_dir / "名单.xlsx", people), sources, units=["琼湖"], out_dir=out, as_of=AS_OF)
    assert [u.name for u in result.units] == ["琼湖街道"]
    assert result.excluded == 6 and result.unrecognised.rows == 1
    assert not (out / WORKBOOK_NAME.format(unit="草尾镇")).exists()
    with pytest.raises(InputError):
        prefill(src_dir / "名单.xlsx", sources, units=["不存在镇"], out_dir=out, as_of=AS_OF)


def test_city_code_option_writes_430981(case, tmp_path):
    people, sources, src_dir = case
    out = tmp_path / "out"
    prefill(write_list_xlsx(src_dir / "名单.xlsx", people), sources, out_dir=out, as_of=AS_OF, city_code=True)
    codes = {r["code"] for r in read_back(out / WORKBOOK_NAME.format(unit="草尾镇"))}
    assert codes == {CITY_CODE}


def test_repeated_list_rows_are_merged_and_noted(case, tmp_path):
    people, sources, src_dir = case
    twice = [*people, people[0]]
    out = tmp_path / "out"
    result = prefill(write_list_xlsx(src_dir / "名单.xlsx", twice), sources, out_dir=out, as_of=AS_OF)
    got = [r for r in read_back(out / WORKBOOK_NAME.format(unit="草尾镇")) if r["id"] == people[0].id]
    assert len(got) == 1 and "省名单中重复2次" in got[0]["remark"]
    assert {u.name: u.duplicates for u in result.units}["草尾镇"] == 1


def test_same_person_listed_in_two_units_goes_only_to_the_unit_of_the_household_address(case, tmp_path):
    people, sources, src_dir = case
    # listed again under 琼湖街道, but the 户籍地址 of both rows is in 草尾镇
    moved = Row("王甲", people[0].id, "琼湖街道", "琼湖街道", people[0].address)
    # listed under 草尾镇 (first) and 琼湖街道; the second row's 户籍地址 is in 琼湖街道
    zheng = people[8]
    early = Row("郑壬", zheng.id, "草尾镇", "草尾镇", "")
    out = tmp_path / "out"
    listed = [early, *people, moved]
    result = prefill(write_list_xlsx(src_dir / "名单.xlsx", listed), sources, out_dir=out, as_of=AS_OF)
    a = {r["id"]: r for r in read_back(out / WORKBOOK_NAME.format(unit="草尾镇"))}
    b = {r["id"]: r for r in read_back(out / WORKBOOK_NAME.format(unit="琼湖街道"))}
    assert people[0].id in a and people[0].id not in b
    assert a[people[0].id]["remark"] == ("比对：省内企业职保；省名单中同时列在琼湖街道，按户籍所在地列入本单位，"
                                         "琼湖街道的预填表中不再列出")
    assert zheng.id in b and zheng.id not in a  # 草尾镇 was listed first, but the address says 琼湖街道
    assert [(c.id, c.chosen, c.others, c.basis) for c in result.cross_units] == [
        (zheng.id, "琼湖街道", ("草尾镇",), "户籍所在地"), (people[0].id, "草尾镇", ("琼湖街道",), "户籍所在地")]
    lines = {u.name: u for u in result.units}
    assert (lines["草尾镇"].moved_out, lines["琼湖街道"].moved_out) == (1, 1)
    sheet = CalamineWorkbook.from_path(str(out / SUMMARY_XLSX)).get_sheet_by_name("跨单位重复").to_python()
    assert sheet == [["身份证号码", "姓名", "写入单位", "名单中还列在", "依据"],
                     [zheng.id, "郑壬", "琼湖街道", "草尾镇", "户籍所在地"],
                     [people[0].id, "王甲", "草尾镇", "琼湖街道", "户籍所在地"]]


def test_address_that_decides_nothing_keeps_the_first_listed_unit(case, tmp_path):
    people, sources, src_dir = case
    first = Row("王甲", people[0].id, "琼湖街道", "琼湖街道", "湖南省益阳市某地")
    again = Row("王甲", people[0].id, "草尾镇", "草尾镇", "湖南省益阳市某地")
    out = tmp_path / "out"
    result = prefill(write_list_xlsx(src_dir / "名单.xlsx", [first, *people[1:], again]), sources, out_dir=out,
                     as_of=AS_OF)
    assert [(c.chosen, c.others, c.basis) for c in result.cross_units] == [
        ("琼湖街道", ("草尾镇",), "名单先后（户籍所在地无法判断）")]
    assert people[0].id not in {r["id"] for r in read_back(out / WORKBOOK_NAME.format(unit="草尾镇"))}


def test_legacy_15_digit_number_is_converted_joined_and_marked(case, tmp_path):
    people, sources, src_dir = case
    old = Row("蒋寅", make_id("19650315", "123"), "草尾镇", "草尾镇", "沅江市草尾镇红旗村", ["企业"])
    old.list_id = old.id[:6] + old.id[8:17]  # the 15-digit form of the same number
    write_sources(src_dir, [*people, old])
    out = tmp_path / "out"
    result = prefill(write_list_xlsx(src_dir / "名单.xlsx", [*people, old]), sources, out_dir=out, as_of=AS_OF)
    r = {x["id"]: x for x in read_back(out / WORKBOOK_NAME.format(unit="草尾镇"))}[old.id]
    assert r["prov_enterprise"] == "√" and r["birth"] == "1965.03"
    assert r["remark"] == "需核实身份证号码（名单为15位旧号码，已换算为18位）；比对：省内企业职保"
    assert ("蒋寅", "id.legacy15") in [(b.name, b.problem) for b in result.bad_ids]


@pytest.mark.parametrize(("text", "category"), [
    ("省内企业职保", "prov_enterprise"), ("机关事保", "prov_institution"), ("省外职保", "other_province"),
    ("教育", "student"), ("在校学生", "student"), ("死亡", "deceased"), ("火化", "deceased"),
    ("服刑", "prisoner"), ("公安迁出", "other"), ("注销", "other"), ("城乡居保已参保", "enrolled"),
    ("prov_enterprise", "prov_enterprise"), ("已参加外省职工养老保险", "other_province"),
    ("2020年8月省内企业职保比对结果", "prov_enterprise"), ("民政火化数据", "deceased"),
])
def test_source_names_map_to_categories(text, category):
    assert resolve_category(text)[0] == category


def test_unknown_category_is_refused():
    assert resolve_category("随便什么") is None
    with pytest.raises(InputError):
        CompareSource(Path("x.xlsx"), "随便什么")
    with pytest.raises(InputError):
        parse_compare_spec("数据.xlsx")


def test_compare_spec_with_and_without_category():
    s = parse_compare_spec("a/企业职保2020.xlsx")
    assert (s.category, s.label, s.tick) == ("prov_enterprise", "省内企业职保", "prov_enterprise")
    s = parse_compare_spec("a/data.xlsx=城乡居保已参保")
    assert (s.category, s.tick, s.label) == ("enrolled", IN_SCOPE, "已参加城乡居保")
    s = parse_compare_spec("a/data.xlsx=other:公安迁出")
    assert (s.category, s.label, s.other_text) == ("other", "公安迁出", "户籍已迁出")
    s = parse_compare_spec("a/data.xlsx=other:长期失联")
    assert (s.category, s.label, s.other_text) == ("other", "长期失联", "长期失联")


@pytest.mark.parametrize(("address", "village"), [
    ("湖南省沅江市草尾镇新华村3组", "新华村"),
    ("沅江市琼湖街道金花社区12号", "金花社区"),
    ("沅江市漉湖芦苇场东风分场", "东风分场"),
    ("新华村5组", "新华村"),
    ("沅江市草尾镇", ""),
])
def test_village_is_parsed_from_the_address(address, village):
    assert village_of(address) == village


def test_list_without_id_column_is_refused(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "地址"])
    wb.active.append(["王甲", "沅江市草尾镇"])
    wb.save(tmp_path / "l.xlsx")
    with pytest.raises(InputError, match="身份证号码列"):
        prefill(tmp_path / "l.xlsx", [], out_dir=tmp_path / "o", as_of=AS_OF)


# --------------------------------------------------------------------------- issue 13: reading comparison data


def _source_file(path: Path, ids: list[str]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号码"])
    for i in ids:
        ws.append(["某", i])
    wb.save(path)
    return path


@pytest.mark.parametrize(("name", "category", "other_text"), [
    ("省外城乡居保", "other", "已在外地参加城乡居保"),
    ("外省城乡居民养老保险", "other", "已在外地参加城乡居保"),
    ("省内外县城乡居保", "other", "已在外地参加城乡居保"),
    ("全国比对省外职工养老保险", "other_province", ""),
    ("省外机关事业", "other", "已参加省外机关事业单位养老保险"),
    ("城乡居保已参保", "enrolled", ""),
])
def test_comparison_names_for_schemes_held_elsewhere_map_as_the_issue_says(name, category, other_text):
    assert resolve_category(name)[0] == category
    assert resolve_category(name)[2] == other_text


def test_resident_pension_held_elsewhere_suggests_other_with_evidence_not_in_scope(case, tmp_path):
    people, _sources, src_dir = case
    wang, zhao, zhou = people[0], people[3], people[6]
    files = [parse_compare_spec(str(_source_file(src_dir / "外省城乡居民养老保险.xlsx", [wang.id]))),
             parse_compare_spec(str(_source_file(src_dir / "全国比对省外职工养老保险.xlsx", [zhao.id]))),
             parse_compare_spec(str(_source_file(src_dir / "省外机关事业.xlsx", [zhou.id])))]
    out = tmp_path / "out"
    prefill(write_list_xlsx(src_dir / "名单.xlsx", people), files, out_dir=out, as_of=AS_OF)
    rows = {r["id"]: r for f in out.glob("*_预填.xlsx") for r in read_back(f)}
    w = rows[wang.id]
    assert (w["in_scope"], w["other"], w["remark"]) == ("", "已在外地参加城乡居保", "比对：外省城乡居民养老保险")
    z = rows[zhao.id]
    assert (z["in_scope"], z["other_province"], z["remark"]) == ("", "√", "比对：省外职工养老保险")
    assert (rows[zhou.id]["prov_institution"], rows[zhou.id]["other"]) == ("", "已参加省外机关事业单位养老保险")


def test_people_in_an_employee_pension_and_the_city_registrations_are_listed_as_double_insured(case, tmp_path):
    people, sources, src_dir = case
    zhao = people[3]  # in 居保 (城乡居保已参保); put him into 企业 too
    write_sources(src_dir, [*people[:3], Row(zhao.name, zhao.id, "草尾镇", "草尾镇", zhao.address, ["企业", "居保"]),
                            *people[4:]])
    out = tmp_path / "out"
    result = prefill(write_list_xlsx(src_dir / "名单.xlsx", people), sources, out_dir=out, as_of=AS_OF)
    assert [(x.unit, x.name, x.id, x.detail) for x in result.double_insured] == [
        ("草尾镇", "赵丁", zhao.id, "省内企业职保、城乡居保已参保")]
    sheet = CalamineWorkbook.from_path(str(out / SUMMARY_XLSX)).get_sheet_by_name("重复参保").to_python()
    assert [r[2:] for r in sheet] == [["姓名", "身份证号码", "说明"], ["赵丁", zhao.id, "省内企业职保、城乡居保已参保"]]
    r = {x["id"]: x for x in read_back(out / WORKBOOK_NAME.format(unit="草尾镇"))}[zhao.id]
    assert "重复参保：职保与城乡居保均有参保记录，请核实" in r["remark"]
    assert {u.name: u.double_insured for u in result.units} == {"草尾镇": 1, "琼湖街道": 0}


def test_priority_rule_from_a_data_file_settles_death_against_employee_pension(case, tmp_path):
    people, sources, src_dir = case
    feng = people[9]  # in 企业; also cremated
    write_sources(src_dir, [*people[:9], Row(feng.name, feng.id, "琼湖街道", "", feng.address, ["企业", "火化"],
                                             compare_id=feng.compare_id), *people[10:]])
    lst = write_list_xlsx(src_dir / "名单.xlsx", people)
    out = tmp_path / "open"
    prefill(lst, sources, out_dir=out, as_of=AS_OF)  # no rule: the conflict stays open
    r = {x["id"]: x for x in read_back(out / WORKBOOK_NAME.format(unit="琼湖街道"))}[feng.id]
    assert (r["deceased"], r["prov_enterprise"]) == ("", "") and "比对冲突" in r["remark"]
    rules = src_dir / "优先规则.csv"
    rules.write_text("higher,lower,note\n火化,省内企业职保,死亡/火化优先于职保\n", encoding="utf-8")
    out = tmp_path / "ruled"
    result = prefill(lst, sources, out_dir=out, as_of=AS_OF, priority=rules)
    r = {x["id"]: x for x in read_back(out / WORKBOOK_NAME.format(unit="琼湖街道"))}[feng.id]
    assert (r["deceased"], r["prov_enterprise"]) == ("√", "")
    assert r["remark"] == "比对：省内企业职保、民政火化；按优先规则：已死亡优先于省内企业职保"
    assert {u.name: u.conflicts for u in result.units}["琼湖街道"] == 0
    shown = CalamineWorkbook.from_path(str(out / SUMMARY_XLSX)).get_sheet_by_name("优先规则").to_python()
    assert shown == [["优先", "次于", "说明"], ["已死亡", "省内企业职保", "死亡/火化优先于职保"]]


def test_students_aged_25_or_more_on_the_as_of_date_are_flagged(case, tmp_path):
    people, sources, src_dir = case
    young = Row("韩卯", make_id("19960930", "311"), "草尾镇", "草尾镇", "湖南省沅江市草尾镇新华村1组", ["学生"])
    turned = Row("杨辰", make_id("19951001", "321"), "草尾镇", "草尾镇", "湖南省沅江市草尾镇新华村2组", ["学生"])
    on_day = Row("朱巳", make_id("19950930", "331"), "草尾镇", "草尾镇", "湖南省沅江市草尾镇新华村4组", ["学生"])
    everyone = [*people, young, turned, on_day]
    write_sources(src_dir, everyone)
    out = tmp_path / "out"
    result = prefill(write_list_xlsx(src_dir / "名单.xlsx", everyone), sources, out_dir=out, as_of=AS_OF)
    # 朱巳 turns 25 on the as-of day; 杨辰 one day later; 韩卯 is 24. 张丙's student evidence conflicts
    # with 企业职保, and he is flagged too (in workbook order: village, then name)
    assert [(x.name, x.detail) for x in result.students_over_age] == [
        ("张丙", "44周岁"), ("朱巳", "25周岁"), ("李乙", "35周岁")]
    rows = {x["id"]: x for x in read_back(out / WORKBOOK_NAME.format(unit="草尾镇"))}
    assert rows[on_day.id]["remark"] == "比对：教育在校学生；比对为在校学生，但截至2020-09-30已满25周岁，请核实是否仍在校"
    assert rows[turned.id]["remark"] == rows[young.id]["remark"] == "比对：教育在校学生"
    assert {u.name: u.students_over_age for u in result.units}["草尾镇"] == 3
    sheet = CalamineWorkbook.from_path(str(out / SUMMARY_XLSX)).get_sheet_by_name("在校学生年龄需核实").to_python()
    assert [r[2] for r in sheet[1:]] == ["张丙", "朱巳", "李乙"]
