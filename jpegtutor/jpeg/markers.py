"""JPEG markers: writing the segments libjpeg writes, and parsing a file into its parts.

A JPEG file is a sequence of segments, each starting with a two-byte marker ``FF xx``; most carry
a two-byte big-endian length. The entropy-coded data follows the SOS segment and runs until the
next marker that is not a restart marker (``FF D0``-``FF D7``) or a stuffed ``FF 00``.
"""

from __future__ import annotations

import struct
import warnings
from dataclasses import dataclass, field

import numpy as np

from .errors import JPEGError, JPEGWarning
from .huffman import STD_AC_CHROMA, STD_AC_LUMA, STD_DC_CHROMA, STD_DC_LUMA, HuffmanTable
from .zigzag import ZIGZAG, from_zigzag

__all__ = ["Frame", "FrameComponent", "Parsed", "Scan", "parse", "segment"]

SOI, EOI, SOS, DQT, DHT, DRI = 0xD8, 0xD9, 0xDA, 0xDB, 0xC4, 0xDD
SOF_NAMES = {
    0xC0: "baseline", 0xC1: "extended sequential", 0xC2: "progressive", 0xC3: "lossless",
    0xC5: "differential sequential", 0xC6: "differential progressive", 0xC7: "differential lossless",
    0xC9: "arithmetic-coded extended sequential", 0xCA: "arithmetic-coded progressive",
    0xCB: "arithmetic-coded lossless", 0xCD: "arithmetic-coded differential sequential",
    0xCE: "arithmetic-coded differential progressive", 0xCF: "arithmetic-coded differential lossless",
}


def segment(marker: int, payload: bytes = b"") -> bytes:
    """``FF marker``, then the 2-byte length (payload + 2) and the payload."""
    if len(payload) + 2 > 0xFFFF:
        raise ValueError(f"segment payload too long: {len(payload)} bytes")
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def jfif_app0() -> bytes:
    """JFIF 1.01 APP0, no density unit, 1:1 aspect, no thumbnail (libjpeg's default)."""
    return segment(0xE0, b"JFIF\x00" + bytes([1, 1, 0]) + struct.pack(">HH", 1, 1) + bytes([0, 0]))


def dqt(table_id: int, table: np.ndarray) -> bytes:
    """One 8-bit quantization table (natural order in, zigzag order in the file)."""
    values = np.asarray(table).reshape(64)[ZIGZAG]
    if values.max() > 255:
        return segment(DQT, bytes([0x10 | table_id]) + b"".join(struct.pack(">H", int(v)) for v in values))
    return segment(DQT, bytes([table_id]) + bytes(int(v) for v in values))


def sof0(height: int, width: int, components: list[tuple[int, int, int, int]], marker: int = 0xC0) -> bytes:
    """Frame header; ``components`` are ``(id, h, v, table)``."""
    payload = bytes([8]) + struct.pack(">HH", height, width) + bytes([len(components)])
    for cid, h, v, tq in components:
        payload += bytes([cid, (h << 4) | v, tq])
    return segment(marker, payload)


def dht(table_class: int, table_id: int, table: HuffmanTable) -> bytes:
    return segment(DHT, bytes([(table_class << 4) | table_id]) + table.segment_payload())


def sos(components: list[tuple[int, int, int]]) -> bytes:
    """Scan header; ``components`` are ``(id, dc_table, ac_table)``; full spectral range (baseline)."""
    payload = bytes([len(components)])
    for cid, td, ta in components:
        payload += bytes([cid, (td << 4) | ta])
    return segment(SOS, payload + bytes([0, 63, 0]))


@dataclass
class FrameComponent:
    id: int
    h: int
    v: int
    table: int


@dataclass
class Frame:
    marker: int
    precision: int
    height: int
    width: int
    components: list[FrameComponent]
    offset: int


@dataclass
class Scan:
    component_ids: list[int]
    dc_tables: list[int]
    ac_tables: list[int]
    data_start: int  # offset of the first entropy-coded byte
    data_end: int  # offset of the marker that ends the scan
    restart_interval: int
    offset: int
    dc_huffman: dict = field(default_factory=dict)
    ac_huffman: dict = field(default_factory=dict)
    qtables: dict = field(default_factory=dict)


@dataclass
class Parsed:
    frame: Frame
    scans: list[Scan]
    qtables: dict[int, np.ndarray]
    segments: list[tuple[int, int, int]]  # (marker, offset, total length including marker)
    jfif: bool
    adobe_transform: int | None


STANDARD_TABLES = {("DC", 0): STD_DC_LUMA, ("DC", 1): STD_DC_CHROMA, ("AC", 0): STD_AC_LUMA, ("AC", 1): STD_AC_CHROMA}


def _u16(data: bytes, offset: int) -> int:
    if offset + 2 > len(data):
        raise JPEGError("file is truncated inside a segment header", offset)
    return (data[offset] << 8) | data[offset + 1]


def parse(data: bytes, strict: bool = True) -> Parsed:
    """Split a JPEG file into its frame, tables and scans, checking everything this codec needs.

    Raises :class:`JPEGError` (with the byte offset) for truncated or malformed files and for
    features outside baseline/extended sequential Huffman 8-bit JPEG with 1 or 3 components. With
    ``strict=False`` it reads on where libjpeg does, with a :class:`JPEGWarning`: bytes between
    segments are skipped, RST markers outside a scan ignored, and a file that ends inside or after
    its scan is read as if EOI followed.
    """

    def repair(message: str, offset: int) -> None:
        if strict:
            raise JPEGError(message, offset)
        warnings.warn(JPEGWarning(f"corrupt JPEG data: {message} (at byte offset {offset}); read as libjpeg reads it"),
                      stacklevel=3)

    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) < 2 or data[0] != 0xFF or data[1] != SOI:
        raise JPEGError("not a JPEG file: it does not start with the SOI marker FF D8", 0)
    if len(data) < 4:
        raise JPEGError(f"the file ends right after the SOI marker ({len(data)} bytes): it holds no image", len(data))
    qtables: dict[int, np.ndarray] = {}
    dc_tables: dict[int, HuffmanTable] = {}
    ac_tables: dict[int, HuffmanTable] = {}
    frame: Frame | None = None
    scans: list[Scan] = []
    segments = [(SOI, 0, 2)]
    restart_interval = 0
    jfif, adobe = False, None
    pos = 2
    while True:
        try:
            if pos >= len(data):
                if not scans:
                    raise JPEGError("file is truncated before any image data", pos)
                repair("file is truncated: no EOI marker", pos)  # libjpeg inserts a fake EOI
                segments.append((EOI, pos, 0))
                break
            if data[pos] != 0xFF:
                skip = data.find(b"\xff", pos)
                skip = len(data) if skip < 0 else skip
                if strict:
                    raise JPEGError(f"expected a marker, found byte 0x{data[pos]:02X}", pos)
                repair(f"{skip - pos} extraneous bytes before a marker", pos)  # libjpeg's next_marker skips them
                pos = skip
                continue
            while pos + 1 < len(data) and data[pos + 1] == 0xFF:  # fill bytes
                pos += 1
            if pos + 1 >= len(data):
                raise JPEGError("file is truncated inside a marker", pos)
            marker = data[pos + 1]
            if marker == 0x00 and not strict:  # FF 00 is no marker: libjpeg's next_marker scans on
                repair("FF 00 where a marker should be", pos)
                pos += 2
                continue
            if marker == EOI:
                segments.append((EOI, pos, 2))
                break
            if (marker == 0x01 or 0xD0 <= marker <= 0xD7) and not strict:  # libjpeg ignores RSTn and TEM here
                repair(f"marker FF {marker:02X} outside entropy-coded data ignored", pos)
                pos += 2
                continue
            if marker in (SOI, 0x01) or 0xD0 <= marker <= 0xD7:
                raise JPEGError(f"unexpected marker FF {marker:02X} outside entropy-coded data", pos)
            length = _u16(data, pos + 2)
            if length < 2 and not strict and (0xE0 <= marker <= 0xEF or marker == 0xFE):
                repair(f"segment FF {marker:02X} has length {length}; skipped as libjpeg skips it", pos)
                pos += 4  # libjpeg's skip_variable skips nothing more, then looks for the next marker
                continue
            if length < 2 or pos + 2 + length > len(data):
                raise JPEGError(f"segment FF {marker:02X} has length {length}, beyond the end of the file", pos)
            body = data[pos + 4:pos + 2 + length]
            segments.append((marker, pos, 2 + length))
            if marker == DQT:
                k = 0
                while k < len(body):
                    pq, tq = body[k] >> 4, body[k] & 15
                    size = 128 if pq else 64
                    if pq > 1 or tq > 3 or k + 1 + size > len(body):
                        raise JPEGError("malformed DQT segment", pos)
                    raw = body[k + 1:k + 1 + size]
                    values = (np.frombuffer(raw, dtype=">u2") if pq else np.frombuffer(raw, dtype=np.uint8)).astype(np.int32)
                    if values.min() == 0:  # libjpeg accepts it (the coefficients dequantize to zero)
                        repair("quantization table contains a zero", pos)
                    qtables[tq] = from_zigzag(values)
                    k += 1 + size
            elif marker == DHT:
                k = 0
                while k < len(body):
                    if k + 17 > len(body):
                        raise JPEGError("malformed DHT segment", pos)
                    tc, th = body[k] >> 4, body[k] & 15
                    bits = tuple(body[k + 1:k + 17])
                    count = sum(bits)
                    if tc > 1 or th > 3 or count > 256 or k + 17 + count > len(body):
                        raise JPEGError("malformed DHT segment", pos)
                    table = HuffmanTable(bits, tuple(body[k + 17:k + 17 + count]))
                    table.codes()  # raises for an over-subscribed table
                    (ac_tables if tc else dc_tables)[th] = table
                    k += 17 + count
            elif marker == DRI:
                if length != 4:
                    raise JPEGError("malformed DRI segment", pos)
                restart_interval = _u16(data, pos + 4)
            elif 0xC0 <= marker <= 0xCF and marker not in (DHT, 0xC8, 0xCC):
                if marker not in (0xC0, 0xC1):
                    raise JPEGError(f"{SOF_NAMES.get(marker, 'this')} JPEG (SOF marker FF {marker:02X}) is not "
                                    "supported: only baseline and extended sequential Huffman JPEG", pos)
                if frame is not None:
                    raise JPEGError("more than one frame header", pos)
                if len(body) < 6:
                    raise JPEGError("frame header is too short", pos)
                precision, height, width, nf = body[0], _u16(body, 1), _u16(body, 3), body[5]
                if precision != 8:
                    raise JPEGError(f"{precision}-bit JPEG is not supported, only 8-bit", pos)
                if nf not in (1, 3):
                    kind = "CMYK/YCCK (4 components)" if nf == 4 else f"{nf} components"
                    raise JPEGError(f"{kind} JPEG is not supported: only 1 (greyscale) or 3 (YCbCr) components", pos)
                if len(body) < 6 + 3 * nf:
                    raise JPEGError("frame header is too short", pos)
                if height == 0 or width == 0:
                    raise JPEGError(f"image size {width}x{height} is not supported (DNL marker or empty image)", pos)
                comps = []
                for i in range(nf):
                    cid, hv, tq = body[6 + 3 * i:9 + 3 * i]
                    h, v = hv >> 4, hv & 15
                    if not (1 <= h <= 2 and 1 <= v <= 2):
                        raise JPEGError(f"sampling factors {h}x{v} are not supported (only 1 or 2)", pos)
                    if tq > 3:
                        raise JPEGError(f"component {cid} uses quantization table {tq} (> 3)", pos)
                    comps.append(FrameComponent(cid, h, v, tq))
                if len({c.id for c in comps}) != nf:
                    raise JPEGError("two components share an id", pos)
                frame = Frame(marker, precision, height, width, comps, pos)
            elif marker == SOS:
                if frame is None:
                    raise JPEGError("scan before frame header", pos)
                ns = body[0] if body else 0
                if not 1 <= ns <= 4 or len(body) != 4 + 2 * ns:
                    raise JPEGError("malformed SOS segment", pos)
                ids, tds, tas = [], [], []
                for i in range(ns):
                    cid, t = body[1 + 2 * i], body[2 + 2 * i]
                    if cid not in {c.id for c in frame.components}:
                        raise JPEGError(f"scan refers to unknown component {cid}", pos)
                    ids.append(cid)
                    tds.append(t >> 4)
                    tas.append(t & 15)
                ss, se, ahal = body[1 + 2 * ns], body[2 + 2 * ns], body[3 + 2 * ns]
                if ss != 0 or se != 63 or ahal != 0:  # libjpeg only warns in a sequential frame (JWRN_NOT_SEQUENTIAL)
                    repair("scan with partial spectral range or successive approximation (progressive) "
                           "in a sequential frame", pos)
                start = pos + 2 + length
                end = _scan_end(data, start, strict)
                scan = Scan(ids, tds, tas, start, end, restart_interval, pos)
                for cid, td, ta in zip(ids, tds, tas):
                    for kind, tid, tables in (("DC", td, dc_tables), ("AC", ta, ac_tables)):
                        if tid not in tables and tid in (0, 1) and not strict:  # libjpeg-turbo: the Annex K tables
                            repair(f"scan uses Huffman table {kind}{tid} that was never defined; the standard one "
                                   "stands in (as in Motion-JPEG)", pos)
                            tables[tid] = STANDARD_TABLES[kind, tid]
                    if td not in dc_tables or ta not in ac_tables:
                        raise JPEGError(f"scan uses Huffman table DC{td}/AC{ta} that was never defined", pos)
                    scan.dc_huffman[td] = dc_tables[td]
                    scan.ac_huffman[ta] = ac_tables[ta]
                for comp in frame.components:
                    if comp.id in ids:
                        if comp.table not in qtables:
                            raise JPEGError(f"component {comp.id} uses quantization table {comp.table} that was "
                                            "never defined", pos)
                        scan.qtables[comp.table] = qtables[comp.table]
                scans.append(scan)
                segments.append((-1, start, end - start))  # entropy-coded data
                pos = end
                continue
            elif marker == 0xE0 and body.startswith(b"JFIF\x00"):
                jfif = True
            elif marker == 0xEE and body.startswith(b"Adobe") and len(body) >= 12:
                adobe = body[11]
            elif marker in (0xDC, 0xDE, 0xDF):
                raise JPEGError(f"marker FF {marker:02X} (DNL/hierarchical) is not supported", pos)
            pos += 2 + length
        except JPEGError as error:
            covered = frame is not None and {c.id for c in frame.components} <= {i for sc in scans for i in sc.component_ids}
            if strict or not covered:
                raise
            # the image is complete: libjpeg (and Pillow) stop needing the file here
            repair(f"after the last scan: {error.args[0]}; the rest of the file is ignored", error.offset or pos)
            segments.append((EOI, pos, 0))
            break
    if frame is None:
        raise JPEGError("no frame header (SOF) in the file", pos)
    if not scans:
        raise JPEGError("no scan (SOS) in the file", pos)
    return Parsed(frame, scans, qtables, segments, jfif, adobe)


def _scan_end(data: bytes, start: int, strict: bool = True) -> int:
    """Offset of the first marker after ``start`` that is neither a stuffed zero nor a restart marker
    (the end of the file when it ends first and ``strict`` is off: libjpeg then reads a fake EOI).
    With ``strict`` off, invalid marker codes (01-BF) stay inside the scan too: libjpeg's restart
    resynchronisation skips them and decodes the segments after them."""
    pos = start
    n = len(data)
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= n:
            if not strict:
                return n
            raise JPEGError("file is truncated inside the entropy-coded data", n)
        nxt = data[pos + 1]
        if nxt == 0 or 0xD0 <= nxt <= 0xD7 or nxt == 0xFF or (not strict and nxt < 0xC0):
            pos += 1 if nxt == 0xFF else 2
            continue
        return pos
