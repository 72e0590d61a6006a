"""Figure style and the image grids the chapters use.

Figures are PNG (SVG output changes on every run and breaks notebook validation). Every function
returns the matplotlib ``Figure``; notebooks end the cell with ``plt.show()``.
"""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["log_ticks", "setup", "show_images"]


def setup(dpi: int = 96) -> None:
    """The book's figure style: PNG inline figures, readable fonts, no top/right spines."""
    plt.rcParams.update({
        "figure.dpi": dpi,
        "savefig.dpi": dpi,
        "font.size": 10,
        "axes.titlesize": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "image.interpolation": "nearest",
        "svg.hashsalt": "jpegtutor",
    })
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("png")
    except ImportError:  # outside Jupyter
        pass


def show_images(images: Sequence[np.ndarray], titles: Sequence[str] | None = None, *,
                crop: tuple[int, int, int, int] | None = None, columns: int | None = None,
                width: float = 3.2) -> plt.Figure:
    """Show ``uint8 (H, W, 3)`` images side by side, optionally zoomed to ``crop = (top, left, h, w)``.

    With ``crop``, a second row shows the same window of every image enlarged, pixels as blocks, and
    the window is outlined in the first row.
    """
    if not images:
        raise ValueError("show_images needs at least one image")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"got {len(images)} images but {len(titles)} titles")
    n = len(images)
    columns = columns or n
    rows = (2 if crop else 1) * -(-n // columns)
    h, w = images[0].shape[:2]
    fig, axes = plt.subplots(rows, columns, figsize=(width * columns, width * h / w * rows + 0.4 * rows),
                             squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        top_ax = axes[r * (2 if crop else 1), c]
        top_ax.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=255)
        if titles is not None:
            top_ax.set_title(titles[i])
        if crop:
            t, l, ch, cw = crop
            top_ax.add_patch(plt.Rectangle((l - 0.5, t - 0.5), cw, ch, fill=False, color="yellow", lw=1.2))
            axes[r * 2 + 1, c].imshow(image[t:t + ch, l:l + cw], cmap="gray" if image.ndim == 2 else None,
                                      vmin=0, vmax=255)
    fig.tight_layout()
    return fig


def log_ticks(ax, ticks: Sequence[float], axis: str = "x") -> None:
    """Put a log axis on plain-number ticks (``0.1, 0.5, 1, 2``) instead of matplotlib's
    ``2 x 10^-1`` labels, which overlap on short axes."""
    import matplotlib.ticker as mticker

    target = ax.xaxis if axis == "x" else ax.yaxis
    (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
    target.set_major_locator(mticker.FixedLocator(ticks))
    target.set_major_formatter(mticker.FixedFormatter([f"{t:g}" for t in ticks]))
    target.set_minor_formatter(mticker.NullFormatter())
