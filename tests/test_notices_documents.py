"""Every generated notice opens in LibreOffice: converted to text and PDF in one soffice call each,
the text holds the unit names and the very figures of the Annex 5 sheet written from the same data
(read back with calamine, a reader independent of the writer)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import openpyxl
import pytest
from lo_helpers import _clean_env, soffice
from notices_world import World, world_for
from python_calamine import CalamineWorkbook

from coverage_xl.layout import TOTAL_LABEL
from coverage_xl.notices.documents import REASON_COLUMNS, UNITS_DIR
from coverage_xl.units import default_units

pytestmark = pytest.mark.libreoffice
if soffice() is None:
    pytest.skip("LibreOffice (soffice) is not installed", allow_module_level=True)

ID_RE = re.compile(r"(?<![\d*])\d{17}[\dXx](?![\d])")
MOBILE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def _convert_all(paths: list[Path], fmt: str, out_dir: Path) -> None:
    """One soffice call for every document (starting LibreOffice dominates the cost)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    profile = out_dir / ".lo-profile"
    proc = subprocess.run([soffice(), f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                           "--convert-to", fmt, "--outdir", str(out_dir), *map(str, paths)],
                          capture_output=True, text=True, timeout=600, env=_clean_env())
    assert proc.returncode == 0, proc.stderr[-2000:]


@pytest.fixture(scope="module")
def world(unit_folder, tmp_path_factory) -> World:
    return world_for(unit_folder.path, tmp_path_factory.mktemp("notices"))


@pytest.fixture(scope="module")
def docs(world: World, tmp_path_factory) -> dict[str, Path]:
    docx = sorted(world.out.rglob("*.docx"))
    assert len({p.name for p in docx}) == len(docx), "file names must be unique for one --outdir"
    conv = tmp_path_factory.mktemp("converted")
    _convert_all(docx, "txt:Text", conv / "txt")
    _convert_all(docx, "pdf", conv / "pdf")
    return {p.stem: p for p in docx} | {"_conv": conv}


def _text(docs, stem: str) -> str:
    return (docs["_conv"] / "txt" / f"{stem}.txt").read_text(encoding="utf-8-sig")


def _pdf_pages(docs, stem: str) -> int:
    data = (docs["_conv"] / "pdf" / f"{stem}.pdf").read_bytes()
    assert data.startswith(b"%PDF")
    return len(re.findall(rb"/Type\s*/Page(?!s)", data))


def _annex5_sheet(world: World) -> dict[str, list]:
    """Unit name (or 合计) -> [should_cover, registered, paid, unregistered, coverage, payment] as printed."""
    rows = CalamineWorkbook.from_path(str(world.annex5_book)).get_sheet_by_name("附件5").to_python()
    names = {u.full_name: u.name for u in default_units()}
    out = {}
    for r in rows:
        key = names.get(str(r[1]).strip()) or (TOTAL_LABEL if TOTAL_LABEL in (str(r[0]), str(r[1])) else None)
        if key and isinstance(r[2], int | float):
            counts = [str(int(v)) for v in r[2:6]]
            rates = ["" if v in ("", None) else f"{float(v) * 100:.2f}%" for v in r[6:8]]
            out[key] = counts + rates
    assert len(out) == 15, out.keys()
    return out


def test_every_docx_converts_to_text_and_pdf(world, docs):
    stems = [s for s in docs if s != "_conv"]
    written = [p for k, paths in world.run.written.items() for p in paths if p.suffix == ".docx"]
    assert sorted(stems) == sorted(p.stem for p in written) and len(stems) > 30
    for stem in stems:
        assert _text(docs, stem).strip(), stem
        assert _pdf_pages(docs, stem) >= 1, stem


def test_bulletin_table_rows_hold_the_annex5_sheet_figures(world, docs):
    sheet = _annex5_sheet(world)
    lines = [ln.strip() for ln in _text(docs, "月度通报_2020年9月").splitlines()]
    text = "\n".join(lines)
    start = lines.index("节点状态") + 1
    seen = []
    for i in range(14):
        cells = lines[start + 11 * i: start + 11 * (i + 1)]
        rank, name, task, *figures, done, status = cells
        assert rank == str(i + 1)
        assert figures == sheet[name], name
        assert status in ("达标", "滞后")
        seen.append(name)
    assert sorted(seen) == sorted(u.name for u in default_units())
    total = sheet[TOTAL_LABEL]
    assert lines[start + 154: start + 163] == ["", "全市", "120087", *total], "the 全市 row"
    assert f"城乡居保应覆盖{total[0]}人，已进行参保登记{total[1]}人，其中已缴费{total[2]}人" in text
    assert f"城乡居保覆盖率{total[4]}，参保缴费率{total[5]}" in text
    assert "2020年9月30日" in text and text.rstrip().endswith("沅江市人力资源和社会保障局\n2020年9月30日")
    laggards = [u for u in world.run.written["unit"]]
    assert laggards and "予以通报表扬" in text and "予以通报，请上述单位" in text


def test_unit_notices_hold_their_unit_and_its_annex5_figures(world, docs):
    sheet = _annex5_sheet(world)
    prog = world.dispatch.progress.set_index("unit")
    lagging = [n for n in prog.index if prog.loc[n, "status"] == "滞后"]
    assert sorted(p.parent.name for p in world.run.written["unit"]) == sorted(lagging)
    for name in lagging:
        text = _text(docs, f"督办通知_{name}")
        sc, reg, paid, unreg, cov, pay = sheet[name]
        assert text.splitlines()[1].strip() == f"{name}："
        assert f"应覆盖{sc}人，已进行参保登记{reg}人，其中已缴费{paid}人，未进行参保登记{unreg}人" in text
        assert f"城乡居保覆盖率{cov}（全市{sheet[TOTAL_LABEL][4]}），参保缴费率{pay}" in text
        assert f"尚差{int(prog.loc[name, 'gap'])}人" in text and "2020年10月31日前整改到位" in text


def test_bulletins_and_unit_notices_show_no_id_number_or_phone(world, docs):
    for stem in [s for s in docs if s.startswith(("月度通报", "督办通知"))]:
        text = _text(docs, stem)
        assert not ID_RE.search(text) and not MOBILE_RE.search(text), stem


def test_statements_one_page_per_unwilling_person_in_their_unit_folder(world, docs):
    people = world.dispatch.people
    unwilling = people[people["in_scope"] & (people["willing"] == "否") & ~people["registered"]]
    assert sorted(p.parent.name for p in world.run.written["statement"]) == sorted(set(unwilling["unit"]))
    for path in world.run.written["statement"]:
        unit = path.parent.name
        assert path.parent.parent.name == UNITS_DIR
        mine = unwilling[unwilling["unit"] == unit]
        text = _text(docs, path.stem)
        assert text.count("城乡居民基本养老保险不参保意愿书") == len(mine)
        assert _pdf_pages(docs, path.stem) == len(mine)
        assert set(ID_RE.findall(text)) == set(mine["id"]), "only this unit's people, each once"
        assert "本人签名（按手印）" in text and "年   月   日" in text


def test_estimate_letters_mask_ids_and_stay_in_their_unit(world, docs):
    for path in world.run.written["estimate"]:
        text = _text(docs, path.stem)
        unit = path.parent.name
        assert not ID_RE.search(text)
        assert "月养老金合计" in text and f"详情请咨询{unit}人社服务站" in text
        letters = text.count("城乡居民基本养老保险待遇测算告知书")
        assert letters >= 1 and _pdf_pages(docs, path.stem) >= letters


def test_reasons_workbooks_hold_the_units_unregistered_people_with_trace_columns(world):
    people = world.dispatch.people
    for path in world.run.written["reasons"]:
        unit = path.parent.name
        ws = openpyxl.load_workbook(path).active
        header = [c.value for c in ws[3]]
        assert header == [h for h, _ in REASON_COLUMNS]
        assert {"联系时间", "联系方式", "未参保原因", "记录人"} <= set(header)
        rows = [r for r in ws.iter_rows(min_row=4, values_only=True) if r[0] is not None]
        mine = people[(people["unit"] == unit) & people["in_scope"] & ~people["registered"]]
        assert len(rows) == len(mine) and {r[1] for r in rows} == {unit}
        assert sorted(r[3] or "" for r in rows) == sorted(mine["id"])
        for r in rows:
            assert (r[7] == "个人不愿意参保") == (r[6] == "否")
        assert ws.cell(4, 4).number_format == "@"
        body = range(4, 4 + len(rows))  # every row styled as the first: text IDs and phones, boxed, 宋体
        assert {ws.cell(r, c).number_format for r in body for c in (4, 6)} == {"@"}
        assert {(ws.cell(r, c).border.left.style, ws.cell(r, c).font.name) for r in body for c in range(1, 13)} \
            == {("thin", "宋体")}
        lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
        assert any("人户分离，联系不上" in f for f in lists.values() if f)


def test_each_unit_by_unit_kind_reports_its_units_in_order_for_its_own_progress_bar(world):
    """The CLI draws one bar per document kind from these steps: (kind, unit, done, units of the kind).
    Units written in worker processes are reported as they finish, so in any order, each once."""
    for kind, prefix in (("unit", "督办通知"), ("statement", "不参保意愿书"), ("reasons", "未参保原因反馈表"),
                         ("estimate", "测算告知书")):
        steps = [s for s in world.unit_steps if s[0] == kind]
        written = [p.parent.name for p in world.run.written[kind]]
        assert written, kind
        assert sorted(s[1] for s in steps if s[1] in written) == sorted(written)
        assert [s[2] for s in steps] == list(range(1, len(steps) + 1))
        assert {s[3] for s in steps} == {len(steps)}
        assert all(p.name.startswith(prefix) for p in world.run.written[kind])
    assert {s[0] for s in world.unit_steps} == {"unit", "statement", "reasons", "estimate"}
