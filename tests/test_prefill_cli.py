"""``coverage-xl prefill``: the command line over :func:`coverage_xl.prefill.prefill`."""

from __future__ import annotations

from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from coverage_xl.cli import main
from coverage_xl.prefill import SUMMARY_CSV, SUMMARY_XLSX, UNRECOGNISED_FILE, WORKBOOK_NAME

try:  # tests/ is a folder of modules, or a package when the suite is run as such
    from test_prefill import BAD, read_back, rows, write_list_gbk_csv, write_sources
except ImportError:
    from tests.test_prefill import BAD, read_back, rows, write_list_gbk_csv, write_sources

CAOWEI_FILE = WORKBOOK_NAME.format(unit="草尾镇")


def _inputs(tmp_path):
    people = rows()
    src = tmp_path / "src"
    src.mkdir()
    write_sources(src, people)
    return people, src, write_list_gbk_csv(src / "名单.csv", people)


def test_command_writes_workbooks_and_summary_and_masks_ids(tmp_path):
    people, src, lst = _inputs(tmp_path)
    out = tmp_path / "out"
    res = CliRunner().invoke(main, [
        "prefill", "--list", str(lst), "--compare", f"{src / '企业.xlsx'}=省内企业职保",
        "--compare", f"{src / '学生.xlsx'}=教育", "--compare", f"{src / '居保.xlsx'}=enrolled",
        "--compare", str(src / "火化.xlsx"), "--compare", f"{src / '迁出.xlsx'}=公安迁出",
        "-o", str(out), "--as-of", "2020-09-30"])
    assert res.exit_code == 0, res.output
    assert {p.name for p in out.iterdir() if not p.name.startswith(".")} == {CAOWEI_FILE, WORKBOOK_NAME.format(unit="琼湖街道"), UNRECOGNISED_FILE,
                                                SUMMARY_XLSX, SUMMARY_CSV}
    assert "1 人无法识别所属单位" in res.output and "1 个身份证号码需核实" in res.output
    assert BAD not in res.output and BAD[:6] + "********" + BAD[-4:] in res.output
    for p in people:
        assert p.id not in res.output
    by_id = {r["id"]: r for r in read_back(out / CAOWEI_FILE)}
    assert by_id[people[0].id]["prov_enterprise"] == "√"
    assert by_id[people[3].id]["in_scope"] == "√"


def test_command_unmasked_shows_the_bad_number(tmp_path):
    _people, src, lst = _inputs(tmp_path)
    res = CliRunner().invoke(main, ["prefill", "--list", str(lst), "-o", str(tmp_path / "o"), "--unmasked",
                                    "--as-of", "2020-09-30"])
    assert res.exit_code == 0, res.output
    assert BAD in res.output


def test_config_file_declares_sources_units_and_output(tmp_path):
    people, src, lst = _inputs(tmp_path)
    cfg = tmp_path / "prefill.toml"
    cfg.write_text(f'''
list = "src/{lst.name}"
out_dir = "out"
units = ["草尾镇"]
city_code = true

[[compare]]
file = "src/企业.xlsx"
category = "省内企业职保"
label = "社保中心企业职保"

[[compare]]
file = "src/学生.xlsx"
category = "student"
id_column = "身份证号码"
''', encoding="utf-8")
    res = CliRunner().invoke(main, ["prefill", "--config", str(cfg), "--as-of", "2020-09-30"])
    assert res.exit_code == 0, res.output
    out = tmp_path / "out"
    assert (out / CAOWEI_FILE).exists() and not (out / WORKBOOK_NAME.format(unit="琼湖街道")).exists()
    by_id = {r["id"]: r for r in read_back(out / CAOWEI_FILE)}
    assert by_id[people[0].id]["remark"] == "比对：社保中心企业职保" and by_id[people[0].id]["code"] == "430981"
    sheet = CalamineWorkbook.from_path(str(out / SUMMARY_XLSX)).get_sheet_by_name("比对数据").to_python()
    assert [r[0] for r in sheet[1:]] == ["社保中心企业职保", "在校学生"]


def test_missing_list_or_bad_category_is_a_usage_error_not_a_traceback(tmp_path):
    _people, src, lst = _inputs(tmp_path)
    res = CliRunner().invoke(main, ["prefill", "-o", str(tmp_path / "o")])
    assert res.exit_code == 2 and "--list" in res.output
    res = CliRunner().invoke(main, ["prefill", "--list", str(lst), "--compare", f"{src / '企业.xlsx'}=乱写",
                                    "-o", str(tmp_path / "o")])
    assert res.exit_code == 2 and "类别“乱写”无法识别" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(main, ["prefill", "--list", str(lst), "--compare", str(src / "nope.xlsx=教育"),
                                    "-o", str(tmp_path / "o")])
    assert res.exit_code == 2 and "找不到比对数据文件" in res.output


def test_priority_option_settles_the_conflict_it_names(tmp_path):
    people, src, lst = _inputs(tmp_path)
    rules = tmp_path / "优先规则.csv"
    rules.write_text("higher,lower,note\n在校学生,省内企业职保,学籍优先\n", encoding="utf-8")
    args = ["prefill", "--list", str(lst), "--compare", f"{src / '企业.xlsx'}=省内企业职保",
            "--compare", f"{src / '学生.xlsx'}=教育", "--as-of", "2020-09-30"]
    res = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "open")])
    assert res.exit_code == 0, res.output
    zhang = {r["id"]: r for r in read_back(tmp_path / "open" / CAOWEI_FILE)}[people[2].id]
    assert (zhang["student"], zhang["prov_enterprise"]) == ("", "")
    res = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "ruled"), "--priority", str(rules)])
    assert res.exit_code == 0, res.output
    zhang = {r["id"]: r for r in read_back(tmp_path / "ruled" / CAOWEI_FILE)}[people[2].id]
    assert (zhang["student"], zhang["prov_enterprise"]) == ("√", "")
    assert "名比对为在校学生的人员已满25周岁" in res.output
