"""RD curves of evaluation results."""

from __future__ import annotations

from .harness import METRICS

__all__ = ["METRIC_NAMES", "plot_rd"]

# how each metric is named on an axis
METRIC_NAMES = {"psnr_db": "PSNR (dB, RGB)", "psnr_y_db": "PSNR of luma (dB)", "ssim": "SSIM", "ms_ssim": "MS-SSIM",
                "lpips_alex": "LPIPS (AlexNet; lower is better)"}


def plot_rd(results: list[dict], metric: str = "psnr_db", ax=None, per_image: bool = False, **style):
    """RD curves (bpp against ``metric``) of one or more results on a matplotlib axis, labelled with the
    metric's name (:data:`METRIC_NAMES`); ``per_image`` adds each image's curve in light grey."""
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
    ax.set(xlabel="bits per pixel (file size)", ylabel=METRIC_NAMES[metric])
    ax.legend(fontsize=8)
    return ax
