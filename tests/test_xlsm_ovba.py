"""The VBA project writer, checked with oletools' olevba (an independent MS-OVBA reader)."""

from __future__ import annotations

import io
import random
import struct
import zipfile

import olefile
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oletools.olevba import VBA_Parser, VBA_Project, decompress_stream

from coverage_xl.xlsm.compression import compress, decompress
from coverage_xl.xlsm.ovba import (
    VbaModule,
    build_vba_project,
    decrypt,
    document_module,
    encrypt,
    read_vba_project,
    standard_module,
)
from coverage_xl.xlsm.vba_sources import xlwings_dir, xlwings_modules


def _olevba_decompress(data: bytes) -> bytes:
    return bytes(decompress_stream(bytearray(data)))


def _chunk_sizes(container: bytes) -> list[tuple[int, bool]]:
    pos, out = 1, []
    while pos < len(container):
        (header,) = struct.unpack_from("<H", container, pos)
        assert (header >> 12) & 7 == 0b011
        size = (header & 0x0FFF) + 3
        out.append((size, bool(header & 0x8000)))
        pos += size if header & 0x8000 else 4098
    return out


REPETITIVE = [b"", b"a", b"ab" * 3, b"a" * 10_000, b"abc" * 5000, b"    " * 3000, bytes(range(256)) * 40]


@pytest.mark.parametrize("data", REPETITIVE, ids=lambda d: f"{len(d)}B")
def test_compression_round_trips_through_olevba(data):
    packed = compress(data)
    assert packed[0] == 1
    assert _olevba_decompress(packed) == data
    assert decompress(packed) == data
    assert all(size <= 4098 for size, _ in _chunk_sizes(packed))


def test_repetitive_input_compresses_hard():
    assert len(compress(b"a" * 10_000)) < 40
    assert len(compress(b"Sub A()\r\nEnd Sub\r\n" * 500)) < 9000 // 10


def test_incompressible_chunks_are_stored_raw():
    data = random.Random(1).randbytes(3 * 4096)
    packed = compress(data)
    assert _chunk_sizes(packed) == [(4098, False)] * 3
    assert _olevba_decompress(packed) == data


def test_xlwings_module_round_trips():
    source = (xlwings_dir() / "xlwings.bas").read_bytes()
    packed = compress(source)
    assert len(source) > 4096 and len(packed) < len(source) // 2
    assert _olevba_decompress(packed) == source


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([b"Dim ", b"x", b"\r\n", b"    ", b"End Sub", b"RunPython ", b"\"", b"1"]), max_size=1500))
def test_compression_round_trips_any_vba_like_text(parts):
    data = b"".join(parts)
    assert _olevba_decompress(compress(data)) == data


def test_decompress_rejects_a_bad_signature():
    with pytest.raises(ValueError):
        decompress(b"\x02abc")


# --- CMG / DPB / GC ------------------------------------------------------------------------------

# From xlwings' quickstart_standalone.xlsm, saved by Excel (its PROJECT stream).
EXCEL_ID = "{5CF9CDAB-B77B-4FE4-BD7E-D29900070E1B}"
EXCEL_FIELDS = {"CMG": ("8D8FA61394EA98EA98EA98EA98", bytes(4)), "DPB": ("8D8FA61394EF95EF95EF", b"\0"),
                "GC": ("8D8FA61394EF95EF9510", b"\xff")}


@pytest.mark.parametrize("field", sorted(EXCEL_FIELDS))
def test_decrypts_what_excel_wrote(field):
    text, plain = EXCEL_FIELDS[field]
    assert decrypt(text) == plain
    # Same seed: the first three bytes (seed, version, project key) must match Excel's.
    assert encrypt(EXCEL_ID, plain, 0x8D)[:6] == text[:6]
    assert decrypt(encrypt(EXCEL_ID, plain, 0x8D)) == plain


# --- the project ---------------------------------------------------------------------------------

CALLBACKS = "Sub CXL_Validate(control As IRibbonControl)\r\n    RunPython \"import m; m.f()\"\r\nEnd Sub\r\n"


def _modules() -> list[VbaModule]:
    return [
        document_module("ThisWorkbook", workbook=True),
        document_module("Sheet1"),
        document_module("Sheet2"),
        *xlwings_modules(),
        standard_module("CoverageXL", CALLBACKS),
    ]


@pytest.fixture(scope="module")
def project() -> bytes:
    return build_vba_project(_modules())


def test_olevba_returns_every_module_source_exactly(project):
    parser = VBA_Parser("vbaProject.bin", data=project)
    got = {name: code for _f, _s, name, code in parser.extract_macros()}
    want = {m.name + (".bas" if m.kind == "module" else ".cls"): m.source for m in _modules()}
    assert got == want


def test_olevba_strict_dir_parse_sees_codepage_platform_and_module_kinds(project):
    ole = olefile.OleFileIO(io.BytesIO(project))
    vba = VBA_Project(ole, "", "PROJECT", "VBA/dir", relaxed=False)
    assert (vba.codepage, vba.lcid, vba.syskind, vba.projectname) == (1252, 0x409, 1, "VBAProject")
    vba.parse_project_stream()
    assert vba.module_ext == {"thisworkbook": "cls", "sheet1": "cls", "sheet2": "cls", "xlwings": "bas",
                              "dictionary": "cls", "coveragexl": "bas"}


def test_streams_as_the_spec_asks(project):
    ole = olefile.OleFileIO(io.BytesIO(project))
    assert ole.openstream("VBA/_VBA_PROJECT").read() == bytes.fromhex("CC61FFFF000000")
    text = ole.openstream("PROJECT").read().decode("cp1252")
    lines = text.split("\r\n")
    assert lines[0].startswith('ID="{') and text.endswith("\r\n")
    assert lines[1:7] == ["Document=ThisWorkbook/&H00000000", "Document=Sheet1/&H00000000",
                          "Document=Sheet2/&H00000000", "Module=xlwings", "Class=Dictionary", "Module=CoverageXL"]
    project_id = lines[0][4:-1]
    fields = dict(ln.split("=", 1) for ln in lines if ln[:4] in ("CMG=", "DPB=", "GC=\""))
    assert decrypt(fields["CMG"].strip('"')) == bytes(4)
    assert decrypt(fields["DPB"].strip('"')) == b"\0"
    assert decrypt(fields["GC"].strip('"')) == b"\xff"
    assert encrypt(project_id, b"\0", 0)[:6] == "0002" + f"{sum(project_id.encode()) & 0xFF:02X}"
    assert "[Host Extender Info]" in lines and "[Workspace]" in lines
    wm = ole.openstream("PROJECTwm").read()
    assert wm.startswith(b"ThisWorkbook\0" + "ThisWorkbook".encode("utf-16-le") + b"\0\0") and wm.endswith(b"\0\0")


def test_dir_references_stdole_and_office(project):
    ole = olefile.OleFileIO(io.BytesIO(project))
    raw = _olevba_decompress(ole.openstream("VBA/dir").read())
    assert b"{00020430-0000-0000-C000-000000000046}#2.0#0#" in raw and b"#OLE Automation" in raw
    assert b"{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#" in raw and b"MSO.DLL#Microsoft Office" in raw


def test_read_back_gives_the_same_modules_and_kinds(project):
    back = read_vba_project(project)
    assert back.modules == _modules() and (back.codepage, back.syskind) == (1252, 1)
    again = build_vba_project(back.modules, references=back.references, project_id=back.project_id)
    assert again == project


def test_reads_a_project_excel_saved():
    # xlwings ships a workbook saved by Excel: its modules carry p-code before the source
    # (MODULEOFFSET > 0), and its references include a control library.
    with zipfile.ZipFile(xlwings_dir() / "quickstart_standalone.xlsm") as zf:
        vba_bin = zf.read("xl/vbaProject.bin")
    back = read_vba_project(vba_bin)
    olevba = {name.rsplit(".", 1)[0]: code for _f, _s, name, code in VBA_Parser("x.bin", data=vba_bin).extract_macros()}
    assert {m.name: m.source for m in back.modules} == olevba
    assert [m.kind for m in back.modules] == ["document", "document", "module", "document", "module", "class"]
    assert b"MSForms" in back.references and b"MSO.DLL" in back.references
    assert (back.project_id, back.syskind, back.codepage) == (EXCEL_ID, 3, 1252)


def test_build_is_reproducible_and_rejects_bad_projects():
    assert build_vba_project(_modules()) == build_vba_project(_modules())
    with pytest.raises(ValueError):
        build_vba_project([standard_module("M", "")])  # no ThisWorkbook
    with pytest.raises(ValueError):
        build_vba_project([document_module("ThisWorkbook", workbook=True), standard_module("A", ""), standard_module("a", "")])
    with pytest.raises(ValueError):
        build_vba_project([document_module("ThisWorkbook", workbook=True), standard_module("M", "' 中文\r\n")])
