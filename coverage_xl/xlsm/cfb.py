"""A small writer for Compound File Binary files ([MS-CFB] version 3), enough for a vbaProject.bin.

A vbaProject.bin is a compound file: a tiny FAT file system inside one file. No maintained library
writes one under a licence we can ship, and the format is small, so this module writes it directly:

* version 3: 512-byte sectors, 64-byte mini sectors, mini stream cutoff 4096 bytes;
* layout after the header: FAT sectors, directory sectors, mini FAT sectors, the mini stream (a
  regular stream owned by the root entry), then every stream of 4096 bytes or more;
* the siblings of each storage form a balanced binary search tree in CFB name order with every node
  black, which [MS-CFB] 2.6.4 allows ("the simplest implementation ... mark every node as black");
* up to 109 FAT sectors (files up to ~7 MB), so no DIFAT sectors are needed.

Timestamps are zero and the output is a pure function of the input, so builds are reproducible.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREESECT = 0xFFFFFFFF
ENDOFCHAIN = 0xFFFFFFFE
FATSECT = 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF
SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
_IDS_PER_SECTOR = SECTOR // 4
_MAX_HEADER_FAT = 109

_TYPE_STORAGE, _TYPE_STREAM, _TYPE_ROOT = 1, 2, 5
_BLACK = 1


@dataclass
class _Node:
    name: str
    kind: int
    data: bytes = b""
    children: dict[str, _Node] = field(default_factory=dict)
    sid: int = 0
    start: int = ENDOFCHAIN
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM


def _cfb_key(name: str) -> tuple[int, str]:
    """Sibling order of [MS-CFB] 2.6.4: shorter names first, then by upper-cased code points."""
    return (len(name), name.upper())


def _check_name(name: str) -> None:
    if not name or len(name) > 31 or any(c in name for c in "/\\:!"):
        raise ValueError(f"invalid compound file entry name: {name!r}")


def _build_tree(entries: dict[str, bytes]) -> _Node:
    root = _Node("Root Entry", _TYPE_ROOT)
    for path, data in entries.items():
        parts = path.split("/")
        node = root
        for part in parts[:-1]:
            _check_name(part)
            node = node.children.setdefault(part, _Node(part, _TYPE_STORAGE))
            if node.kind != _TYPE_STORAGE:
                raise ValueError(f"{path!r}: {part!r} is a stream, not a storage")
        _check_name(parts[-1])
        if parts[-1] in node.children:
            raise ValueError(f"duplicate compound file entry: {path!r}")
        node.children[parts[-1]] = _Node(parts[-1], _TYPE_STREAM, bytes(data))
    return root


def _number(root: _Node) -> list[_Node]:
    """Give every node a directory index (root first) and link siblings as balanced trees."""
    order: list[_Node] = []

    def visit(node: _Node) -> None:
        node.sid = len(order)
        order.append(node)
        kids = sorted(node.children.values(), key=lambda n: _cfb_key(n.name))
        for kid in kids:
            visit(kid)
        node.child = _link(kids)

    def _link(kids: list[_Node]) -> int:
        if not kids:
            return NOSTREAM
        mid = len(kids) // 2
        kids[mid].left = _link(kids[:mid])
        kids[mid].right = _link(kids[mid + 1 :])
        return kids[mid].sid

    visit(root)
    return order


def _dir_entry(node: _Node, size: int) -> bytes:
    encoded = node.name.encode("utf-16-le") + b"\0\0"
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        encoded,
        len(encoded),
        node.kind,
        _BLACK,
        node.left,
        node.right,
        node.child,
        b"\0" * 16,
        0,
        0,
        0,
        node.start if node.kind != _TYPE_STORAGE else 0,
        size,
    )


_EMPTY_ENTRY = struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM, b"\0" * 16, 0, 0, 0, 0, 0)


def _sectors(n_bytes: int, unit: int) -> int:
    return -(-n_bytes // unit)


def write_cfb(entries: dict[str, bytes]) -> bytes:
    """Return a compound file holding ``entries`` ({"VBA/dir": data, "PROJECT": data, ...}).

    Storages are implied by the paths; names are at most 31 characters.
    """
    root = _build_tree(entries)
    nodes = _number(root)
    streams = [n for n in nodes if n.kind == _TYPE_STREAM]
    small = [n for n in streams if 0 < len(n.data) < MINI_CUTOFF]
    large = [n for n in streams if len(n.data) >= MINI_CUTOFF]

    # Mini stream: each small stream is a chain of 64-byte mini sectors.
    minifat: list[int] = []
    mini_stream = bytearray()
    for node in small:
        count = _sectors(len(node.data), MINI_SECTOR)
        node.start = len(minifat)
        minifat.extend(range(node.start + 1, node.start + count))
        minifat.append(ENDOFCHAIN)
        mini_stream += node.data.ljust(count * MINI_SECTOR, b"\0")

    n_dir = _sectors(len(nodes) * 128, SECTOR)
    n_minifat = _sectors(len(minifat) * 4, SECTOR)
    n_ministream = _sectors(len(mini_stream), SECTOR)
    n_large = sum(_sectors(len(n.data), SECTOR) for n in large)
    n_other = n_dir + n_minifat + n_ministream + n_large
    n_fat = 1
    while n_fat * _IDS_PER_SECTOR < n_fat + n_other:
        n_fat += 1
    if n_fat > _MAX_HEADER_FAT:
        raise ValueError("compound file too large for a writer without DIFAT sectors (about 7 MB)")

    fat = [FATSECT] * n_fat
    body = bytearray()

    def add_chain(data: bytes) -> int:
        count = _sectors(len(data), SECTOR)
        start = len(fat)
        fat.extend(range(start + 1, start + count))
        fat.append(ENDOFCHAIN)
        body.extend(data.ljust(count * SECTOR, b"\0"))
        return start

    # Directory, written after the start sectors are known: reserve its sectors first.
    dir_start = len(fat)
    fat.extend(range(dir_start + 1, dir_start + n_dir))
    fat.append(ENDOFCHAIN)
    body.extend(b"\0" * (n_dir * SECTOR))

    minifat_start = ENDOFCHAIN
    if minifat:
        raw = struct.pack(f"<{len(minifat)}I", *minifat)
        raw += struct.pack("<I", FREESECT) * ((n_minifat * SECTOR - len(raw)) // 4)
        minifat_start = add_chain(raw)
    root.start = add_chain(bytes(mini_stream)) if mini_stream else ENDOFCHAIN
    for node in large:
        node.start = add_chain(node.data)

    directory = bytearray()
    for node in nodes:
        size = len(mini_stream) if node.kind == _TYPE_ROOT else len(node.data)
        directory += _dir_entry(node, size)
    directory += _EMPTY_ENTRY * (n_dir * SECTOR // 128 - len(nodes))
    body[0 : len(directory)] = directory  # the directory is the first chain in ``body``

    fat.extend([FREESECT] * (n_fat * _IDS_PER_SECTOR - len(fat)))
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    difat = list(range(n_fat)) + [FREESECT] * (_MAX_HEADER_FAT - n_fat)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        SIGNATURE,
        b"\0" * 16,
        0x003E,  # minor version
        0x0003,  # major version 3
        0xFFFE,  # byte order: little-endian
        9,  # sector shift: 512
        6,  # mini sector shift: 64
        b"\0" * 6,
        0,  # directory sectors: must be 0 in version 3
        n_fat,
        dir_start,
        0,  # transaction signature
        MINI_CUTOFF,
        minifat_start,
        n_minifat,
        ENDOFCHAIN,  # first DIFAT sector: none
        0,
    ) + struct.pack(f"<{_MAX_HEADER_FAT}I", *difat)
    assert len(header) == SECTOR
    return header + fat_bytes + bytes(body)
