"""The compression of [MS-OVBA] 2.4.1, used for VBA module sources and the ``dir`` stream.

A CompressedContainer is the signature byte 0x01 followed by chunks; each chunk encodes up to 4096
bytes of input as a 2-byte header (bits 0-11: chunk size - 3, bits 12-14: 0b011, bit 15: compressed)
and token sequences: one flag byte, then eight tokens, each a literal byte (flag bit 0) or a 2-byte
copy token (flag bit 1) whose split between offset and length depends on how far into the chunk the
token lies (2.4.1.3.19.1, CopyToken Help). A chunk that would not shrink is stored raw (4096 bytes).

Matches are looked up through a hash of the next three bytes, nearest candidate first and the
longest kept, as the spec's matching routine does; the candidate list is capped for speed, which only
costs a little compression, never correctness.
"""

from __future__ import annotations

import struct

CHUNK = 4096
_MAX_CANDIDATES = 256


def _bit_count(difference: int) -> int:
    """Bits of a copy token given to the offset when ``difference`` bytes of the chunk precede it."""
    return max((difference - 1).bit_length(), 4)


def _match_length(data: bytes, cand: int, pos: int, limit: int) -> int:
    """Length of the common prefix of data[cand:] and data[pos:], at most ``limit``.

    Comparing the input with itself is right even when the match overlaps the current position,
    because the decompressor copies byte by byte from output that equals the input.
    """
    length = 0
    while length + 16 <= limit and data[cand + length : cand + length + 16] == data[pos + length : pos + length + 16]:
        length += 16
    while length < limit and data[cand + length] == data[pos + length]:
        length += 1
    return length


def _compress_chunk(chunk: bytes) -> bytes:
    out = bytearray()
    heads: dict[bytes, list[int]] = {}
    indexed = 0
    pos, end = 0, len(chunk)
    while pos < end:
        flag_at = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= end:
                break
            while indexed < pos:  # index every earlier position, including those inside matches
                heads.setdefault(chunk[indexed : indexed + 3], []).append(indexed)
                indexed += 1
            best_len, best_off = 0, 0
            if pos > 0 and end - pos >= 3:
                bit_count = _bit_count(pos)
                limit = min((0xFFFF >> bit_count) + 3, end - pos)
                for cand in reversed(heads.get(chunk[pos : pos + 3], [])[-_MAX_CANDIDATES:]):
                    length = _match_length(chunk, cand, pos, limit)
                    if length > best_len:
                        best_len, best_off = length, pos - cand
                        if length == limit:
                            break
            if best_len >= 3:
                bit_count = _bit_count(pos)
                out += struct.pack("<H", ((best_off - 1) << (16 - bit_count)) | (best_len - 3))
                flags |= 1 << bit
                pos += best_len
            else:
                out.append(chunk[pos])
                pos += 1
        out[flag_at] = flags
    return bytes(out)


def compress(data: bytes) -> bytes:
    """Return the CompressedContainer of ``data`` ([MS-OVBA] 2.4.1.3.6)."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), CHUNK):
        chunk = data[start : start + CHUNK]
        body = _compress_chunk(chunk)
        if len(body) <= CHUNK:
            out += struct.pack("<H", 0xB000 | (len(body) + 2 - 3)) + body
        else:
            # Raw chunk (2.4.1.3.10): exactly 4096 bytes; a short final chunk is padded with zeros,
            # which can only happen for incompressible input, never for VBA source text.
            out += struct.pack("<H", 0x3000 | 0x0FFF) + chunk.ljust(CHUNK, b"\0")
    return bytes(out)


def decompress(data: bytes) -> bytes:
    """Inverse of :func:`compress` for any spec-conforming container ([MS-OVBA] 2.4.1.3.1)."""
    if not data or data[0] != 1:
        raise ValueError("not an MS-OVBA compressed container (signature byte is not 0x01)")
    out = bytearray()
    pos = 1
    while pos + 2 <= len(data):
        (header,) = struct.unpack_from("<H", data, pos)
        if (header >> 12) & 0b111 != 0b011:
            raise ValueError(f"bad compressed chunk signature at byte {pos}")
        chunk_end = min(pos + (header & 0x0FFF) + 3, len(data))
        pos += 2
        start = len(out)
        if not header & 0x8000:
            out += data[pos : pos + CHUNK]
            pos += CHUNK
            continue
        while pos < chunk_end:
            flags = data[pos]
            pos += 1
            for bit in range(8):
                if pos >= chunk_end:
                    break
                if not (flags >> bit) & 1:
                    out.append(data[pos])
                    pos += 1
                    continue
                (token,) = struct.unpack_from("<H", data, pos)
                pos += 2
                bit_count = _bit_count(len(out) - start)
                length = (token & (0xFFFF >> bit_count)) + 3
                src = len(out) - ((token >> (16 - bit_count)) + 1)
                if src < start:
                    raise ValueError("copy token points before its chunk")
                for k in range(length):
                    out.append(out[src + k])
        pos = chunk_end
    return bytes(out)
