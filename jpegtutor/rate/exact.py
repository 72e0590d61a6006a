"""Exact rate: how many bytes the JPEG file takes, computed from quantized coefficients.

The count comes from the same vectorized entropy-coding plan the encoder writes (Part I), so it is
the file size to the byte: Huffman codes and extra bits, the padding of the last byte, one stuffed
zero byte after every 0xFF in the entropy-coded data, and the markers around it. Besides the file
size it reports where the bits go: per component, DC versus AC, and per 8x8 block.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..jpeg.codec import Coefficients, entropy_plan, header_segments, quantized_coefficients, scan_order

__all__ = ["ExactRate", "exact_rate", "image_rate"]


@dataclass
class ExactRate:
    """The exact size of a baseline JPEG file and its parts.

    ``file_bytes = header_bytes + entropy_bytes + 2`` (EOI). ``entropy_bytes`` includes the
    ``padding_bits`` of the last byte and ``stuffed_bytes``. ``code_bits``: Huffman codes + extra
    bits per component; ``dc_bits``/``ac_bits`` split them. ``block_bits[c]``: float ``(hb, wb)``
    bits of each block of component ``c`` (its DC and AC symbols); ``dummy_block_bits``: bits of
    the MCU-padding blocks libjpeg codes beyond the image's blocks.
    """

    file_bytes: int
    header_bytes: int
    entropy_bytes: int
    stuffed_bytes: int
    padding_bits: int
    code_bits: tuple[int, ...]
    dc_bits: tuple[int, ...]
    ac_bits: tuple[int, ...]
    block_bits: list[np.ndarray]
    dummy_block_bits: int
    height: int
    width: int

    @property
    def bpp(self) -> float:
        """Bits per pixel of the whole file (what evaluation reports)."""
        return 8 * self.file_bytes / (self.height * self.width)

    def as_dict(self) -> dict:
        return {"file_bytes": self.file_bytes, "bpp": self.bpp, "header_bytes": self.header_bytes,
                "entropy_bytes": self.entropy_bytes, "stuffed_bytes": self.stuffed_bytes,
                "padding_bits": self.padding_bits, "code_bits": list(self.code_bits), "dc_bits": list(self.dc_bits),
                "ac_bits": list(self.ac_bits), "dummy_block_bits": self.dummy_block_bits}


def _block_index(coefs: Coefficients) -> tuple[np.ndarray, np.ndarray]:
    """For each block in coding order: its component and its flat index in that component's
    ``(hb, wb)`` grid, or -1 for an MCU-padding (dummy) block. Found by running the encoder's own
    scan ordering on grids that hold their index + 1 in an AC slot (dummy blocks get zero AC)."""
    marked = []
    for blocks in coefs.blocks:
        grid = np.zeros(blocks.shape[:2] + (8, 8), dtype=np.int32)
        grid[..., 0, 1] = np.arange(1, blocks.shape[0] * blocks.shape[1] + 1).reshape(blocks.shape[:2])
        marked.append(grid)
    probe = Coefficients(coefs.height, coefs.width, marked, coefs.tables, coefs.table_of, coefs.sampling,
                         coefs.component_ids)
    ordered, component = scan_order(probe, len(coefs.blocks) > 1)
    return component, ordered[:, 0, 1].astype(np.int64) - 1


def exact_rate(coefs: Coefficients, optimize: bool = False) -> ExactRate:
    """The exact size of the file :func:`jpegtutor.jpeg.write_coefficients` (and Pillow) writes for
    these coefficients, with standard Huffman tables or, with ``optimize``, optimal ones."""
    plan = entropy_plan(coefs, optimize)
    header = sum(len(segment) for segment in header_segments(coefs, plan))
    total_bits = int(plan.lengths.sum())
    padding = -total_bits % 8
    # byte stuffing depends on the actual bits: pack them (vectorized) and count 0xFF bytes
    from ..jpeg.huffman import pack_bits

    entropy = len(pack_bits(plan.values, plan.lengths))
    stuffed = entropy - (total_bits + padding) // 8
    n = len(coefs.blocks)
    per = lambda mask: tuple(int(plan.lengths[mask & (plan.component == c)].sum()) for c in range(n))  # noqa: E731
    everything = np.ones(plan.lengths.shape, bool)
    block_component, block_position = _block_index(coefs)
    bits_per_coded_block = np.bincount(plan.block, weights=plan.lengths, minlength=block_component.size)
    block_bits = []
    for c, blocks in enumerate(coefs.blocks):
        pick = (block_component == c) & (block_position >= 0)
        grid = np.zeros(blocks.shape[0] * blocks.shape[1])
        grid[block_position[pick]] = bits_per_coded_block[pick]
        block_bits.append(grid.reshape(blocks.shape[:2]))
    dummy = int(bits_per_coded_block[block_position < 0].sum())
    return ExactRate(header + entropy + 2, header, entropy, stuffed, padding, per(everything), per(~plan.is_ac),
                     per(plan.is_ac), block_bits, dummy, coefs.height, coefs.width)


def image_rate(image: np.ndarray, quality: int | None = 75, subsampling: str = "4:2:0", optimize: bool = False,
               qtables=None) -> ExactRate:
    """The exact size of the JPEG Pillow writes for ``uint8 (H, W, 3)`` ``image`` with these settings."""
    return exact_rate(quantized_coefficients(image, quality, subsampling, qtables), optimize)
