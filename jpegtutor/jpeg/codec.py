"""The codec: images to ``.jpg`` bytes and back, and the quantized DCT coefficients in between.

``encode(image, quality)`` with ``exact=True`` (the default) writes the same bytes as libjpeg(-turbo)
through Pillow, for any size, quality, subsampling and Huffman mode; ``exact=False`` uses the
teaching path (float colour transform, box-filter subsampling, orthonormal DCT) and writes an
equally valid, slightly different file. ``decode`` reproduces libjpeg's default decoding (integer
IDCT, fancy upsampling) pixel for pixel. ``read_coefficients`` / ``write_coefficients`` expose the
quantized coefficients (as ``jpeglib.read_dct`` does).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from . import markers
from .color import rgb_to_ycbcr_libjpeg, ycbcr_to_rgb_libjpeg
from .dct import dct2, fdct_islow, idct_islow
from .errors import JPEGError, JPEGWarning
from .huffman import (STD_AC_CHROMA, STD_AC_LUMA, STD_DC_CHROMA, STD_DC_LUMA, HuffmanTable, block_symbols,
                      optimal_table, pack_bits)
from .quant import quantize, quantize_libjpeg, tables_for_quality, validate_tables
from .sampling import box_downsample, downsample_libjpeg, upsample_libjpeg
from .zigzag import ZIGZAG, to_zigzag

__all__ = ["Coefficients", "EntropyPlan", "SAMPLING", "dct_coefficients", "component_planes", "decode", "encode", "encode_planes", "entropy_plan", "header_segments",
           "normalize_subsampling",
           "quantized_coefficients", "read_coefficients", "scan_order", "write_coefficients"]

# Pillow's subsampling names to the luma sampling factors (h, v); chroma is always 1x1.
SAMPLING = {"4:4:4": (1, 1), "4:2:2": (2, 1), "4:2:0": (2, 2)}
_ALIASES = {"444": "4:4:4", "422": "4:2:2", "420": "4:2:0"}


@dataclass
class Coefficients:
    """Quantized DCT coefficients of a JPEG image.

    ``blocks[c]``: int16 ``(height_in_blocks, width_in_blocks, 8, 8)`` of component ``c`` in natural
    order (no MCU padding: the same layout as ``jpeglib.read_dct``); ``tables``: ``(n, 8, 8)`` int32
    quantization tables; ``table_of[c]``: the table index of component ``c``; ``sampling[c]``: ``(h, v)``.
    """

    height: int
    width: int
    blocks: list[np.ndarray]
    tables: np.ndarray
    table_of: list[int]
    sampling: list[tuple[int, int]]
    component_ids: list[int]


def normalize_subsampling(subsampling: str) -> str:
    """``"420"`` or ``"4:2:0"`` to ``"4:2:0"``; a clear ``ValueError`` for anything else."""
    key = _ALIASES.get(str(subsampling), str(subsampling))
    if key not in SAMPLING:
        raise ValueError(f"subsampling must be one of {list(SAMPLING)} (or 444/422/420), got {subsampling!r}")
    return key


def sampling_factors(subsampling: str | None, channels: int) -> list[tuple[int, int]]:
    if subsampling is None:  # Pillow without a subsampling argument: libjpeg's defaults
        return [(1, 1)] if channels == 1 else [SAMPLING["4:2:0"], (1, 1), (1, 1)]
    key = normalize_subsampling(subsampling)
    # Pillow records the luma factors in the frame header even for greyscale (one block per MCU anyway)
    return [SAMPLING[key]] if channels == 1 else [SAMPLING[key], (1, 1), (1, 1)]


def component_geometry(height: int, width: int, sampling):
    """``(hmax, vmax, [(comp_h, comp_w, height_in_blocks, width_in_blocks)] per component)`` for sampling factors ``[(h, v), ...]``."""
    hmax = max(h for h, _ in sampling)
    vmax = max(v for _, v in sampling)
    geometry = []
    for h, v in sampling:
        comp_w = -(-width * h // hmax)
        comp_h = -(-height * v // vmax)
        geometry.append((comp_h, comp_w, -(-comp_h // 8), -(-comp_w // 8)))
    return hmax, vmax, geometry


def _check_image(image) -> np.ndarray:
    if not isinstance(image, np.ndarray):
        raise TypeError(f"image must be a NumPy array, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise TypeError(f"image must have dtype uint8 (values 0-255), got {image.dtype}")
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (1, 3))):
        raise ValueError(f"image must have shape (H, W, 3) or (H, W), got {image.shape}")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f"image must be at least 1x1, got {image.shape[1]}x{image.shape[0]}")
    if image.shape[0] > 65535 or image.shape[1] > 65535:
        raise ValueError(f"JPEG images are at most 65535x65535, got {image.shape[1]}x{image.shape[0]}")
    return image[..., 0] if image.ndim == 3 and image.shape[2] == 1 else image


def _resolve_tables(quality, qtables, channels) -> np.ndarray:
    if qtables is None:
        if quality is None:
            quality = 75
        return tables_for_quality(quality)[: 1 if channels == 1 else 2]
    tables = validate_tables(qtables)
    if quality is not None:
        raise ValueError("give either quality or qtables, not both (Pillow would scale the tables by the quality)")
    return tables


def encode(image: np.ndarray, quality: int | None = 75, subsampling: str | None = None, optimize: bool = False,
           qtables=None, exact: bool = True) -> bytes:
    """Encode ``uint8 (H, W, 3)`` RGB or ``(H, W)`` greyscale to baseline JPEG bytes.

    ``quality`` 1-100 (IJG scaling of the Annex K tables) or ``qtables``: one to three ``(8, 8)``
    integer tables (1-255, natural order; component ``c`` uses table ``min(c, n - 1)``, as in Pillow).
    ``subsampling``: "4:4:4", "4:2:2" or "4:2:0"; ``None`` (the default) is what Pillow does when
    given none: 4:2:0 for RGB, 1x1 for greyscale (a given subsampling is recorded in a greyscale
    frame header, as Pillow records it). ``optimize``: optimal Huffman tables. With
    ``exact=True`` the bytes equal ``PIL.Image.save(..., "JPEG", quality=..., subsampling=...,
    optimize=...)`` (or ``qtables=``).
    """
    return write_coefficients(quantized_coefficients(image, quality, subsampling, qtables, exact), optimize=optimize)


def quantized_coefficients(image: np.ndarray, quality: int | None = 75, subsampling: str | None = None, qtables=None,
                           exact: bool = True) -> Coefficients:
    """What :func:`encode` would store, without writing the file: the quantized coefficients of
    ``uint8 (H, W, 3)`` RGB or ``(H, W)`` greyscale (same arguments as :func:`encode`)."""
    image = _check_image(image)
    if quality is not None and qtables is None:
        tables_for_quality(quality)  # validates quality
    channels = 1 if image.ndim == 2 else 3
    sampling = sampling_factors(subsampling, channels)
    tables = _resolve_tables(quality if qtables is None else None, qtables, channels)
    table_of = [min(c, len(tables) - 1) for c in range(channels)]
    height, width = image.shape[:2]
    coefficients = _forward(image, sampling, tables, table_of, exact)
    ids = [1] if channels == 1 else [1, 2, 3]
    return Coefficients(height, width, coefficients, tables, table_of, sampling, ids)


def _forward(image, sampling, tables, table_of, exact) -> list[np.ndarray]:
    out = []
    for c, blocks in enumerate(_component_dcts(image, sampling, exact)):
        table = tables[table_of[c]]
        q = quantize_libjpeg(blocks, table) if exact else quantize(blocks, table)
        out.append(q.astype(np.int16))
    return out


def dct_coefficients(image: np.ndarray, subsampling: str | None = None) -> list[np.ndarray]:
    """The unquantized DCT coefficients libjpeg computes before it quantizes: per component, int64
    ``(height_in_blocks, width_in_blocks, 8, 8)``, scaled by 8 (libjpeg's ``jpeg_fdct_islow``
    output; divide by 8 for the orthonormal DCT). ``quantize_libjpeg(dct, table)`` of these is
    what :func:`encode` stores; RD-optimized quantizers (:mod:`jpegtutor.jpeg.rdo`) start here."""
    image = _check_image(image)
    return _component_dcts(image, sampling_factors(subsampling, 1 if image.ndim == 2 else 3), exact=True)


def _component_dcts(image, sampling, exact) -> list[np.ndarray]:
    """Per component, ``(hb, wb, 8, 8)`` DCT blocks: libjpeg's integer DCT (scaled by 8) or, on the
    teaching path, the orthonormal float DCT."""
    return [_plane_dct(plane, exact) for plane in component_planes(image, sampling, exact)]


def component_planes(image, sampling, exact: bool = True) -> list[np.ndarray]:
    """The sample planes the DCT reads: per component ``(8 hb, 8 wb)`` int64 in 0-255, colour
    converted, subsampled and edge-padded to whole blocks as libjpeg does (``exact``) or by the
    teaching path's box filter. What :func:`encode_planes` takes to reproduce :func:`encode`."""
    height, width = image.shape[:2]
    hmax, vmax, geometry = component_geometry(height, width, sampling)
    if image.ndim == 2:
        planes = [image]
    elif exact:
        ycc = rgb_to_ycbcr_libjpeg(image)
        planes = [ycc[..., i] for i in range(3)]
    else:
        from .color import RGB_TO_YCBCR

        ycc = image.astype(np.float64) @ RGB_TO_YCBCR.numpy().T + np.array([0.0, 128.0, 128.0])
        planes = [ycc[..., i] for i in range(3)]
    rows = -(-height // vmax) * vmax
    out = []
    for plane, (h, v), (comp_h, comp_w, hb, wb) in zip(planes, sampling, geometry):
        fh, fv = hmax // h, vmax // v
        if exact:
            padded = np.concatenate([plane, np.repeat(plane[-1:], rows - height, axis=0)], axis=0)
            comp = downsample_libjpeg(padded, fh, fv, wb * 8)
        else:
            comp = np.clip(np.round(box_downsample(plane, fh, fv)), 0, 255)
            comp = np.pad(comp, ((0, 0), (0, max(0, wb * 8 - comp.shape[1]))), mode="edge")[:, : wb * 8]
        if comp.shape[0] < hb * 8:
            comp = np.concatenate([comp, np.repeat(comp[-1:], hb * 8 - comp.shape[0], axis=0)], axis=0)
        out.append(comp[: hb * 8].astype(np.int64))
    return out


def _plane_dct(plane: np.ndarray, exact: bool) -> np.ndarray:
    """``(8 hb, 8 wb)`` samples 0-255 -> ``(hb, wb, 8, 8)`` DCT blocks (level shift included)."""
    hb, wb = plane.shape[0] // 8, plane.shape[1] // 8
    blocks = (plane.astype(np.int64) - 128).reshape(hb, 8, wb, 8).transpose(0, 2, 1, 3).reshape(-1, 8, 8)
    coefs = fdct_islow(blocks) if exact else dct2(blocks.astype(np.float64))
    return np.asarray(coefs).reshape(hb, wb, 8, 8)


def encode_planes(planes, quality: int | None = 75, subsampling: str = "4:2:0", optimize: bool = False,
                  qtables=None, size: tuple[int, int] | None = None) -> bytes:
    """Encode already colour-converted and subsampled planes, as libjpeg's ``raw_data_in`` does:
    no colour conversion, no downsampling, libjpeg's integer DCT and quantization.

    ``planes``: ``[Y, Cb, Cr]`` uint8, luma ``(H, W)`` and chroma at the subsampled size
    (``ceil(H / fv), ceil(W / fh)``), each either at that size (then edge-padded to whole blocks
    here) or already padded to whole blocks ``(8 hb, 8 wb)`` (then used as given, as a raw-data
    caller of libjpeg supplies them; ``size`` = ``(H, W)`` then names the image size, default the
    luma plane's shape). ``quality`` / ``qtables`` / ``optimize`` as in :func:`encode`.
    The planes libjpeg itself makes (:func:`component_planes`) give :func:`encode`'s bytes exactly.
    """
    if not isinstance(planes, (list, tuple)) or len(planes) != 3:
        raise ValueError(f"planes must be a list [Y, Cb, Cr] of three uint8 arrays, got {type(planes).__name__}"
                         + (f" of {len(planes)}" if isinstance(planes, (list, tuple)) else ""))
    for name, plane in zip("Y Cb Cr".split(), planes):
        if not isinstance(plane, np.ndarray) or plane.dtype != np.uint8 or plane.ndim != 2:
            raise TypeError(f"plane {name} must be a 2-D uint8 NumPy array, got "
                            f"{getattr(plane, 'dtype', type(plane).__name__)} {getattr(plane, 'shape', '')}")
    height, width = planes[0].shape if size is None else (int(size[0]), int(size[1]))
    if not (1 <= height <= 65535 and 1 <= width <= 65535):
        raise ValueError(f"JPEG images are 1x1 to 65535x65535, got luma {width}x{height}")
    sampling = sampling_factors(subsampling, 3)
    _, _, geometry = component_geometry(height, width, sampling)
    padded = []
    for name, plane, (comp_h, comp_w, hb, wb) in zip("Y Cb Cr".split(), planes, geometry):
        if plane.shape == (hb * 8, wb * 8):
            padded.append(plane)
        elif plane.shape == (comp_h, comp_w):
            padded.append(np.pad(plane, ((0, hb * 8 - comp_h), (0, wb * 8 - comp_w)), mode="edge"))
        else:
            raise ValueError(f"plane {name} must be {comp_w}x{comp_h} (or block-padded {wb * 8}x{hb * 8}) for a "
                             f"{width}x{height} image at {normalize_subsampling(subsampling)}, got "
                             f"{plane.shape[1]}x{plane.shape[0]}")
    if quality is not None and qtables is None:
        tables_for_quality(quality)
    tables = _resolve_tables(quality if qtables is None else None, qtables, 3)
    table_of = [min(c, len(tables) - 1) for c in range(3)]
    blocks = [quantize_libjpeg(_plane_dct(p, True), tables[table_of[c]]).astype(np.int16) for c, p in enumerate(padded)]
    return write_coefficients(Coefficients(height, width, blocks, tables, table_of, sampling, [1, 2, 3]), optimize)


def _mcu_grid(blocks: np.ndarray, h: int, v: int, mcus_y: int, mcus_x: int) -> np.ndarray:
    """Pad a component's block grid to whole MCUs with libjpeg's dummy blocks (zero AC, DC copied)."""
    hb, wb = blocks.shape[:2]
    grid = np.zeros((mcus_y * v, mcus_x * h, 8, 8), dtype=np.int32)
    grid[:hb, :wb] = blocks
    if mcus_x * h > wb:  # right edge: DC of the last real block of the row
        grid[:hb, wb:, 0, 0] = blocks[:, -1:, 0, 0]
    for r in range(hb, mcus_y * v):  # bottom rows: DC of the MCU's last block in the row above
        dc_above = grid[r - 1, h - 1::h, 0, 0]
        grid[r, :, 0, 0] = np.repeat(dc_above, h)
    return grid


def scan_order(coefs: Coefficients, interleaved: bool):
    """All blocks of a scan in coding order: ``(blocks (N, 8, 8), component index (N,))``."""
    hmax = max(h for h, _ in coefs.sampling)
    vmax = max(v for _, v in coefs.sampling)
    if not interleaved:
        blocks = coefs.blocks[0]
        return blocks.reshape(-1, 8, 8), np.zeros(blocks.shape[0] * blocks.shape[1], dtype=np.int64)
    mcus_y = -(-coefs.height // (8 * vmax))
    mcus_x = -(-coefs.width // (8 * hmax))
    parts, comps = [], []
    for c, (blocks, (h, v)) in enumerate(zip(coefs.blocks, coefs.sampling)):
        grid = _mcu_grid(blocks, h, v, mcus_y, mcus_x)
        # (mcus_y, v, mcus_x, h, 8, 8) -> (mcus_y, mcus_x, v * h blocks)
        mcu = grid.reshape(mcus_y, v, mcus_x, h, 8, 8).transpose(0, 2, 1, 3, 4, 5).reshape(mcus_y, mcus_x, v * h, 8, 8)
        parts.append(mcu)
        comps.append(np.full(v * h, c))
    order = np.concatenate(parts, axis=2).reshape(-1, 8, 8)
    component = np.tile(np.concatenate(comps), mcus_y * mcus_x)
    return order, component


@dataclass
class EntropyPlan:
    """Everything the entropy coder emits for a scan, before packing into bytes.

    ``values``/``lengths``: ``(S,)`` each symbol's Huffman code followed by its extra bits, as one
    integer and its bit length; ``component``/``block``: ``(S,)`` the component of each symbol and
    the index of its block in coding order (``component_of_block`` gives the component of each
    block); ``is_ac``: ``(S,)``; ``huffman``: the tables used, keyed ``(is_ac, slot)``.
    """

    values: np.ndarray
    lengths: np.ndarray
    component: np.ndarray
    block: np.ndarray
    is_ac: np.ndarray
    component_of_block: np.ndarray
    huffman: dict
    slot: np.ndarray

    @property
    def huffman_slots(self) -> set[int]:
        return {s for _, s in self.huffman}


def entropy_plan(coefs: Coefficients, optimize: bool = False) -> EntropyPlan:
    """The symbols, codes and code lengths of the scan :func:`write_coefficients` writes (standard
    Annex K tables, or libjpeg's optimal ones with ``optimize``); all vectorized."""
    n = len(coefs.blocks)
    ordered, component = scan_order(coefs, n > 1)
    slot = np.array([0 if c == 0 else 1 for c in range(n)])  # Huffman table slots, as libjpeg assigns them
    symbols = block_symbols(to_zigzag(ordered), component, slot[component], slot[component])
    huff: dict[tuple[int, int], HuffmanTable] = {}
    for s in sorted(set(slot.tolist())):
        if optimize:
            for is_ac in (0, 1):
                pick = (symbols.table_id == s) & (symbols.is_ac == bool(is_ac))
                huff[(is_ac, s)] = optimal_table(np.bincount(symbols.symbol[pick], minlength=256))
        else:
            huff[(0, s)] = STD_DC_LUMA if s == 0 else STD_DC_CHROMA
            huff[(1, s)] = STD_AC_LUMA if s == 0 else STD_AC_CHROMA
    code = np.zeros((2, 4, 256), dtype=np.int64)
    length = np.zeros((2, 4, 256), dtype=np.int64)
    for (is_ac, s), table in huff.items():
        code[is_ac, s], length[is_ac, s] = table.codes()
    cls = symbols.is_ac.astype(np.int64)
    sym_len = length[cls, symbols.table_id, symbols.symbol]
    if (sym_len == 0).any():
        raise ValueError("a symbol has no Huffman code in the chosen table")
    values = (code[cls, symbols.table_id, symbols.symbol] << symbols.extra_len) | symbols.extra
    return EntropyPlan(values, sym_len + symbols.extra_len, component[symbols.block], symbols.block, symbols.is_ac,
                       component, huff, slot)


def write_coefficients(coefs: Coefficients, optimize: bool = False) -> bytes:
    """Write a baseline JPEG file from quantized coefficients, with libjpeg's marker layout.

    Standard Huffman tables (Annex K) or, with ``optimize``, optimal ones computed from the data.
    """
    n = len(coefs.blocks)
    if n not in (1, 3):
        raise ValueError(f"need 1 or 3 components, got {n}")
    tables = validate_tables(coefs.tables)
    for c, (blocks, t) in enumerate(zip(coefs.blocks, coefs.table_of)):
        if blocks.ndim != 4 or blocks.shape[2:] != (8, 8):
            raise ValueError(f"blocks[{c}] must have shape (rows, cols, 8, 8), got {blocks.shape}")
        if not 0 <= t < len(tables):
            raise ValueError(f"component {c} uses table {t}, but only {len(tables)} tables were given")
    hmax, vmax, geometry = component_geometry(coefs.height, coefs.width, coefs.sampling)
    for c, (blocks, geo) in enumerate(zip(coefs.blocks, geometry)):
        if blocks.shape[:2] != geo[2:]:
            raise ValueError(f"blocks[{c}] has {blocks.shape[:2]} blocks, but a {coefs.width}x{coefs.height} "
                             f"image with sampling {coefs.sampling[c]} needs {geo[2:]}")
    plan = entropy_plan(coefs, optimize)
    return b"".join([*header_segments(coefs, plan), pack_bits(plan.values, plan.lengths), b"\xff\xd9"])


def header_segments(coefs: Coefficients, plan: EntropyPlan) -> list[bytes]:
    """The markers before the entropy-coded data, in libjpeg's layout: SOI, JFIF APP0, DQT, SOF0, DHT, SOS."""
    tables = validate_tables(coefs.tables)
    out = [b"\xff\xd8", markers.jfif_app0()]
    seen = []
    for t in coefs.table_of:
        if t not in seen:
            seen.append(t)
            out.append(markers.dqt(t, tables[t]))
    ids = coefs.component_ids
    out.append(markers.sof0(coefs.height, coefs.width,
                            [(ids[c], h, v, coefs.table_of[c]) for c, (h, v) in enumerate(coefs.sampling)]))
    for s in sorted(plan.huffman_slots):
        out.append(markers.dht(0, s, plan.huffman[(0, s)]))
        out.append(markers.dht(1, s, plan.huffman[(1, s)]))
    out.append(markers.sos([(ids[c], plan.slot[c], plan.slot[c]) for c in range(len(coefs.blocks))]))
    return out


# ------------------------------------------------------------------------------------------------
# Decoding


def _unstuff(data: bytes, start: int, end: int):
    """Entropy-coded bytes of a scan split at restart markers (and invalid markers, label -1): list of
    (bytes, file offsets, the RST number of the marker before them)."""
    chunk = np.frombuffer(data, dtype=np.uint8, count=end - start, offset=start)
    ff = np.flatnonzero(chunk[:-1] == 0xFF) if chunk.size > 1 else np.array([], dtype=np.int64)
    pieces = []
    keep = np.ones(chunk.size, dtype=bool)
    boundaries = []
    for i in ff:
        nxt = chunk[i + 1]
        if nxt == 0:
            keep[i + 1] = False
        elif 0xD0 <= nxt <= 0xD7:
            keep[i] = keep[i + 1] = False
            boundaries.append((i, int(nxt) - 0xD0))
        elif nxt < 0xC0:  # an invalid marker code inside the scan (lenient parsing keeps it): label -1
            keep[i] = keep[i + 1] = False
            boundaries.append((i, -1))
        elif nxt == 0xFF:
            keep[i] = False
    if chunk.size and chunk[-1] == 0xFF:
        keep[-1] = False
    cuts = [0] + [b + 2 for b, _ in boundaries] + [chunk.size]
    labels = [None] + [m for _, m in boundaries]
    for k in range(len(cuts) - 1):
        lo, hi = cuts[k], (boundaries[k][0] if k < len(boundaries) else chunk.size)
        sel = np.flatnonzero(keep[lo:hi]) + lo
        pieces.append((chunk[sel].tobytes(), sel + start, labels[k]))
    return pieces


_PAD = b"\x00" * 2048  # zero bits past the end of a segment: libjpeg's fill after it hits a marker


def _resync_action(marker, desired: int) -> int:
    """libjpeg's ``jpeg_resync_to_restart`` when the marker after a segment is not RST``desired``:
    1 = discard it and decode on, 2 = skip to the next marker and decide again, 3 = leave it (the next
    segment decodes as empty). ``marker``: an RST number 0-7, -1 for an invalid marker code (below
    SOF0), or None for any other marker (or EOF)."""
    if marker == -1:
        return 2
    if marker is None or marker in ((desired + 1) & 7, (desired + 2) & 7):
        return 3
    if marker in ((desired - 1) & 7, (desired - 2) & 7):
        return 2
    return 1


def _decode_scan(parsed: markers.Parsed, scan: markers.Scan, data: bytes, grids: dict, geometry,
                 bits_per_component: dict | None = None, strict: bool = False):
    """Huffman-decode one scan into ``grids`` the way libjpeg(-turbo) does, damage included.

    Valid files decode identically either way. On damage (``strict=False``, the default) this
    follows libjpeg: when a segment's data ends before its last block, the bits run on as zeros for
    the block being decoded, the rest of the segment is left at zero (uniform grey) and a warning
    says so; an invalid Huffman code consumes 17 bits and decodes as symbol 0; an AC run past the
    block's end writes to its last coefficient; a restart marker out of sequence is resynchronised
    by libjpeg's rules (:func:`_resync_action`). ``strict=True`` raises a :class:`JPEGError` instead.
    """
    frame = parsed.frame
    comps = {c.id: (i, c) for i, c in enumerate(frame.components)}
    hmax = max(c.h for c in frame.components)
    vmax = max(c.v for c in frame.components)
    luts = {}
    for td, table in scan.dc_huffman.items():
        if any(v > 15 for v in table.values):
            raise JPEGError(f"DC Huffman table {td} has a symbol above 15 (libjpeg refuses such a table)", scan.offset)
        luts[(0, td)] = [a.tolist() for a in table.lookup()]
    for ta, table in scan.ac_huffman.items():
        luts[(1, ta)] = [a.tolist() for a in table.lookup()]
    members = [comps[cid] for cid in scan.component_ids]
    if len(members) == 1:
        idx, comp = members[0]
        hb, wb = geometry[idx][2], geometry[idx][3]
        units = [[(idx, r, c)] for r in range(hb) for c in range(wb)]
    else:
        mcus_y = -(-frame.height // (8 * vmax))
        mcus_x = -(-frame.width // (8 * hmax))
        units = []
        for my in range(mcus_y):
            for mx in range(mcus_x):
                unit = []
                for idx, comp in members:
                    for v in range(comp.v):
                        for h in range(comp.h):
                            unit.append((idx, my * comp.v + v, mx * comp.h + h))
                units.append(unit)
    tables = {idx: (luts[(0, scan.dc_tables[k])], luts[(1, scan.ac_tables[k])])
              for k, (idx, _) in enumerate(members)}
    pieces = _unstuff(data, scan.data_start, scan.data_end)  # segments between markers; label = the RST before it

    repairs: dict[str, list] = {}  # message -> [count, first offset]: one warning per kind and scan

    def problem(message: str, offset: int) -> None:
        if strict:
            raise JPEGError(message, offset)
        repairs.setdefault(message, [0, offset])[0] += 1

    def terminator(k: int):
        """The marker that ends piece ``k``: an RST number, or None (the marker after the scan, or EOF)."""
        return pieces[k + 1][2] if k + 1 < len(pieces) else None

    def load(k: int):
        payload, offsets, _ = pieces[k]
        return payload + _PAD, len(payload) * 8, offsets

    zz_to_nat = _ZZ_TO_NATURAL
    interval = scan.restart_interval
    k, pos = 0, 0
    reader_bytes, n_bits, offsets = load(0)
    insufficient, next_rst, restarts_to_go = False, 0, interval
    pred = {}
    for unit in units:
        if interval and restarts_to_go == 0:  # libjpeg's process_restart
            extraneous = (n_bits - pos) // 8
            if extraneous > 0 and n_bits > 0:
                warnings.warn(JPEGWarning(f"corrupt JPEG data: {extraneous} extraneous bytes before the marker at byte "
                                          f"offset {int(offsets[-1]) + 1 if len(offsets) else scan.data_end}"), stacklevel=3)
            after = k + 1  # the piece that follows the marker under consideration
            while True:
                marker = pieces[after][2] if after < len(pieces) else None
                where = int(pieces[after][1][0]) - 2 if after < len(pieces) and len(pieces[after][1]) else scan.data_end
                if marker == next_rst:
                    k, action = after, 0
                    break
                action = _resync_action(marker, next_rst)
                problem("a restart marker is missing or out of sequence (resynchronised by libjpeg's rules)", where)
                if action == 2 and after >= len(pieces):
                    action = 3
                if action == 1:
                    k = after
                    break
                if action == 2 and after < len(pieces):
                    after += 1
                    continue
                k = after - 1  # action 3: stand before the marker; the segment decodes as empty
                break
            if action == 3:
                reader_bytes, n_bits, offsets = load(k)
                pos = n_bits
            else:
                reader_bytes, n_bits, offsets = load(k)
                pos = 0
                insufficient = False
            pred = {}
            restarts_to_go = interval
            next_rst = (next_rst + 1) & 7
        if not insufficient:
            for idx, r, c in unit:
                block_start = pos
                (dc_sym, dc_len), (ac_sym, ac_len) = tables[idx]
                block = grids[idx][r, c]
                peek = (int.from_bytes(reader_bytes[pos >> 3:(pos >> 3) + 4], "big") >> (16 - (pos & 7))) & 0xFFFF
                ln = dc_len[peek]
                if ln == 0:
                    problem("invalid Huffman code for a DC coefficient", _file_offset(offsets, pos, scan))
                    pos, s = pos + 17, 0
                else:
                    s = dc_sym[peek]
                    pos += ln
                diff = 0
                if s:
                    bits = (int.from_bytes(reader_bytes[pos >> 3:(pos >> 3) + 4], "big") >> (32 - (pos & 7) - s)) & ((1 << s) - 1)
                    pos += s
                    diff = bits if bits >> (s - 1) else bits - (1 << s) + 1
                value = pred.get(idx, 0) + diff
                pred[idx] = value
                block[0] = ((value + 32768) & 0xFFFF) - 32768  # libjpeg stores a 16-bit JCOEF
                i = 1
                while i < 64:
                    peek = (int.from_bytes(reader_bytes[pos >> 3:(pos >> 3) + 4], "big") >> (16 - (pos & 7))) & 0xFFFF
                    ln = ac_len[peek]
                    if ln == 0:
                        problem("invalid Huffman code for an AC coefficient", _file_offset(offsets, pos, scan))
                        pos += 17
                        break  # symbol 0: end of block
                    rs = ac_sym[peek]
                    pos += ln
                    run, s = rs >> 4, rs & 15
                    if s == 0:
                        if run == 15:
                            i += 16
                            continue
                        break  # EOB
                    i += run
                    bits = (int.from_bytes(reader_bytes[pos >> 3:(pos >> 3) + 4], "big") >> (32 - (pos & 7) - s)) & ((1 << s) - 1)
                    pos += s
                    if i > 63:  # libjpeg's natural-order table maps indices past the block to its last coefficient
                        problem("AC run goes past the end of the block", _file_offset(offsets, pos, scan))
                        block[63] = bits if bits >> (s - 1) else bits - (1 << s) + 1
                        break
                    block[zz_to_nat[i]] = bits if bits >> (s - 1) else bits - (1 << s) + 1
                    i += 1
                if bits_per_component is not None:
                    bits_per_component[idx] = bits_per_component.get(idx, 0) + min(pos, n_bits) - min(block_start, n_bits)
            if pos > n_bits:
                insufficient = True  # the rest of this segment stays zero, as libjpeg leaves it
                problem("entropy-coded data ends before the last block of its segment (truncated or corrupt)",
                        _file_offset(offsets, n_bits - 1, scan))
        if interval:
            restarts_to_go -= 1
    for message, (count, offset) in repairs.items():
        warnings.warn(JPEGWarning(f"corrupt JPEG data: {message}" + (f" ({count} times, first" if count > 1 else " (")
                                  + f" at byte offset {offset}); decoded as libjpeg does"), stacklevel=3)
    extraneous = (n_bits - pos) // 8
    if extraneous > 0 and not insufficient:  # libjpeg warns the same way ("extraneous bytes before marker")
        warnings.warn(JPEGWarning(f"corrupt JPEG data: {extraneous} extraneous bytes before the marker at "
                                  f"byte offset {int(offsets[-1]) + 1 if len(offsets) else scan.data_end}"),
                      stacklevel=3)


def _file_offset(offsets: np.ndarray, bit_pos: int, scan) -> int:
    if len(offsets) == 0:
        return scan.data_start
    return int(offsets[min(bit_pos // 8, len(offsets) - 1)])


_ZZ_TO_NATURAL = [int(x) for x in ZIGZAG]


def _decode_coefficients(data: bytes, bits_per_component: dict | None = None, strict: bool = False):
    parsed = markers.parse(data, strict=strict)
    frame = parsed.frame
    sampling = [(c.h, c.v) for c in frame.components]
    hmax, vmax, geometry = component_geometry(frame.height, frame.width, sampling)
    mcus_y = -(-frame.height // (8 * vmax))
    mcus_x = -(-frame.width // (8 * hmax))
    grids = {i: np.zeros((mcus_y * c.v, mcus_x * c.h, 64), dtype=np.int32) for i, c in enumerate(frame.components)}
    decoded = set()
    for scan in parsed.scans:
        _decode_scan(parsed, scan, data, grids, geometry, bits_per_component, strict)
        decoded.update(scan.component_ids)
    missing = [c.id for c in frame.components if c.id not in decoded]
    if missing:
        raise JPEGError(f"components {missing} are in the frame but in no scan", frame.offset)
    return parsed, geometry, grids


def read_coefficients(data: bytes, strict: bool = False) -> Coefficients:
    """The quantized DCT coefficients and tables of a JPEG file (same values as ``jpeglib.read_dct``;
    a damaged file is read as libjpeg reads it, with warnings, unless ``strict``: see :func:`decode`)."""
    parsed, geometry, grids = _decode_coefficients(data, strict=strict)
    frame = parsed.frame
    blocks = [grids[i][: g[2], : g[3]].reshape(g[2], g[3], 8, 8).astype(np.int16) for i, g in enumerate(geometry)]
    used = sorted({c.table for c in frame.components})
    tables = np.stack([parsed.qtables[t] for t in range(max(used) + 1) if t in parsed.qtables]) \
        if used == list(range(len(used))) else np.stack([parsed.qtables[t] for t in used])
    table_of = [c.table if used == list(range(len(used))) else used.index(c.table) for c in frame.components]
    return Coefficients(frame.height, frame.width, blocks, tables, table_of,
                        [(c.h, c.v) for c in frame.components], [c.id for c in frame.components])


def decode(data: bytes, strict: bool = False) -> np.ndarray:
    """Decode a baseline JPEG file to ``uint8 (H, W, 3)`` RGB (or ``(H, W)`` greyscale) exactly as
    libjpeg-turbo does by default (integer IDCT, fancy upsampling), i.e. as Pillow does.

    Damaged files are decoded as libjpeg decodes them, each repair reported by a :class:`JPEGWarning`
    (data that ends early: the rest of the segment grey; a missing end: as if EOI followed; a
    misplaced restart marker: libjpeg's resynchronisation; bytes between segments: skipped).
    ``strict=True`` raises a :class:`JPEGError` with the byte offset at the first of these instead.
    """
    parsed, geometry, grids = _decode_coefficients(data, strict=strict)
    frame = parsed.frame
    hmax = max(c.h for c in frame.components)
    vmax = max(c.v for c in frame.components)
    planes = []
    for i, comp in enumerate(frame.components):
        grid = grids[i]
        rows, cols = grid.shape[:2]
        samples = idct_islow(grid.reshape(-1, 8, 8), parsed.qtables[comp.table])
        plane = samples.reshape(rows, cols, 8, 8).transpose(0, 2, 1, 3).reshape(rows * 8, cols * 8)
        comp_h, comp_w = geometry[i][:2]
        plane = plane[:comp_h, :comp_w]
        planes.append(upsample_libjpeg(plane, hmax // comp.h, vmax // comp.v, frame.height, frame.width))
    if len(planes) == 1:
        return planes[0].astype(np.uint8)
    ycc = np.stack(planes, axis=-1).astype(np.uint8)
    if parsed.adobe_transform == 0 and not parsed.jfif:
        return ycc  # Adobe RGB-coded JPEG: no colour transform
    return ycbcr_to_rgb_libjpeg(ycc)
