"""Interactive widgets with a static fallback.

The pattern in every chapter: a cell draws a static figure with a plotting function (this is what
the website and the committed notebook show), and the next cell, tagged ``nbval-ignore-output``,
calls :func:`interact` on the same function so that a reader in JupyterLab or Colab can move the
sliders. Without ipywidgets (or outside a notebook) :func:`interact` draws the function once with
its default arguments and says so.

Headless execution (``jpegtutor book execute``, nbval in the test-suite) sets
``JPEGTUTOR_WIDGETS=0``: no widget is created and nothing is drawn again (the static figure above
already shows the default view). Live widgets there would only add comm traffic, and nbclient
sometimes loses the end of such a cell's output and then waits out the whole cell timeout.
"""

from __future__ import annotations

import os
from typing import Any, Callable

__all__ = ["interact"]


def interact(function: Callable[..., Any], **controls: Any):
    """``ipywidgets.interact`` on ``function`` with ``controls`` (e.g. ``quality=(1, 100, 1)``).

    Falls back to one call with the function's own defaults when ipywidgets is missing (controls
    given as plain values are passed through).
    """
    if os.environ.get("JPEGTUTOR_WIDGETS", "1").strip().lower() in ("0", "false", "off", "no"):
        print("(interactive controls are off: JPEGTUTOR_WIDGETS=0)")
        return None
    try:
        import ipywidgets
        from IPython import get_ipython

        if get_ipython() is None:
            raise ImportError("not running in IPython")
    except ImportError as exc:
        fixed = {k: v for k, v in controls.items() if not isinstance(v, (tuple, list, dict))}
        print(f"(interactive controls unavailable: {exc}; showing the default view)")
        return function(**fixed)
    return ipywidgets.interact(function, **controls)
