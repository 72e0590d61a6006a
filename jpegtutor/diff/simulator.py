"""A differentiable JPEG simulator: image in, JPEG-decoded image out, gradients back.

Two forward modes share one set of differentiable (float) operations:

- ``smooth``: libjpeg's pipeline in float32, every step exact except the two DCTs (which are the
  orthonormal float transforms), with each of libjpeg's roundings and floors (colour conversion,
  downsampling, quantization, inverse DCT output, upsampling) done by the surrogate. The steps are
  the codec's own (:mod:`jpegtutor.jpeg.color`, :mod:`jpegtutor.jpeg.sampling`, its geometry),
  called with float tensors and the surrogate floor instead of integer shifts;
- ``exact``: the same pipeline with exact-forward roundings and with libjpeg's integer DCT and IDCT
  (Part I's code, run on torch tensors) supplying the forward values of the two float DCTs, so
  that the output equals what libjpeg decodes from the file Pillow writes, pixel for pixel, while
  gradients flow through the float operations and the chosen surrogate.

Quality can be a float tensor ``(B,)`` (gradient through a surrogate floor in the IJG formula) or
tables can be given directly as ``(B, 2, 8, 8)`` (luma, chroma; gradient with respect to them).
"""

from __future__ import annotations

import contextlib
import contextvars

import torch

from ..jpeg import _array as A
from ..jpeg import dct as jdct
from ..jpeg import quant as jquant
from ..jpeg.codec import component_geometry, normalize_subsampling, sampling_factors
from ..jpeg.color import rgb_to_ycbcr_tensor, ycbcr_to_rgb_tensor
from ..jpeg.sampling import downsample_libjpeg, upsample_libjpeg
from .rounding import get_rounding, round_half_away, surrogate_floor

__all__ = ["EXACT_FORWARD", "JPEGSimulator", "dct_coefficients", "quality_to_tables", "reference_path", "simulate",
           "simulate_with_coefficients", "using_reference_path"]

EXACT_FORWARD = ("hard", "ste", "cubic-ste")  # surrogates whose forward value is the exact rounding

_DCT = torch.from_numpy(jdct.dct_matrix())
# The 2-D DCT of a block flattened row by row is one 64 x 64 matrix, kron(C, C): one large matrix
# product is faster than two batched 8 x 8 ones on CPUs and GPUs alike.
_DCT64 = torch.kron(_DCT, _DCT)
_BASE = torch.from_numpy(jquant.STD_LUMA), torch.from_numpy(jquant.STD_CHROMA)


def _clip(x: torch.Tensor) -> torch.Tensor:
    """Clip to [0, 255] with a straight-through gradient; where autograd is not recording, a clamp in
    place (every caller hands over a temporary of its own)."""
    if not torch.is_grad_enabled():
        return x.clamp_(0.0, 255.0)
    clipped = x.clamp(0.0, 255.0)
    return x + (clipped - x).detach() if x.requires_grad else clipped


def _ste(smooth: torch.Tensor, exact: torch.Tensor) -> torch.Tensor:
    """Forward value ``exact``, gradient of ``smooth``."""
    return smooth + (exact.to(smooth.dtype) - smooth).detach()


def quality_to_tables(quality: torch.Tensor, rounding: str = "ste") -> torch.Tensor:
    """IJG quality (float tensor ``(B,)``, 1-100) to tables ``(B, 2, 8, 8)``, differentiable.

    Forward values equal libjpeg's tables for integer qualities (the floor is exact, see
    :func:`surrogate_floor`); entries are clipped to [1, 255] after flooring, as libjpeg does,
    with a straight-through gradient.
    """
    quality = torch.as_tensor(quality)
    if not quality.is_floating_point():
        quality = quality.to(torch.float32)
    quality = quality.reshape(-1)
    if torch.any(quality < 1) or torch.any(quality > 100) or not torch.all(torch.isfinite(quality)):
        raise ValueError(f"quality must be in [1, 100], got {quality.tolist()}")
    q = quality[:, None, None, None]
    scale = torch.where(q < 50, surrogate_floor(5000.0 / q, rounding), 200.0 - 2.0 * q)
    base = torch.stack(_BASE).to(quality.device, quality.dtype)[None]
    raw = surrogate_floor((base * scale + 50.0) / 100.0, rounding)
    # clip after the floor (kornia clips before, which collapses entries near quality 100); the clip
    # is straight-through so that quality still gets a gradient at 1 and 100, where every entry clips
    return raw + (raw.clamp(1.0, 255.0) - raw).detach()


def _check_image(image: torch.Tensor) -> torch.Tensor:
    if not isinstance(image, torch.Tensor) or not image.is_floating_point():
        raise TypeError("image must be a float tensor (B, 3, H, W) in [0, 1]")
    if image.ndim != 4 or image.shape[1] != 3:
        raise ValueError(f"image must have shape (B, 3, H, W), got {tuple(image.shape)}")
    if image.shape[2] < 1 or image.shape[3] < 1:
        raise ValueError(f"image must be at least 1x1, got {tuple(image.shape[2:])}")
    return image


def _blocks(plane: torch.Tensor, hb: int, wb: int) -> torch.Tensor:
    """``(B, hb*8, wb*8)`` to ``(B, hb, wb, 64)``, each block flattened row by row."""
    b = plane.shape[0]
    return plane.reshape(b, hb, 8, wb, 8).transpose(2, 3).reshape(b, hb, wb, 64)


def _unblocks(blocks: torch.Tensor) -> torch.Tensor:
    b, hb, wb = blocks.shape[:3]
    return blocks.reshape(b, hb, wb, 8, 8).transpose(2, 3).reshape(b, hb * 8, wb * 8)


class _ExactValue(torch.autograd.Function):
    """A linear map ``x -> x @ matrix`` whose forward value is supplied (libjpeg's integer result)
    and whose backward pass is the map's adjoint ``g -> g @ matrix.T``: exact mode's two DCTs,
    without computing the float transform forward only to throw its value away."""

    @staticmethod
    def forward(ctx, x, value, matrix):
        ctx.save_for_backward(matrix)
        return value.to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (matrix,) = ctx.saved_tensors
        return grad @ matrix.T, None, None


def _encode(image, subsampling, rounding_fn, floor_fn, exact: bool, rgb_fn=None) -> list[torch.Tensor]:
    """Encoder half: image to the DCT coefficients of each component, ``(B, hb, wb, 64)`` each
    (orthonormal scale: libjpeg's integer DCT output / 8), blocks flattened row by row.

    Every step except the DCT reproduces libjpeg's integer formula exactly in float32 (the
    fixed-point constants are multiples of 2^-16 and all intermediate values stay below 2^8, so no
    bits are lost); the DCT is the orthonormal float transform. With ``exact=True`` (exact mode,
    whose ``rounding_fn`` and ``floor_fn`` have exact forward values) the DCT's forward values come
    from libjpeg's integer transform, so the coefficients equal libjpeg's.
    """
    height, width = image.shape[2:]
    sampling = sampling_factors(subsampling, 3)
    hmax, vmax, geometry = component_geometry(height, width, sampling)
    rgb = rgb_fn(image) if rgb_fn else _clip(rounding_fn(image * 255.0))  # the 8-bit image Pillow would be given
    planes = rgb_to_ycbcr_tensor(rgb, floor_fn).unbind(1)  # libjpeg's formula, surrogate floors
    K = _DCT64.to(image)
    rows = -(-height // vmax) * vmax
    out = []
    for plane, (h, v), (comp_h, comp_w, hb, wb) in zip(planes, sampling, geometry):
        plane = A.extend_edge(plane, rows - height, -2)  # libjpeg pads the last row group
        comp = downsample_libjpeg(plane, hmax // h, vmax // v, wb * 8, floor=floor_fn)
        comp = A.extend_edge(comp, hb * 8 - comp.shape[-2], -2)[:, : hb * 8]
        blocks = _blocks(comp - 128.0, hb, wb)
        if exact:  # comp holds exact integers here: the forward value is libjpeg's integer DCT of them
            dct8 = jdct.fdct_islow_matmul(blocks.detach().reshape(*blocks.shape[:3], 8, 8))
            out.append(_ExactValue.apply(blocks, dct8.reshape(blocks.shape) / 8.0, K.T))
        else:
            out.append(blocks @ K.T)
    return out


def _quantize(coefficients, table, rounding_fn, detach_table: bool):
    """``round(c / Q)``; ``table``: ``(B, 1, 1, 64)``.

    Wherever the forward value is exact (exact mode, or an exact-forward surrogate) the table
    enters the rounding detached: the derivative of ``Q round(c / Q)`` with respect to ``Q`` is
    ``round(c / Q)`` almost everywhere, while differentiating through the surrogate too would
    cancel it for STE wherever ``c / Q`` is an integer (every flat block at quality 100). Smooth
    surrogates keep their true derivative.
    """
    return rounding_fn(coefficients / (table.detach() if detach_table else table))


def _decode(quantized, tables, height, width, subsampling, rounding_fn, floor_fn, exact: bool):
    """Decoder half: quantized coefficients (per component ``(B, hb, wb, 64)``) to RGB in [0, 1]."""
    sampling = sampling_factors(subsampling, 3)
    hmax, vmax, geometry = component_geometry(height, width, sampling)
    K = _DCT64.to(quantized[0])
    planes = []
    for c, (q, (h, v), (comp_h, comp_w, hb, wb)) in enumerate(zip(quantized, sampling, geometry)):
        table = tables[:, min(c, 1)].reshape(-1, 1, 1, 64)
        if exact:  # libjpeg's integer IDCT (exact q and table integers), with the float one's gradient
            value = jdct.idct_islow_matmul(q.detach().reshape(*q.shape[:3], 8, 8),
                                           torch.round(table.detach()).reshape(-1, 1, 1, 8, 8))
            samples = _ExactValue.apply(q * table, value.reshape(q.shape), K)
        else:
            samples = rounding_fn((q * table) @ K + 128.0)  # IDCT output: integers...
        samples = _unblocks(samples)
        samples = _clip(samples)  # ...clipped to 0-255
        samples = samples[:, :comp_h, :comp_w]
        planes.append(upsample_libjpeg(samples, hmax // h, vmax // v, height, width, floor=floor_fn))  # fancy upsampling
    out = ycbcr_to_rgb_tensor(*planes, floor=floor_fn)
    out = _clip(out)  # the decoder clips; gradient passes (saturated images)
    return out.div_(255.0) if not torch.is_grad_enabled() else out / 255.0


def _pipeline(image, tables, subsampling, rounding_fn, floor_fn, exact: bool = False, detach_table=True,
              return_coefficients: bool = False, masks=None):
    """libjpeg's pipeline in float arithmetic, each rounding and floor replaced by a surrogate;
    ``masks`` (one per component, broadcasting against ``(B, hb, wb, 64)``) multiply the DCT
    coefficients before quantization."""
    coefficients = _encode(image, subsampling, rounding_fn, floor_fn, exact)
    if masks is not None:
        coefficients = [c * m for c, m in zip(coefficients, masks)]
    quantized = []
    for c, coefficient in enumerate(coefficients):
        q = _quantize(coefficient, tables[:, min(c, 1)].reshape(-1, 1, 1, 64), rounding_fn, detach_table)
        if exact:
            q = _ste(q, round_half_away(coefficient.detach() / tables[:, min(c, 1)].reshape(-1, 1, 1, 64).detach()))
        quantized.append(q)
    decoded = _decode(quantized, tables, image.shape[2], image.shape[3], subsampling, rounding_fn, floor_fn, exact)
    return (decoded, coefficients) if return_coefficients else decoded


def _rgb_values(image: torch.Tensor) -> torch.Tensor:
    """The 8-bit image Pillow would be given, without autograd: ``round_half_away(255 x)`` clipped to
    [0, 255], as ``floor(clip(255 x + 1/2, 1/2, 255 + 1/2))`` in place (the same integers)."""
    return (image * 255.0).add_(0.5).clamp_(0.5, 255.5).floor_()


class _ExactSTE(torch.autograd.Function):
    """Exact mode with straight-through rounding as one operation: ``(image, tables) -> (decoded, Y, Cb, Cr)``.

    The forward pass computes libjpeg's values with nothing recorded for autograd (its floors in
    place, on temporaries); the backward pass is the adjoint of the linear map that straight-through
    rounding differentiates (:mod:`jpegtutor.diff.adjoints`), the same gradient as the generic
    pipeline's in a fraction of its operations. As the DCT is orthonormal and the division and
    multiplication by ``Q`` cancel, a component whose samples are not resampled passes the image's
    gradient through unchanged: only the colour matrices act on it, and the DCT pair is applied only
    where the tables or the coefficients need a gradient. Components with the same sampling (Cb and
    Cr) go through their adjoints together.
    """

    @staticmethod
    def forward(ctx, image, tables, subsampling):
        height, width = image.shape[2:]
        coefficients = _encode(image, subsampling, round_half_away, torch.floor_, exact=True, rgb_fn=_rgb_values)
        quantized = [round_half_away(c / tables[:, min(i, 1)].reshape(-1, 1, 1, 64)) for i, c in enumerate(coefficients)]
        decoded = _decode(quantized, tables, height, width, subsampling, round_half_away, torch.floor_, exact=True)
        ctx.subsampling, ctx.size = subsampling, (height, width)
        ctx.save_for_backward(tables, *(quantized if ctx.needs_input_grad[1] else ()))
        ctx.set_materialize_grads(False)
        return (decoded, *coefficients)

    @staticmethod
    def backward(ctx, g_out, *g_coefficients):
        from . import adjoints

        tables, *quantized = ctx.saved_tensors
        height, width = ctx.size
        sampling = sampling_factors(ctx.subsampling, 3)
        hmax, vmax, geometry = component_geometry(height, width, sampling)
        want_tables = ctx.needs_input_grad[1]
        g_tables = torch.zeros_like(tables) if want_tables else None
        # gradients below are kept 255 times their value at the 8-bit samples, so that the decoder's
        # 1/255 and the encoder's 255 cancel: the coefficients' gradients are scaled up, the tables' down
        decoder, encoder = adjoints.color_adjoints(tables.dtype, tables.device)
        batch = tables.shape[0]
        flat = g_out.reshape(batch, 3, -1) if g_out is not None else None
        K = _DCT64.to(tables)
        total = None
        passing = [c for c, (h, v) in enumerate(sampling) if flat is not None and (h, v) == (hmax, vmax)
                   and not want_tables and g_coefficients[c] is None]  # gradient passes unchanged
        if passing:
            total = (encoder[:, passing] @ decoder[passing]) @ flat
        groups: dict = {}
        for c in range(3):
            if c not in passing and (flat is not None or g_coefficients[c] is not None):
                groups.setdefault(sampling[c], []).append(c)
        for (h, v), comps in groups.items():
            comp_h, comp_w, hb, wb = geometry[comps[0]]
            fh, fv, k = hmax // h, vmax // v, len(comps)
            g_samples = None  # (B, k, hb, wb, 64): gradient at the inverse DCT's output
            if flat is not None:
                g = (decoder[comps] @ flat).view(batch, k, height, width)
                g = adjoints.upsample_adjoint(g, fh, fv, comp_h, comp_w)
                g = adjoints.fit_adjoint(adjoints.fit_adjoint(g, hb * 8, -2), wb * 8, -1)
                g_samples = _blocks(g.reshape(batch * k, hb * 8, wb * 8), hb, wb).view(batch, k, hb, wb, 64)
            blocks = []
            for j, c in enumerate(comps):
                extra = g_coefficients[c] * 255.0 if g_coefficients[c] is not None else None
                if g_samples is not None and not want_tables and extra is None:
                    blocks.append(g_samples[:, j])  # DCT then inverse DCT: the identity
                    continue
                g_coefficient = extra
                if g_samples is not None:
                    g_dequantized = g_samples[:, j] @ K.T  # adjoint of the inverse DCT
                    if want_tables:
                        g_tables[:, min(c, 1)] += (g_dequantized * quantized[c]).sum((1, 2)).reshape(-1, 8, 8) / 255.0
                    g_coefficient = g_dequantized if extra is None else g_dequantized + extra  # through * Q, round(c / Q)
                blocks.append(g_coefficient @ K)  # adjoint of the forward DCT
            g = _unblocks(torch.stack(blocks, 1).reshape(batch * k, hb, wb, 64)).view(batch, k, hb * 8, wb * 8)
            g = adjoints.fit_adjoint(g, -(-height // vmax) * vmax // fv, -2)  # rows replicated to whole blocks
            g = adjoints.downsample_adjoint(g, fh, fv)
            g = adjoints.fit_adjoint(adjoints.fit_adjoint(g, width, -1), height, -2)  # edges replicated to whole boxes
            g = g.reshape(batch, k, -1)
            if total is None:
                total = g.new_zeros(batch, 3, g.shape[-1])
            for j, c in enumerate(comps):  # k broadcast multiply-adds: faster than a k-deep matrix product
                total.addcmul_(encoder[:, c].view(1, 3, 1), g[:, j:j + 1])
        g_image = total.view(batch, 3, height, width) if total is not None else None
        return g_image, g_tables, None


_REFERENCE = contextvars.ContextVar("jpegtutor_reference_path", default=False)


@contextlib.contextmanager
def reference_path(enabled: bool = True):
    """Within this block the simulator (and the losses built on it) take the reference path: every
    operation recorded by autograd, no fused exact mode. The values are the same (tested); the
    reference is what the fast path is checked and timed against."""
    token = _REFERENCE.set(enabled)
    try:
        yield
    finally:
        _REFERENCE.reset(token)


def using_reference_path() -> bool:
    """Whether :func:`reference_path` is in force."""
    return _REFERENCE.get()


def simulate(image: torch.Tensor, quality=None, tables=None, subsampling: str = "4:2:0",
             rounding: str = "ste", mode: str = "exact", return_coefficients: bool = False, masks=None,
             **rounding_options):
    """JPEG-compress and decompress ``image`` differentiably.

    ``image``: ``(B, 3, H, W)`` float in [0, 1], any H, W. ``quality``: number or float tensor
    ``(B,)`` in [1, 100]; or ``tables``: ``(B, 2, 8, 8)`` (luma, chroma) float tensor, entries in
    [1, 255]. ``rounding``: a surrogate name from :mod:`jpegtutor.diff.rounding`. ``mode``:
    ``"exact"`` (forward = libjpeg) or ``"smooth"``. Returns ``(B, 3, H, W)`` in [0, 1], float32
    (float64 for a float64 image; the simulator runs outside autocast, as its exactness needs
    float32); with ``return_coefficients=True`` also the DCT coefficients of the encoder
    (``[Y, Cb, Cr]``, as :func:`dct_coefficients` returns them), from the same pass.
    ``masks``: a DCT-domain edit, ``[Y, Cb, Cr]`` factors each broadcasting against that
    component's ``(B, hb, wb, 64)`` coefficients, applied before quantization (Struempler et al.'s
    attention; the returned coefficients are then the masked ones). The caller's tensors are never modified.
    """
    image = _check_image(image)
    if mode not in ("exact", "smooth"):
        raise ValueError(f"mode must be 'exact' or 'smooth', got {mode!r}")
    normalize_subsampling(subsampling)
    if (quality is None) == (tables is None):
        raise ValueError("give exactly one of quality and tables")
    with torch.autocast(image.device.type, enabled=False):
        if image.dtype not in (torch.float32, torch.float64):
            image = image.float()
        image = image.contiguous()
        if tables is None:
            q = torch.as_tensor(quality, dtype=image.dtype, device=image.device)
            q = q.expand(image.shape[0]) if q.ndim == 0 else q
            if q.shape != (image.shape[0],):
                raise ValueError(f"quality must be a number or a (B,) tensor with B = {image.shape[0]}, got {tuple(q.shape)}")
            tables = quality_to_tables(q, "ste")
        else:
            if tables.shape != (image.shape[0], 2, 8, 8):
                raise ValueError(f"tables must have shape (B, 2, 8, 8) = ({image.shape[0]}, 2, 8, 8), got {tuple(tables.shape)}")
            if torch.any(tables < 1) or torch.any(tables > 255):
                raise ValueError("table entries must be in [1, 255]")
            tables = tables.to(image.dtype)
        if masks is not None and len(masks) != 3:
            raise ValueError(f"masks must be a list of 3 tensors (Y, Cb, Cr), got {len(masks)}")
        if mode == "exact" and rounding == "ste" and not rounding_options and not using_reference_path() and masks is None:
            decoded, *coefficients = _ExactSTE.apply(image, tables, subsampling)
            return (decoded, coefficients) if return_coefficients else decoded
        rounding_fn, floor_fn = _surrogates(rounding, mode, rounding_options)
        detach = mode == "exact" or rounding in EXACT_FORWARD  # see _quantize
        return _pipeline(image, tables, subsampling, rounding_fn, floor_fn, exact=mode == "exact", detach_table=detach,
                         return_coefficients=return_coefficients, masks=masks)


def simulate_with_coefficients(image: torch.Tensor, quality, subsampling: str = "4:2:0"):
    """``(simulate(image, quality), dct_coefficients(image))`` in exact mode with straight-through
    rounding: one fused pass on the fast path, the two calls of the reference path inside
    :func:`reference_path`. What a pre-editing loss needs for its distance and rate terms."""
    if using_reference_path():
        return simulate(image, quality, subsampling=subsampling), dct_coefficients(image, subsampling)
    return simulate(image, quality, subsampling=subsampling, return_coefficients=True)


def _surrogates(rounding: str, mode: str, options: dict):
    """The rounding and floor functions of a mode: exact forward values in exact mode."""
    if mode not in ("exact", "smooth"):
        raise ValueError(f"mode must be 'exact' or 'smooth', got {mode!r}")
    rounding_fn = get_rounding(rounding, **options)
    if mode == "exact" and rounding not in EXACT_FORWARD:
        surrogate = rounding_fn

        def rounding_fn(t):  # exact forward value, the surrogate's gradient
            return _ste(surrogate(t), round_half_away(t.detach()))

    if rounding in ("ste", "hard") and not options:
        def floor_fn(t):
            return surrogate_floor(t, rounding)
    elif mode == "exact" or rounding in EXACT_FORWARD:
        def floor_fn(t):  # exact floor forward, the surrogate's gradient backward
            return surrogate_floor(t, rounding_fn)
    else:
        def floor_fn(t):  # the surrogate's own forward value, shifted from rounding to flooring
            return rounding_fn(t - 0.5)
    return rounding_fn, floor_fn


def dct_coefficients(image: torch.Tensor, subsampling: str = "4:2:0", mode: str = "exact", rounding: str = "ste",
                     **rounding_options) -> list[torch.Tensor]:
    """The DCT coefficients JPEG would quantize, differentiably: ``[Y, Cb, Cr]``, each
    ``(B, hb, wb, 64)`` (blocks of that component, frequencies in natural row-major order, index
    ``8 * v + u``), on the orthonormal scale (libjpeg's integer DCT / 8; equal to it in exact mode).
    Rate proxies (:mod:`jpegtutor.rate`) take these with the tables.
    """
    image = _check_image(image)
    normalize_subsampling(subsampling)
    rounding_fn, floor_fn = _surrogates(rounding, mode, rounding_options)
    with torch.autocast(image.device.type, enabled=False):
        image = image.float() if image.dtype not in (torch.float32, torch.float64) else image
        return _encode(image.contiguous(), subsampling, rounding_fn, floor_fn, exact=mode == "exact")


class JPEGSimulator(torch.nn.Module):
    """:func:`simulate` as a module: ``JPEGSimulator(subsampling="4:2:0", mode="exact")(image, quality)``."""

    def __init__(self, subsampling: str = "4:2:0", rounding: str = "ste", mode: str = "exact", **rounding_options):
        super().__init__()
        normalize_subsampling(subsampling)
        self.subsampling, self.rounding, self.mode = subsampling, rounding, mode
        self.rounding_options = rounding_options

    def forward(self, image: torch.Tensor, quality=None, tables=None) -> torch.Tensor:
        return simulate(image, quality, tables, self.subsampling, self.rounding, self.mode, **self.rounding_options)
