"""What is inside a JPEG file: markers, tables, sampling, and where the bits go."""

from __future__ import annotations

import numpy as np

from .codec import _decode_coefficients
from .errors import JPEGError

__all__ = ["inspect"]

_NAMES = {0xD8: "SOI", 0xD9: "EOI", 0xDA: "SOS", 0xDB: "DQT", 0xC4: "DHT", 0xDD: "DRI", 0xCC: "DAC", 0xFE: "COM",
          -1: "entropy-coded data", **{m: f"SOF{m - 0xC0}" for m in range(0xC0, 0xD0) if m not in (0xC4, 0xC8, 0xCC)}}
_FRAMES = {m for m in range(0xC0, 0xD0) if m not in (0xC4, 0xC8, 0xCC)}


def _name(marker: int) -> str:
    if marker in _NAMES:
        return _NAMES[marker]
    if 0xE0 <= marker <= 0xEF:
        return f"APP{marker - 0xE0}"
    return f"FF{marker:02X}"


def inspect(data: bytes) -> dict:
    """A JSON-ready summary of a JPEG file.

    Fields: ``file_bytes``, ``width``, ``height``, ``components`` (id, sampling, table, ``bits`` spent
    on its blocks and ``bpp`` per image pixel), ``qtables`` (natural order), ``huffman`` tables,
    ``restart_interval``, ``segments`` (marker, offset, length), ``header_bytes`` (everything but
    entropy-coded data), ``entropy_bytes``, ``padding_and_stuffing_bits``. For a file the decoder
    cannot decode (progressive, arithmetic-coded, 12-bit, CMYK) it still lists the segments and the
    frame header, with ``decoded: False`` and ``why_not_decoded``.
    """
    bits: dict[int, int] = {}
    try:
        parsed, _, _ = _decode_coefficients(data, bits)
    except JPEGError as exc:
        if "not supported" not in str(exc):
            raise
        return _markers_only(data, str(exc))  # progressive, arithmetic, 12-bit, CMYK: the markers still tell a lot
    frame = parsed.frame
    pixels = frame.width * frame.height
    entropy_bytes = sum(length for marker, _, length in parsed.segments if marker == -1)
    components = []
    for i, c in enumerate(frame.components):
        components.append({"id": c.id, "h": c.h, "v": c.v, "qtable": c.table, "bits": int(bits.get(i, 0)),
                           "bpp": bits.get(i, 0) / pixels})
    huffman = []
    for scan in parsed.scans:
        for cls, tables in (("DC", scan.dc_huffman), ("AC", scan.ac_huffman)):
            for tid, table in sorted(tables.items()):
                entry = {"class": cls, "id": tid, "symbols": len(table.values),
                         "max_code_length": max(l + 1 for l in range(16) if table.bits[l])}
                if entry not in huffman:
                    huffman.append(entry)
    return {
        "file_bytes": len(data),
        "width": frame.width,
        "height": frame.height,
        "frame": _name(frame.marker),
        "jfif": parsed.jfif,
        "components": components,
        "qtables": {str(k): np.asarray(v).tolist() for k, v in sorted(parsed.qtables.items())},
        "huffman": huffman,
        "restart_interval": parsed.scans[0].restart_interval,
        "segments": [{"marker": _name(m), "offset": o, "length": n} for m, o, n in parsed.segments],
        "header_bytes": len(data) - entropy_bytes,
        "entropy_bytes": entropy_bytes,
        "padding_and_stuffing_bits": entropy_bytes * 8 - sum(bits.values()),
        "bpp": 8 * len(data) / pixels,
        "decoded": True,
    }


def _markers_only(data: bytes, reason: str) -> dict:
    """Segments and frame header of a file the decoder cannot decode (``decoded: False`` and why)."""
    segments, frame, pos, scans = [], None, 2, 0
    segments.append({"marker": "SOI", "offset": 0, "length": 2})
    while pos + 2 <= len(data):
        if data[pos] != 0xFF:
            raise JPEGError(f"expected a marker, found byte {data[pos]:02X}", pos)
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker == 0xD9:
            segments.append({"marker": "EOI", "offset": pos, "length": 2})
            break
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        if pos + 4 > len(data) or pos + 2 + length > len(data):
            raise JPEGError(f"segment FF {marker:02X} has length {length}, beyond the end of the file", pos)
        segments.append({"marker": _name(marker), "offset": pos, "length": length + 2})
        if marker in _FRAMES and frame is None:
            body = data[pos + 4:pos + 2 + length]
            count = body[5]
            frame = {"frame": _name(marker), "precision": body[0], "height": int.from_bytes(body[1:3], "big"),
                     "width": int.from_bytes(body[3:5], "big"),
                     "components": [{"id": body[6 + 3 * i], "h": body[7 + 3 * i] >> 4, "v": body[7 + 3 * i] & 15,
                                     "qtable": body[8 + 3 * i]} for i in range(count)]}
        pos += 2 + length
        if marker == 0xDA:  # entropy-coded data runs to the next marker that is not a restart or a stuffed byte
            scans += 1
            start = pos
            while pos + 1 < len(data) and not (data[pos] == 0xFF and data[pos + 1] not in (0x00, *range(0xD0, 0xD8))):
                pos += 1
            segments.append({"marker": "entropy-coded data", "offset": start, "length": pos - start})
    if frame is None:
        raise JPEGError("no frame header (SOF) found", len(data))
    return {"file_bytes": len(data), **frame, "decoded": False, "why_not_decoded": reason, "scans": scans,
            "segments": segments, "bpp": 8 * len(data) / (frame["width"] * frame["height"] or 1)}
