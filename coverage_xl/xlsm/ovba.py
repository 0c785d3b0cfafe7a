"""Write (and read back) a VBA project, ``xl/vbaProject.bin``, following [MS-OVBA].

What is written, inside a compound file (:mod:`coverage_xl.xlsm.cfb`):

* ``VBA/<module>``: each module's source, compressed (:mod:`coverage_xl.xlsm.compression`), at
  offset 0 — no p-code, so the host compiles from source on first open;
* ``VBA/_VBA_PROJECT``: 7 bytes, version 0xFFFF and no performance cache (2.3.4.1), which tells
  the host that nothing compiled is there;
* ``VBA/dir``: the compressed project information: platform, LCID 0x409, code page 1252, the
  references to stdole and Office (``IRibbonControl`` lives in the Office library) and one record
  per module (2.3.4.2);
* ``PROJECT``: the text stream the VBE reads (2.3.1), with CMG/DPB/GC encrypted as in 2.4.3
  (unprotected, no password, visible); ``PROJECTwm``: module names in MBCS and UTF-16 (2.3.3).

Code page 1252 is what xlwings' own quickstart project carries; every module we ship is ASCII, so the
project reads the same in a Chinese Excel (936) or a Western one. Output is deterministic.
"""

from __future__ import annotations

import hashlib
import io
import struct
import uuid
from dataclasses import dataclass
from typing import Literal

import olefile

from coverage_xl.xlsm.cfb import write_cfb
from coverage_xl.xlsm.compression import compress, decompress

ModuleKind = Literal["module", "class", "document"]

CODEPAGE = 1252
LCID = 0x0409
SYSKIND_WIN32 = 1
SYSKIND_WIN64 = 3
PROJECT_NAME = "VBAProject"
EOL = "\r\n"

STDOLE = (
    "stdole",
    r"*\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\Windows\System32\stdole2.tlb#OLE Automation",
)
OFFICE = (
    "Office",
    r"*\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#"
    r"C:\Program Files\Common Files\Microsoft Shared\OFFICE16\MSO.DLL#Microsoft Office 16.0 Object Library",
)
DEFAULT_REFERENCES = (STDOLE, OFFICE)

# VB_Base of Excel's document modules: the Workbook and Worksheet coclasses.
WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"
WORKSHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"
CLASS_BASE = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"
_HOST_EXTENDER = "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000"


@dataclass(frozen=True)
class VbaModule:
    """One module as stored: ``source`` is the full text, ``Attribute VB_Name`` lines included."""

    name: str
    kind: ModuleKind
    source: str

    def encoded(self, codepage: int = CODEPAGE) -> bytes:
        try:
            return self.source.encode(f"cp{codepage}")
        except UnicodeEncodeError as exc:
            raise ValueError(f"VBA module {self.name!r} has a character outside code page {codepage}: {exc}") from exc


@dataclass(frozen=True)
class VbaProject:
    """What :func:`read_vba_project` finds; enough to rebuild the project with other document modules."""

    modules: list[VbaModule]
    references: bytes  # raw REFERENCE records of the dir stream, in the project's code page
    codepage: int
    syskind: int = SYSKIND_WIN32
    project_id: str | None = None


def document_module(name: str, *, workbook: bool = False, body: str = "") -> VbaModule:
    """The module behind ``ThisWorkbook`` or a worksheet, with the attributes Excel writes."""
    attrs = [
        f'Attribute VB_Name = "{name}"',
        f'Attribute VB_Base = "{WORKBOOK_BASE if workbook else WORKSHEET_BASE}"',
        "Attribute VB_GlobalNameSpace = False",
        "Attribute VB_Creatable = False",
        "Attribute VB_PredeclaredId = True",
        "Attribute VB_Exposed = True",
        "Attribute VB_TemplateDerived = False",
        "Attribute VB_Customizable = True",
    ]
    return VbaModule(name, "document", EOL.join(attrs) + EOL + body)


def standard_module(name: str, body: str) -> VbaModule:
    """A procedural module from its code (without the ``Attribute VB_Name`` line)."""
    return VbaModule(name, "module", f'Attribute VB_Name = "{name}"{EOL}{body}')


# --- small binary helpers -------------------------------------------------------------------------


def _rec(rec_id: int, data: bytes) -> bytes:
    return struct.pack("<HI", rec_id, len(data)) + data


def _mbcs(text: str, codepage: int = CODEPAGE) -> bytes:
    return text.encode(f"cp{codepage}")


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def _reference_records(references: tuple[tuple[str, str], ...], codepage: int) -> bytes:
    """REFERENCENAME + REFERENCEREGISTERED for each (name, libid) (2.3.4.2.2)."""
    out = bytearray()
    for name, libid in references:
        out += _rec(0x0016, _mbcs(name, codepage)) + _rec(0x003E, _utf16(name))
        raw = _mbcs(libid, codepage)
        out += _rec(0x000D, struct.pack("<I", len(raw)) + raw + struct.pack("<IH", 0, 0))
    return bytes(out)


def _dir_stream(modules: list[VbaModule], references: bytes, syskind: int, codepage: int) -> bytes:
    def _mbcs(text: str) -> bytes:
        return text.encode(f"cp{codepage}")

    out = bytearray()
    out += _rec(0x0001, struct.pack("<I", syskind))
    out += _rec(0x0002, struct.pack("<I", LCID))
    out += _rec(0x0014, struct.pack("<I", LCID))
    out += _rec(0x0003, struct.pack("<H", codepage))
    out += _rec(0x0004, _mbcs(PROJECT_NAME))
    out += _rec(0x0005, b"") + _rec(0x0040, b"")  # docstring, MBCS + UTF-16
    out += _rec(0x0006, b"") + _rec(0x003D, b"")  # help file paths
    out += _rec(0x0007, struct.pack("<I", 0))  # help context
    out += _rec(0x0008, struct.pack("<I", 0))  # LIBFLAGS
    out += struct.pack("<HIIH", 0x0009, 4, 1, 0)  # PROJECTVERSION: "size" 4, then major u32, minor u16
    out += _rec(0x000C, b"") + _rec(0x003C, b"")  # conditional compilation constants
    out += references
    out += _rec(0x000F, struct.pack("<H", len(modules)))
    out += _rec(0x0013, struct.pack("<H", 0xFFFF))  # PROJECTCOOKIE
    for mod in modules:
        out += _rec(0x0019, _mbcs(mod.name)) + _rec(0x0047, _utf16(mod.name))
        out += _rec(0x001A, _mbcs(mod.name)) + _rec(0x0032, _utf16(mod.name))  # stream name = module name
        out += _rec(0x001C, b"") + _rec(0x0048, b"")  # docstring
        out += _rec(0x0031, struct.pack("<I", 0))  # MODULEOFFSET: source starts the stream
        out += _rec(0x001E, struct.pack("<I", 0))  # help context
        out += _rec(0x002C, struct.pack("<H", 0xFFFF))  # MODULECOOKIE
        out += _rec(0x0021 if mod.kind == "module" else 0x0022, b"")
        out += _rec(0x002B, b"")  # module terminator
    out += _rec(0x0010, b"")  # dir terminator
    return bytes(out)


def encrypt(project_id: str, data: bytes, seed: int) -> str:
    """[MS-OVBA] 2.4.3.2 Data Encryption, as used by CMG, DPB and GC (hex, upper case)."""
    version = 2
    proj_key = sum(project_id.encode("ascii")) & 0xFF
    out = bytearray([seed, seed ^ version, seed ^ proj_key])
    unencrypted1, encrypted1, encrypted2 = proj_key, seed ^ proj_key, seed ^ version
    ignored = bytes([seed]) * ((seed & 6) // 2)  # any values; VBA itself repeats the seed
    for byte in ignored + struct.pack("<I", len(data)) + data:
        enc = byte ^ ((encrypted2 + unencrypted1) & 0xFF)
        out.append(enc)
        encrypted2, encrypted1, unencrypted1 = encrypted1, enc, byte
    return out.hex().upper()


def decrypt(text: str) -> bytes:
    """Inverse of :func:`encrypt` (for tests and for reading other projects)."""
    buf = bytes.fromhex(text)
    seed, version_enc, proj_key_enc = buf[0], buf[1], buf[2]
    unencrypted1, encrypted1, encrypted2 = seed ^ proj_key_enc, proj_key_enc, version_enc
    plain = bytearray()
    for enc in buf[3:]:
        byte = enc ^ ((encrypted2 + unencrypted1) & 0xFF)
        plain.append(byte)
        encrypted2, encrypted1, unencrypted1 = encrypted1, enc, byte
    plain = plain[(seed & 6) // 2 :]
    (length,) = struct.unpack_from("<I", plain)
    if length != len(plain) - 4:
        raise ValueError("encrypted project field has a wrong length")
    return bytes(plain[4:])


def _project_stream(modules: list[VbaModule], project_id: str, codepage: int) -> bytes:
    seed = hashlib.sha256(project_id.encode()).digest()[0]
    lines = [f'ID="{project_id}"']
    for mod in modules:
        if mod.kind == "document":
            lines.append(f"Document={mod.name}/&H00000000")
        else:
            lines.append(f"{'Module' if mod.kind == 'module' else 'Class'}={mod.name}")
    lines += [
        f'Name="{PROJECT_NAME}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        f'CMG="{encrypt(project_id, bytes(4), seed)}"',  # ProjectProtectionState: not protected
        f'DPB="{encrypt(project_id, bytes(1), seed ^ 0x55)}"',  # ProjectPassword: none
        f'GC="{encrypt(project_id, bytes([0xFF]), seed ^ 0xAA)}"',  # ProjectVisibilityState: visible
        "",
        "[Host Extender Info]",
        _HOST_EXTENDER,
        "",
        "[Workspace]",
    ]
    lines += [f"{mod.name}=0, 0, 0, 0, C" for mod in modules]
    return _mbcs(EOL.join(lines) + EOL, codepage)


def _projectwm_stream(modules: list[VbaModule], codepage: int) -> bytes:
    out = bytearray()
    for mod in modules:
        out += _mbcs(mod.name, codepage) + b"\0" + _utf16(mod.name) + b"\0\0"
    return bytes(out + b"\0\0")


def _check_modules(modules: list[VbaModule]) -> None:
    seen: set[str] = set()
    for mod in modules:
        if not mod.name or len(mod.name) > 31 or not mod.name.isascii() or not mod.name.isidentifier():
            raise ValueError(f"invalid VBA module name: {mod.name!r}")
        if mod.name.upper() in seen:
            raise ValueError(f"duplicate VBA module name: {mod.name!r}")
        seen.add(mod.name.upper())
        if not mod.source.startswith(f'Attribute VB_Name = "{mod.name}"'):
            raise ValueError(f"module {mod.name!r} must start with its Attribute VB_Name line")
    if not any(m.kind == "document" for m in modules):
        raise ValueError("an Excel VBA project needs at least the ThisWorkbook document module")


def build_vba_project(
    modules: list[VbaModule],
    *,
    references: tuple[tuple[str, str], ...] | bytes = DEFAULT_REFERENCES,
    syskind: int = SYSKIND_WIN32,
    codepage: int = CODEPAGE,
    project_id: str | None = None,
) -> bytes:
    """Return the bytes of a vbaProject.bin holding ``modules`` (document modules first, like Excel).

    ``references`` are (name, libid) pairs, or the raw reference records of a project read back
    with :func:`read_vba_project` (kept byte for byte, in its code page). ``project_id`` defaults to
    a GUID derived from the module names, so a build is reproducible.
    """
    _check_modules(modules)
    refs = references if isinstance(references, bytes) else _reference_records(references, codepage)
    if project_id is None:
        project_id = "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, "coverage-xl:" + ",".join(m.name for m in modules))).upper() + "}"
    entries = {
        "PROJECT": _project_stream(modules, project_id, codepage),
        "PROJECTwm": _projectwm_stream(modules, codepage),
        "VBA/_VBA_PROJECT": bytes.fromhex("CC61FFFF000000"),
        "VBA/dir": compress(_dir_stream(modules, refs, syskind, codepage)),
    }
    for mod in modules:
        entries[f"VBA/{mod.name}"] = compress(mod.encoded(codepage))
    return write_cfb(entries)


# --- reading a project back (for save_preserving and tests) -------------------------------------

_REFERENCE_IDS = {0x0016, 0x003E, 0x000D, 0x000E, 0x002F, 0x0030, 0x0033}


def _dir_records(data: bytes):
    """(id, payload, start, end) of each ``dir`` record; sizes are generic except PROJECTVERSION."""
    pos = 0
    while pos + 6 <= len(data):
        rec_id, size = struct.unpack_from("<HI", data, pos)
        if rec_id == 0x0009:  # PROJECTVERSION: its size field says 4 but 6 bytes follow
            size = 6
        yield rec_id, data[pos + 6 : pos + 6 + size], pos, pos + 6 + size
        pos += 6 + size
        if rec_id == 0x0010:
            return


def read_vba_project(vba_bin: bytes) -> VbaProject:
    """Modules (in ``dir`` order, sources decompressed), raw references and code page of any project.

    Works for Excel's own projects too: module streams are read from their MODULEOFFSET, after any
    compiled p-code. Designer modules (UserForms) would lose their storages; the master has none.
    """
    ole = olefile.OleFileIO(io.BytesIO(vba_bin))
    try:
        raw_dir = decompress(ole.openstream("VBA/dir").read())
        records = list(_dir_records(raw_dir))
        codepage = next((struct.unpack("<H", d)[0] for i, d, _, _ in records if i == 0x0003), CODEPAGE)
        syskind = next((struct.unpack("<I", d)[0] for i, d, _, _ in records if i == 0x0001), SYSKIND_WIN32)
        enc = f"cp{codepage}"
        ref_spans = [(a, b) for i, _, a, b in records if i in _REFERENCE_IDS]
        references = raw_dir[ref_spans[0][0] : ref_spans[-1][1]] if ref_spans else b""
        project = ole.openstream("PROJECT").read().decode(enc, errors="replace")
        documents = {ln.split("=", 1)[1].split("/", 1)[0] for ln in project.splitlines() if ln.startswith("Document=")}
        project_id = next((ln[4:-1] for ln in project.splitlines() if ln.startswith('ID="{') and ln.endswith('}"')), None)
        modules: list[VbaModule] = []
        name = stream = None
        offset, kind = 0, "module"
        for rec_id, data, _, _ in records:
            if rec_id == 0x0019:
                name, stream, offset, kind = data.decode(enc), None, 0, "module"
            elif rec_id == 0x001A:
                stream = data.decode(enc)
            elif rec_id == 0x0031:
                (offset,) = struct.unpack("<I", data)
            elif rec_id == 0x0022:
                kind = "document" if name in documents else "class"
            elif rec_id == 0x002B and name is not None:
                raw = ole.openstream(f"VBA/{stream or name}").read()
                modules.append(VbaModule(name, kind, decompress(raw[offset:]).decode(enc)))  # type: ignore[arg-type]
                name = None
        return VbaProject(modules, references, codepage, syskind, project_id)
    finally:
        ole.close()
