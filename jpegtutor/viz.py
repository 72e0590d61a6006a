"""Figure style, the image grids and the tables the chapters use.

Figures are PNG (SVG output changes on every run and breaks notebook validation). Every function
returns the matplotlib ``Figure``; notebooks end the cell with ``plt.show()``.
"""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["Table", "log_ticks", "setup", "show_images"]


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


class Table:
    """A table a notebook shows as HTML (it fits the page on the website, where a wide text table
    wraps) and prints as aligned text. ``columns``: the column names; ``groups``: optional
    ``(name, n)`` pairs above them, each spanning ``n`` columns; ``rows``: lists of cells, floats
    shown with ``fmt``, ``None`` as ``n/a``, anything else as ``str``. ``sortable``: on the website a
    click on a column's name sorts the rows by it (``_static/jpegtutor-sort.js``; numbers as numbers,
    ``n/a`` last)."""

    def __init__(self, columns, rows, groups=None, fmt: str = "{:+.1f}", caption: str = "", sortable: bool = False):
        self.columns, self.rows, self.groups = list(columns), [list(r) for r in rows], list(groups or [])
        self.fmt, self.caption, self.sortable = fmt, caption, sortable
        if self.groups and sum(n for _, n in self.groups) != len(self.columns):
            raise ValueError(f"the groups span {sum(n for _, n in self.groups)} columns, the table has {len(self.columns)}")

    def _text(self, cell) -> str:
        if isinstance(cell, float):
            return self.fmt.format(cell)
        return "n/a" if cell is None else str(cell)

    def _repr_html_(self) -> str:
        from html import escape

        head = ""
        if self.groups:
            head += "<tr>" + "".join(f'<th colspan="{n}">{escape(str(g))}</th>' for g, n in self.groups) + "</tr>"
        head += "<tr>" + "".join(f"<th>{escape(str(c))}</th>" for c in self.columns) + "</tr>"
        body = "".join("<tr>" + "".join(self._cell(c) for c in row) + "</tr>" for row in self.rows)
        caption = f"<caption>{escape(self.caption)}</caption>" if self.caption else ""
        kind = "jpegtutor-table jpegtutor-sortable" if self.sortable else "jpegtutor-table"
        return f'<table class="{kind}">{caption}<thead>{head}</thead><tbody>{body}</tbody></table>'

    def _cell(self, cell) -> str:
        from html import escape

        value = f' data-sort="{cell!r}"' if self.sortable and isinstance(cell, (int, float)) and not isinstance(cell, bool) else ""
        return f"<td{value}>{escape(self._text(cell))}</td>"

    def __repr__(self) -> str:
        texts = [[self._text(c) for c in row] for row in self.rows]
        widths = [max([len(str(name))] + [len(r[i]) for r in texts if i < len(r)]) for i, name in enumerate(self.columns)]
        start = 0
        for name, n in self.groups:  # a group name wider than its columns widens the last of them
            need = len(str(name)) - (sum(widths[start:start + n]) + 2 * (n - 1))
            widths[start + n - 1] += max(0, need)
            start += n

        def line(cells):
            return "  ".join(t.ljust(widths[i]) if i == 0 else t.rjust(widths[i]) for i, t in enumerate(cells))

        lines = [self.caption] if self.caption else []
        if self.groups:
            start, cells = 0, []
            for name, n in self.groups:
                cells.append(str(name).center(sum(widths[start:start + n]) + 2 * (n - 1)))
                start += n
            lines.append("  ".join(cells))
        lines += [line([str(c) for c in self.columns])] + [line(r) for r in texts]
        return "\n".join(lines)
