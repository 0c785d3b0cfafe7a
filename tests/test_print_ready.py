"""Everything a clerk prints prints well: page setup on every sheet, titles and page numbers on every
page, dates and names whole, notice tables that repeat their header and never split a row.

The outputs are those of the demo chain on the shipped sample (workbooks/): the master with 附件4/5,
进度, 调度历史, 重复人员, 汇总记录 and 校验结果; an annotated copy; a follow-up list; a reasons
workbook; the bulletin. Properties are read back with openpyxl and python-docx; the pages themselves
are rendered by LibreOffice and read with pdftotext.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pytest
from cliutil import cli
from conftest import libreoffice_convert
from docx import Document
from docx.oxml.ns import qn
from pdf_layout import REFERENCE, compare, find_page, header_layout, page_text

from coverage_xl.sheets.frame import FOOTER
from coverage_xl.units import default_units

ROOT = Path(__file__).resolve().parent.parent
UNITS = ROOT / "workbooks" / "units"
EXPORTS = ROOT / "workbooks" / "exports"
AS_OF = "2020-09-30"

# name → (document, text on the page, anchor word, first word below the header, or a band around the anchor)
REFERENCE_PAGES = {
    "annex4_page1": ("master", "沅江市城乡居民养老保险全覆盖摸底统计表", "行政代码", "1", None),
    "annex5_page1": ("master", "沅江市城乡居民养老保险全覆盖情况调度表", "行政代码", "1", None),
    "bulletin_page1": ("bulletin", "各单位进展情况", "排名", None, 14.0),
}


def run_chain(out: Path) -> dict[str, Path]:
    """The demo chain on the shipped sample; the paths of the outputs a clerk prints."""
    master = out / "总表.xlsm"
    exports = ["-r", EXPORTS / "参保登记.xlsx", "-p", EXPORTS / "缴费明细.csv"]
    steps = [
        ("validate", UNITS, "--as-of", AS_OF, "--annotate", out / "校验标注"),
        ("master", master, "--survey-dir", UNITS),
        ("consolidate", UNITS, "--as-of", AS_OF, "-o", master),
        ("dispatch", "--survey", UNITS, *exports, "--as-of", AS_OF, "-o", master, "--lists", out / "跟进名单"),
        ("notices", "all", "--survey", UNITS, *exports, "--as-of", AS_OF, "-o", out / "通报"),
    ]
    for args in steps:
        r = cli(*args)
        assert r.code in (0, 1), r.output  # validate reports the sample's planted mistakes with 1
    return {
        "master": master,
        "annotated": next((out / "校验标注").glob("草尾镇*.xlsx")),
        "followup": next((out / "跟进名单").glob("草尾镇*.xlsx")),
        "reasons": next((out / "通报").rglob("未参保原因反馈表_草尾镇.xlsx")),
        "bulletin": next((out / "通报").glob("月度通报*.docx")),
    }


def render_outputs(out: Path) -> dict[str, Path]:
    """The chain's master and bulletin as PDF pages (LibreOffice headless)."""
    files = run_chain(out)
    pdf_dir = out / "pdf"
    return {name: libreoffice_convert(files[name], "pdf", pdf_dir) for name in ("master", "bulletin")}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, Path]:
    return run_chain(tmp_path_factory.mktemp("print"))


@pytest.fixture(scope="module")
def pdfs(outputs) -> dict[str, Path]:
    pdf_dir = outputs["master"].parent / "pdf"
    return {name: libreoffice_convert(outputs[name], "pdf", pdf_dir) for name in ("master", "bulletin")}


def _title_rows(ws) -> tuple[int, int]:
    first, _, last = str(ws.print_title_rows).replace("$", "").partition(":")
    return int(first), int(last or first)


@pytest.mark.parametrize("name", ["master", "annotated", "followup", "reasons"])
def test_every_visible_sheet_prints_a4_one_page_wide_with_page_numbers_and_its_title(outputs, name):
    wb = openpyxl.load_workbook(outputs[name])
    checked = 0
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        checked += 1
        where = f"{outputs[name].name}!{ws.title}"
        assert int(ws.page_setup.paperSize) == 9, where  # A4
        assert ws.page_setup.orientation in ("portrait", "landscape"), where
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1, where
        assert ws.page_setup.fitToHeight == 0, where  # as many pages down as it takes
        assert ws.oddFooter.center.text == FOOTER, where
        assert ws.print_title_rows, where
        first, last = _title_rows(ws)
        title_on_every_page = (first == 1 and last > 1) or ws.oddHeader.center.text == ws.title
        assert title_on_every_page, where
    assert checked >= 1


def test_the_check_results_sheet_leads_with_the_rule_name_and_prints_without_the_english_code(outputs):
    ws = openpyxl.load_workbook(outputs["annotated"])["校验结果"]
    header = [c.value for c in ws[1]]
    assert header[-1] == "代码" and header.index("问题类型") < header.index("问题及修改方法")
    assert str(ws.print_area).endswith(f"$J${ws.max_row}") and "K" not in str(ws.print_area)
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert rows and all(re.fullmatch(r"[a-z0-9_]+\.[a-z0-9_.]+", r[-1]) for r in rows)
    assert all(re.search(r"[\u4e00-\u9fff]", r[header.index("问题类型")]) for r in rows)


def test_history_charts_sit_inside_the_print_area_and_a_single_snapshot_shows_markers(outputs):
    ws = openpyxl.load_workbook(outputs["master"])["调度历史"]
    area = str(ws.print_area).split("!")[-1].replace("$", "")
    m = re.fullmatch(r"A1:([A-Z]+)(\d+)", area)
    assert m, area
    last_row = int(m[2])
    last_col = openpyxl.utils.column_index_from_string(m[1])
    assert len(ws._charts) == 2
    for chart in ws._charts:
        anchor = chart.anchor._from
        assert anchor.col + 1 <= last_col and anchor.row + 1 <= last_row
    data_end = max(r for r in range(4, ws.max_row + 1) if ws.cell(r, 1).value is not None and r < last_row)
    assert [b.id for b in ws.row_breaks.brk] == [data_end + 1]  # the charts start a page of their own
    # one snapshot in the sample: the line chart's points must be visible
    wb_xml = openpyxl.load_workbook(outputs["master"])
    line = next(c for c in wb_xml["调度历史"]._charts if c.tagname == "lineChart")
    assert line.series and all(s.marker is not None and s.marker.symbol == "circle" for s in line.series)


def test_lists_to_fill_by_hand_have_rows_tall_enough_to_write_in(outputs):
    for name in ("followup", "reasons"):
        ws = openpyxl.load_workbook(outputs[name]).worksheets[0]
        first, last = _title_rows(ws)
        rows = [r for r in range(last + 1, ws.max_row + 1) if ws.cell(r, 3).value]  # 姓名 filled
        heights = [ws.row_dimensions[r].height for r in rows]
        assert heights and all(h is not None and h >= 24 for h in heights), (name, heights[:5])
        assert ws.row_dimensions[last].height >= 30  # the header row: two-line headers fit


def test_the_run_log_shows_its_date_time_in_a_cell_wide_enough(outputs):
    ws = openpyxl.load_workbook(outputs["master"])["汇总记录"]
    ranges = {str(r) for r in ws.merged_cells.ranges}
    row = next(r for r in range(1, 20) if ws.cell(r, 1).value == "汇总时间")
    assert f"C{row}:E{row}" in ranges


def test_rendered_notice_tables_repeat_their_header_and_never_split_a_row(outputs):
    doc = Document(str(outputs["bulletin"]))
    assert doc.tables
    for table in doc.tables:
        rows = table._tbl.tr_lst
        assert rows[0].trPr is not None and rows[0].trPr.find(qn("w:tblHeader")) is not None
        assert all(tr.trPr is not None and tr.trPr.find(qn("w:cantSplit")) is not None for tr in rows)


@pytest.mark.libreoffice
def test_printed_dates_unit_names_and_rates_are_never_broken(outputs, pdfs):
    master = page_text(pdfs["master"]).replace(" ", "")
    assert master.count("2020年9月30日") >= 2  # 附件4 and 附件5 print their date whole
    bulletin = page_text(pdfs["bulletin"])
    for unit in default_units():
        assert re.search(rf"(^|\s){unit.name}(\s|$)", bulletin, re.M), unit.name
    doc = Document(str(outputs["bulletin"]))
    rates = [c.text for t in doc.tables for row in t.rows for c in row.cells if c.text.endswith("%")]
    assert len(rates) >= 14 * 3
    words = set(bulletin.split())
    assert [r for r in rates if r not in words] == []


@pytest.mark.libreoffice
@pytest.mark.parametrize("name", sorted(REFERENCE_PAGES))
def test_page_layout_matches_the_reference_rendering(pdfs, name):
    doc, marker, anchor, above, band = REFERENCE_PAGES[name]
    page = find_page(pdfs[doc], marker)
    actual = header_layout(pdfs[doc], page, anchor, above=above, band=band)
    reference = json.loads((REFERENCE / f"{name}.json").read_text(encoding="utf-8"))
    assert len(reference) >= 5
    assert compare(reference, actual) == []
