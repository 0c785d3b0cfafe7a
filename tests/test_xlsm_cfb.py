"""The compound file writer: olefile reads back every stream, and the directory is a valid tree."""

from __future__ import annotations

import io
import random

import olefile
import pytest

from coverage_xl.xlsm.cfb import write_cfb


def _open(data: bytes) -> olefile.OleFileIO:
    # DEFECT_INCORRECT: olefile raises on anything the spec forbids, not only on fatal damage.
    return olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_INCORRECT)


def _entries() -> dict[str, bytes]:
    rnd = random.Random(7)
    sizes = [0, 1, 63, 64, 65, 511, 512, 4095, 4096, 4097, 20_000, 70_000]
    entries = {f"VBA/S{size}": rnd.randbytes(size) for size in sizes}
    entries.update({"PROJECT": b"ID=\"{X}\"\r\n", "PROJECTwm": b"\0\0", "VBA/_VBA_PROJECT": bytes.fromhex("CC61FFFF000000")})
    entries.update({f"Other/Deep/M{i:02d}": rnd.randbytes(i * 97) for i in range(1, 40)})
    return entries


def test_olefile_reads_back_every_stream_exactly():
    entries = _entries()
    ole = _open(write_cfb(entries))
    assert sorted("/".join(p) for p in ole.listdir()) == sorted(entries)
    for path, data in entries.items():
        assert ole.get_size(path) == len(data)
        assert ole.openstream(path).read() == data, path


def test_storages_are_storages_and_version_is_3():
    data = write_cfb({"VBA/dir": b"x", "PROJECT": b"y"})
    ole = _open(data)
    assert ole.get_type("VBA") == olefile.STGTY_STORAGE
    assert ole.get_type("PROJECT") == olefile.STGTY_STREAM
    assert (ole.dll_version, ole.sector_size, ole.mini_sector_size) == (3, 512, 64)
    assert len(data) % 512 == 0


def _in_order(ole: olefile.OleFileIO, sid: int) -> list[str]:
    if sid == olefile.NOSTREAM:
        return []
    entry = ole.direntries[sid]
    return _in_order(ole, entry.sid_left) + [entry.name] + _in_order(ole, entry.sid_right)


def test_siblings_form_a_search_tree_in_cfb_order():
    # [MS-CFB] 2.6.4: shorter names first, then upper-case comparison; all nodes may be black.
    names = ["dir", "Sheet1", "Sheet10", "Sheet2", "ThisWorkbook", "_VBA_PROJECT", "xlwings", "a", "B", "CoverageXL"]
    ole = _open(write_cfb({f"VBA/{n}": n.encode() for n in names}))
    vba = next(e for e in ole.direntries if e is not None and e.name == "VBA")
    got = _in_order(ole, vba.sid_child)
    assert got == sorted(names, key=lambda n: (len(n), n.upper()))
    assert all(e.color == 1 for e in ole.direntries if e is not None and e.entry_type)


def test_output_is_reproducible():
    entries = _entries()
    assert write_cfb(entries) == write_cfb(dict(entries))


@pytest.mark.parametrize("path", ["VBA/" + "x" * 32, "a//b", "VBA/a:b"])
def test_rejects_names_the_format_cannot_hold(path):
    with pytest.raises(ValueError):
        write_cfb({path: b"1"})


def test_rejects_a_stream_used_as_a_storage():
    with pytest.raises(ValueError):
        write_cfb({"VBA": b"1", "VBA/dir": b"2"})
