"""RD curves of evaluation results."""

from __future__ import annotations

from .harness import METRICS

__all__ = ["plot_rd"]


def plot_rd(results: list[dict], metric: str = "psnr_db", ax=None, per_image: bool = False, **style):
    """RD curves (bpp against ``metric``) of one or more results on a matplotlib axis."""
    import matplotlib.pyplot as plt

    if metric not in METRICS:
        raise ValueError(f"metric must be one of {sorted(METRICS)}, got {metric!r}")
    ax = ax or plt.gca()
    for result in results:
        label = f"{result['method']} ({result['subsampling']})"
        if per_image:
            for image in result["images"]:
                ax.plot([p["bpp"] for p in image["points"]], [p[metric] for p in image["points"]], color="0.8", lw=0.6)
        ax.plot([p["bpp"] for p in result["points"]], [p[metric] for p in result["points"]], marker="o", ms=3,
                label=label, **style)
    unit = METRICS[metric][0]
    ax.set(xlabel="bits per pixel", ylabel=metric + (f" ({unit})" if unit else ""))
    ax.legend(fontsize=8)
    return ax
