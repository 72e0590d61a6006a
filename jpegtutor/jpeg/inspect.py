"""What is inside a JPEG file: markers, tables, sampling, and where the bits go."""

from __future__ import annotations

import numpy as np

from .codec import _decode_coefficients

__all__ = ["inspect"]

_NAMES = {0xD8: "SOI", 0xD9: "EOI", 0xDA: "SOS", 0xDB: "DQT", 0xC4: "DHT", 0xDD: "DRI", 0xC0: "SOF0",
          0xC1: "SOF1", 0xFE: "COM", -1: "entropy-coded data"}


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
    entropy-coded data), ``entropy_bytes``, ``padding_and_stuffing_bits``.
    """
    bits: dict[int, int] = {}
    parsed, _, _ = _decode_coefficients(data, bits)
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
    }
