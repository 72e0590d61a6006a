"""The building blocks of the codec, each against its definition or against libjpeg."""

import io

import numpy as np
import torch
import pytest
from PIL import Image

from jpegtutor.jpeg import markers, quant
from jpegtutor.jpeg.dct import (dct2, dct_matrix, fdct_islow, fdct_islow_matmul, idct2, idct_islow, idct_islow_matmul,
                                islow_matrices)
from jpegtutor.jpeg.huffman import (STD_AC_CHROMA, STD_AC_LUMA, STD_DC_CHROMA, STD_DC_LUMA, optimal_table,
                                    pack_bits, size_category)
from jpegtutor.jpeg.sampling import box_downsample, downsample_libjpeg
from jpegtutor.jpeg.zigzag import ZIGZAG, from_zigzag, to_zigzag


def test_quality_tables_match_libjpeg_for_every_quality():
    image = np.zeros((8, 8, 3), np.uint8)
    for quality in range(1, 101):
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, "JPEG", quality=quality)
        pillow = Image.open(buffer).quantization
        ours = quant.tables_for_quality(quality)
        assert np.array_equal(ours[0].ravel(), pillow[0]) and np.array_equal(ours[1].ravel(), pillow[1]), quality
    assert quant.quality_scale(50) == 100 and quant.quality_scale(10) == 500 and quant.quality_scale(100) == 0
    assert quant.tables_for_quality(100).max() == 1 and quant.tables_for_quality(1).max() == 255


def test_rounding_division_equals_libjpeg_turbos_reciprocal_multiply():
    """libjpeg-turbo quantizes with a fixed-point reciprocal; our division gives the same for all inputs."""
    values = np.arange(0, 1 << 15, dtype=np.int64)
    for q in range(1, 256):
        divisor = q << 3
        b = divisor.bit_length() - 1
        r = 16 + b
        fq, fr, c = (1 << r) // divisor, (1 << r) % divisor, divisor // 2
        if fr == 0:
            fq, r = fq >> 1, r - 1
        elif fr <= divisor // 2:
            c += 1
        else:
            fq += 1
        reciprocal = ((values + c) * fq) >> r
        ours = quant.quantize_libjpeg(values.reshape(-1, 8, 8), np.full((8, 8), q)).ravel()
        assert np.array_equal(ours, reciprocal), q
        assert np.array_equal(quant.quantize_libjpeg(-values.reshape(-1, 8, 8), np.full((8, 8), q)).ravel(), -reciprocal)


def test_dct_matrix_is_orthonormal_and_islow_is_8x_the_dct():
    c = dct_matrix()
    assert np.allclose(c @ c.T, np.eye(8))
    rng = np.random.default_rng(0)
    blocks = rng.integers(-128, 128, (500, 8, 8))
    assert np.allclose(idct2(dct2(blocks)), blocks)
    integer = fdct_islow(blocks)
    assert integer.dtype == np.int64
    assert np.abs(integer - 8 * dct2(blocks)).max() <= 2  # fixed-point rounding only
    flat = fdct_islow(np.full((1, 8, 8), 10))
    assert flat[0, 0, 0] == 8 * 80 and np.count_nonzero(flat) == 1


def test_idct_islow_inverts_within_rounding_and_clamps():
    rng = np.random.default_rng(1)
    samples = rng.integers(0, 256, (300, 8, 8))
    table = np.ones((8, 8), int)
    coefs = np.round(dct2(samples - 128)).astype(int)
    assert np.abs(idct_islow(coefs, table).astype(int) - samples).max() <= 1
    huge = np.zeros((1, 8, 8), int)
    huge[0, 0, 0] = 2000
    assert idct_islow(huge, table).min() == 255  # range limiting
    huge[0, 0, 0] = -2000
    assert idct_islow(huge, table).max() == 0


def test_matrix_form_of_the_integer_dcts_gives_the_same_integers():
    gen = torch.Generator().manual_seed(3)
    blocks = torch.randint(-128, 128, (4000, 8, 8), generator=gen)
    blocks[:2], blocks[2] = -128, 127  # extremes: the largest intermediate values
    blocks[3] = torch.where(torch.rand(8, 8, generator=gen) > 0.5, 127, -128)
    reference = fdct_islow(blocks)
    assert torch.equal(fdct_islow_matmul(blocks), reference.double())
    table = torch.randint(1, 256, (4000, 8, 8), generator=gen)
    table[:100] = 1
    coefficients = torch.round(reference / table)
    coefficients[4:8] = torch.randint(-1024, 1024, (4, 8, 8), generator=gen)  # far outside the sample range
    assert torch.equal(idct_islow_matmul(coefficients, table), idct_islow(coefficients, table).double())
    m = islow_matrices()
    ideal = np.sqrt(8) * dct_matrix() * 2.0 ** m["fdct_rows_shift"][:, None] * 4  # 2 extra bits, then the shift
    assert np.abs(m["fdct_rows"] - ideal).max() <= 1.5  # 13-bit constants: within a rounding or two of the cosines


def test_zigzag():
    assert ZIGZAG[:10].tolist() == [0, 1, 8, 16, 9, 2, 3, 10, 17, 24]
    assert sorted(ZIGZAG.tolist()) == list(range(64)) and ZIGZAG[-1] == 63
    block = np.arange(64).reshape(8, 8)
    assert np.array_equal(from_zigzag(to_zigzag(block)), block)
    with pytest.raises(ValueError):
        to_zigzag(np.zeros((4, 4)))


def test_standard_huffman_tables_are_the_ones_libjpeg_writes():
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(buffer, "JPEG")
    parsed = markers.parse(buffer.getvalue())
    scan = parsed.scans[0]
    assert scan.dc_huffman[0] == STD_DC_LUMA and scan.dc_huffman[1] == STD_DC_CHROMA
    assert scan.ac_huffman[0] == STD_AC_LUMA and scan.ac_huffman[1] == STD_AC_CHROMA


def test_optimal_table_is_a_valid_length_limited_prefix_code():
    rng = np.random.default_rng(2)
    freq = np.zeros(256, int)
    freq[:200] = (1.25 ** rng.uniform(0, 70, 200)).astype(int) + 1  # extreme skew forces the 16-bit limit
    table = optimal_table(freq)
    codes, lengths = table.codes()
    used = np.flatnonzero(lengths)
    assert set(used.tolist()) == set(range(200)) and lengths.max() <= 16
    assert sum(2.0 ** -lengths[used]) < 1  # Kraft, with the all-ones code left free
    assert lengths[np.argmax(freq)] <= lengths[np.argmin(freq[:200])]
    with pytest.raises(ValueError, match="1e9"):
        optimal_table(np.full(256, 10**8))


def test_size_category_and_bit_packing():
    assert size_category(np.array([0, 1, -1, 2, 3, -4, 1023, -2047])).tolist() == [0, 1, 1, 2, 2, 3, 10, 11]
    # 0b1111_1111 must be followed by a stuffed zero; the tail is padded with ones
    assert pack_bits(np.array([0xFF, 0b101]), np.array([8, 3])) == b"\xff\x00\xbf"


def test_libjpeg_downsampling_rounds_with_alternating_bias():
    plane = np.array([[1, 2, 1, 2], [1, 2, 1, 2]], np.uint8)  # each box sums to 3 (2x1) or 6 (2x2)
    assert downsample_libjpeg(plane, 2, 1, 2).tolist() == [[1, 2], [1, 2]]  # (3+0)>>1, (3+1)>>1
    assert downsample_libjpeg(plane, 2, 2, 2).tolist() == [[1, 2]]  # (6+1)>>2, (6+2)>>2
    assert box_downsample(plane.astype(float), 2, 2).tolist() == [[1.5, 1.5]]
