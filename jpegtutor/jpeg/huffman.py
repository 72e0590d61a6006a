"""Huffman coding of quantized blocks: symbols, tables (standard and optimized), bit packing.

A block becomes symbols: the DC *difference* from the previous block of the same component,
coded as its size category plus that many extra bits; then each nonzero AC coefficient as a
(run of zeros, size) byte plus extra bits, with ZRL (``0xF0``, sixteen zeros) for long runs and
EOB (``0x00``) when only zeros remain. Everything here is vectorised with NumPy: there is no
Python loop over symbols on the encoding path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import JPEGError

__all__ = [
    "STD_AC_CHROMA",
    "STD_AC_LUMA",
    "STD_DC_CHROMA",
    "STD_DC_LUMA",
    "HuffmanTable",
    "block_symbols",
    "optimal_table",
    "pack_bits",
    "size_category",
]


@dataclass(frozen=True)
class HuffmanTable:
    """A JPEG Huffman table as stored in a DHT segment: ``bits[l]`` codes of length ``l + 1``, then the symbols."""

    bits: tuple[int, ...]  # 16 counts
    values: tuple[int, ...]

    def __post_init__(self):
        if len(self.bits) != 16 or sum(self.bits) != len(self.values):
            raise ValueError(f"bad Huffman table: {len(self.bits)} counts summing to {sum(self.bits)} "
                             f"for {len(self.values)} symbols")

    def codes(self) -> tuple[np.ndarray, np.ndarray]:
        """Canonical codes: ``(code[symbol], length[symbol])`` arrays of size 256 (length 0 = no code)."""
        code_of = np.zeros(256, dtype=np.int64)
        length_of = np.zeros(256, dtype=np.int64)
        code, k = 0, 0
        for length in range(1, 17):
            for _ in range(self.bits[length - 1]):
                symbol = self.values[k]
                code_of[symbol], length_of[symbol] = code, length
                code += 1
                k += 1
            if code > (1 << length):
                raise JPEGError(f"Huffman table has more codes of length {length} than fit")
            code <<= 1
        return code_of, length_of

    def lookup(self) -> tuple[np.ndarray, np.ndarray]:
        """Decoding table over 16-bit prefixes: ``(symbol[prefix], length[prefix])`` (length 0: invalid).

        Built code by code, as libjpeg builds its decoder, so a (damaged) table that lists a symbol
        twice still decodes both of its codes.
        """
        self.codes()  # raises for an over-subscribed table
        symbols = np.zeros(1 << 16, dtype=np.int32)
        lengths = np.zeros(1 << 16, dtype=np.int32)
        code, k = 0, 0
        for length in range(1, 17):
            for _ in range(self.bits[length - 1]):
                start = code << (16 - length)
                symbols[start:start + (1 << (16 - length))] = self.values[k]
                lengths[start:start + (1 << (16 - length))] = length
                code += 1
                k += 1
            code <<= 1
        return symbols, lengths

    def segment_payload(self) -> bytes:
        return bytes(self.bits) + bytes(self.values)


# ITU-T T.81 Annex K.3, as libjpeg installs them.
STD_DC_LUMA = HuffmanTable((0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0), tuple(range(12)))
STD_DC_CHROMA = HuffmanTable((0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0), tuple(range(12)))
STD_AC_LUMA = HuffmanTable((0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7D), (
    0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
    0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xA1, 0x08, 0x23, 0x42, 0xB1, 0xC1, 0x15, 0x52, 0xD1, 0xF0,
    0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0A, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x25, 0x26, 0x27, 0x28,
    0x29, 0x2A, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
    0x4A, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
    0x6A, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
    0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7,
    0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xC2, 0xC3, 0xC4, 0xC5,
    0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xE1, 0xE2,
    0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8,
    0xF9, 0xFA))
STD_AC_CHROMA = HuffmanTable((0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77), (
    0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71,
    0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xA1, 0xB1, 0xC1, 0x09, 0x23, 0x33, 0x52, 0xF0,
    0x15, 0x62, 0x72, 0xD1, 0x0A, 0x16, 0x24, 0x34, 0xE1, 0x25, 0xF1, 0x17, 0x18, 0x19, 0x1A, 0x26,
    0x27, 0x28, 0x29, 0x2A, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
    0x49, 0x4A, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
    0x69, 0x6A, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
    0x88, 0x89, 0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4, 0xA5,
    0xA6, 0xA7, 0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xC2, 0xC3,
    0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA,
    0xE2, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8,
    0xF9, 0xFA))


def size_category(values: np.ndarray) -> np.ndarray:
    """Number of bits of ``|v|`` (0 for 0): the JPEG "SSSS" category."""
    magnitude = np.abs(np.asarray(values, dtype=np.int64))
    out = np.zeros(magnitude.shape, dtype=np.int64)
    nonzero = magnitude > 0
    out[nonzero] = np.floor(np.log2(magnitude[nonzero])).astype(np.int64) + 1
    return out


def _extra_bits(values: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The ``size`` low bits that follow a symbol: ``v`` if positive, ``v - 1`` (two's complement) if negative."""
    values = np.asarray(values, dtype=np.int64)
    return np.where(values < 0, values - 1, values) & ((np.int64(1) << sizes) - 1)


@dataclass
class BlockSymbols:
    """The symbols of a sequence of blocks, in coding order, each with the table class it uses."""

    symbol: np.ndarray  # int64, 0-255
    is_ac: np.ndarray  # bool: coded with the AC table (else DC)
    table_id: np.ndarray  # int64: Huffman table slot of the block's component
    extra: np.ndarray  # int64: extra bits value
    extra_len: np.ndarray  # int64: number of extra bits
    block: np.ndarray  # int64: index of the symbol's block in coding order


def block_symbols(zigzag: np.ndarray, component: np.ndarray, dc_table: np.ndarray,
                  ac_table: np.ndarray) -> BlockSymbols:
    """Symbols of quantized blocks in scan order.

    ``zigzag``: ``(N, 64)`` integer coefficients in zigzag order, blocks in the order they are coded;
    ``component``: ``(N,)`` component index of each block (DC prediction is per component);
    ``dc_table``/``ac_table``: ``(N,)`` table slots. Raises ``ValueError`` for coefficients outside
    what baseline JPEG can code (DC differences beyond +-2047, AC beyond +-1023).
    """
    zz = np.asarray(zigzag, dtype=np.int64)
    n = zz.shape[0]
    component = np.asarray(component)
    # DC differences, per component in scan order
    dc = zz[:, 0]
    diff = np.empty(n, dtype=np.int64)
    for c in np.unique(component):
        idx = np.flatnonzero(component == c)
        diff[idx] = np.diff(dc[idx], prepend=0)
    if n and np.abs(diff).max() > 2047:
        raise ValueError(f"a DC difference of {np.abs(diff).max()} exceeds baseline JPEG's limit of 2047")
    ac = zz[:, 1:]
    if n and np.abs(ac).max() > 1023:
        raise ValueError(f"an AC coefficient of {np.abs(ac).max()} exceeds baseline JPEG's limit of 1023")

    # every emitted symbol gets a sort key: block * 256 + slot; DC slot 0, EOB slot 255,
    # the nonzero AC at zigzag position k slot 2k, its ZRLs slot 2k - 1
    blocks_nz, pos_nz = np.nonzero(ac)
    pos_nz = pos_nz + 1  # zigzag position 1..63
    prev = np.empty_like(pos_nz)
    if pos_nz.size:
        prev[1:] = pos_nz[:-1]
        first = np.ones(pos_nz.size, dtype=bool)
        first[1:] = blocks_nz[1:] != blocks_nz[:-1]
        prev[first] = 0
    run = pos_nz - prev - 1
    zrl = run // 16
    values_nz = ac[blocks_nz, pos_nz - 1]
    sizes_nz = size_category(values_nz)

    last = np.zeros(n, dtype=np.int64)
    if pos_nz.size:
        np.maximum.at(last, blocks_nz, pos_nz)
    needs_eob = last < 63

    dc_size = size_category(diff)
    zrl_blocks = np.repeat(blocks_nz, zrl)
    zrl_pos = np.repeat(pos_nz, zrl)
    eob_blocks = np.flatnonzero(needs_eob)

    keys = np.concatenate([np.arange(n) * 256, zrl_blocks * 256 + 2 * zrl_pos - 1,
                           blocks_nz * 256 + 2 * pos_nz, eob_blocks * 256 + 255])
    symbol = np.concatenate([dc_size, np.full(zrl_blocks.size, 0xF0), (run % 16) * 16 + sizes_nz,
                             np.zeros(eob_blocks.size, dtype=np.int64)])
    is_ac = np.concatenate([np.zeros(n, bool), np.ones(zrl_blocks.size + blocks_nz.size + eob_blocks.size, bool)])
    block = np.concatenate([np.arange(n), zrl_blocks, blocks_nz, eob_blocks])
    extra_len = np.concatenate([dc_size, np.zeros(zrl_blocks.size, np.int64), sizes_nz,
                                np.zeros(eob_blocks.size, np.int64)])
    extra = np.concatenate([_extra_bits(diff, dc_size), np.zeros(zrl_blocks.size, np.int64),
                            _extra_bits(values_nz, sizes_nz), np.zeros(eob_blocks.size, np.int64)])
    order = np.argsort(keys, kind="stable")
    block = block[order]
    is_ac = is_ac[order]
    table_id = np.where(is_ac, np.asarray(ac_table)[block], np.asarray(dc_table)[block])
    return BlockSymbols(symbol[order], is_ac, table_id, extra[order], extra_len[order], block)


def optimal_table(frequencies: np.ndarray) -> HuffmanTable:
    """libjpeg's ``jpeg_gen_optimal_table``: a length-limited (16 bits) Huffman table for symbol counts.

    Follows T.81 Annex K.2 exactly as libjpeg(-turbo) does, including its tie-breaking and the
    reserved all-ones code (a pseudo-symbol 256 with count 1), so that files match bit for bit.
    """
    freq = [int(f) for f in np.asarray(frequencies).ravel()[:256]] + [1]
    if len(freq) != 257:
        raise ValueError("frequencies must have 256 entries")
    if sum(freq) >= 1_000_000_000:
        raise ValueError("symbol counts must total less than 1e9 (libjpeg's limit)")
    nz_index = [i for i in range(257) if freq[i]]
    f = [freq[i] for i in nz_index]
    m = len(f)
    codesize = [0] * m
    others = [-1] * m
    big = 1_000_000_001
    while True:
        c1 = c2 = -1
        v = v2 = 1_000_000_000
        for i in range(m):
            fi = f[i]
            if fi <= v2:
                if fi <= v:
                    c2, v2, v, c1 = c1, v, fi, i
                else:
                    v2, c2 = fi, i
        if c2 < 0:
            break
        f[c1] += f[c2]
        f[c2] = big
        codesize[c1] += 1
        while others[c1] >= 0:
            c1 = others[c1]
            codesize[c1] += 1
        others[c1] = c2
        codesize[c2] += 1
        while others[c2] >= 0:
            c2 = others[c2]
            codesize[c2] += 1
    bits = [0] * 34
    for size in codesize:
        if size > 32:
            raise ValueError("Huffman code length overflow")
        bits[size] += 1
    order = sorted(range(m), key=lambda i: (codesize[i], i))  # by code length, then symbol
    for i in range(32, 16, -1):
        while bits[i] > 0:
            j = i - 2
            while bits[j] == 0:
                j -= 1
            bits[i] -= 2
            bits[i - 1] += 1
            bits[j + 1] += 2
            bits[j] -= 1
    i = 16
    while bits[i] == 0:
        i -= 1
    bits[i] -= 1  # drop the pseudo-symbol
    values = tuple(nz_index[k] for k in order if nz_index[k] != 256)
    return HuffmanTable(tuple(bits[1:17]), values)


def pack_bits(values: np.ndarray, lengths: np.ndarray) -> bytes:
    """Concatenate ``values[i]`` written in ``lengths[i]`` bits, MSB first; pad with 1-bits to a byte;
    stuff a zero byte after every 0xFF. Returns the entropy-coded segment."""
    values = np.asarray(values, dtype=np.uint64)
    lengths = np.asarray(lengths, dtype=np.int64)
    keep = lengths > 0
    values, lengths = values[keep], lengths[keep]
    total = int(lengths.sum())
    starts = np.cumsum(lengths) - lengths
    item = np.repeat(np.arange(values.size), lengths)
    shift = (np.repeat(lengths + starts, lengths) - 1 - np.arange(total)).astype(np.uint64)
    bits = ((values[item] >> shift) & np.uint64(1)).astype(np.uint8)
    pad = -total % 8
    if pad:
        bits = np.concatenate([bits, np.ones(pad, dtype=np.uint8)])
    packed = np.packbits(bits)
    ff = np.flatnonzero(packed == 0xFF)
    if ff.size:
        packed = np.insert(packed, ff + 1, 0)
    return packed.tobytes()
