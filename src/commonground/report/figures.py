"""Matplotlib figures rendered to inline SVG: no pyplot (no global figure state, safe in a web server thread).

Text stays text (``svg.fonttype = none``) so a reader can search and copy numbers, the SVG carries no date
(reports are reproducible byte for byte), and every ``id`` is prefixed by a hash of its figure so several SVGs
can share one HTML page without their clip paths and markers colliding.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
from html import escape

import matplotlib
import numpy as np
from markupsafe import Markup
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

#: Categorical colours (Okabe-Ito, colour-blind safe, then tab10 for more groups).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
           *(to_hex(matplotlib.colormaps["tab10"](i)) for i in range(10)))
_RC_LOCK = threading.Lock()
_REF = re.compile(r'(\bid="|url\(#|href="#)([^")]+)')


def new_figure(width: float, height: float) -> Figure:
    """A figure of ``width`` x ``height`` inches with the report's look."""
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig


def style_axes(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=8)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def colours(names: list[str]) -> dict[str, str]:
    """A stable colour per name (in the given order)."""
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}


def to_svg(fig: Figure, *, alt: str) -> str:
    """The figure as an inline ``<svg>`` element (responsive width, ids made unique, ``alt`` as its title)."""
    buf = io.StringIO()
    # rc_context swaps global settings: one figure at a time, so threads (the web app) cannot interleave
    # their save/restore and leave the process with our settings.
    with _RC_LOCK, matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "commonground"}):
        FigureCanvasSVG(fig).print_svg(buf, metadata={"Date": None, "Creator": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    prefix = "f" + hashlib.sha1(svg.encode()).hexdigest()[:8] + "-"
    svg = _REF.sub(lambda m: m.group(1) + prefix + m.group(2), svg)
    width = re.search(r'<svg[^>]*\bwidth="([\d.]+)pt"', svg)
    max_w = f"max-width:{float(width.group(1)) * 4 / 3:.0f}px;" if width else ""
    svg = re.sub(r'(<svg[^>]*?)\s(width|height)="[^"]*"', r"\1", svg, count=1)
    svg = re.sub(r'(<svg[^>]*?)\s(width|height)="[^"]*"', r"\1", svg, count=1)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{_attr(alt)}" style="width:100%;height:auto;{max_w}" ',
                      1)
    return svg.strip()


def _attr(s: str) -> str:
    return s.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def figure_block(fig: Figure, caption: str, *, alt: str = "") -> Markup:
    """A ``<figure>`` holding the SVG and its caption."""
    svg = to_svg(fig, alt=alt or caption)
    return Markup(f"<figure>{svg}<figcaption>{escape(caption)}</figcaption></figure>")


def hbars(ax, y, width, *, height: float = 0.8, left=0.0, color="#0072B2", edgecolor: str | None = None,
          linewidth: float = 0.0) -> PolyCollection:
    """Horizontal bars as one collection (``barh`` makes one patch per bar, which is slow to lay out and draw
    when a report holds hundreds of them). ``color`` may be one colour or one per bar."""
    y = np.asarray(y, dtype=float)
    w = np.nan_to_num(np.asarray(width, dtype=float))
    x0 = np.broadcast_to(np.asarray(left, dtype=float), y.shape)
    h = height / 2
    verts = np.stack([np.column_stack([x0, y - h]), np.column_stack([x0 + w, y - h]),
                      np.column_stack([x0 + w, y + h]), np.column_stack([x0, y + h])], axis=1)
    colors = [color] * len(y) if isinstance(color, str) else list(color)
    coll = PolyCollection(list(verts), facecolors=colors, edgecolors=edgecolor or "none", linewidths=linewidth)
    ax.add_collection(coll)
    if len(y):
        ax.update_datalim(np.concatenate([verts.reshape(-1, 2), [[0.0, y.min()]]]))
        ax.autoscale_view()
    return coll


def label_bars(ax, y, width, labels: list[str], *, left=0.0, fontsize: float = 7) -> None:
    """Write ``labels`` just right of each bar's end."""
    ends = np.nan_to_num(np.asarray(width, dtype=float)) + np.broadcast_to(np.asarray(left, dtype=float),
                                                                          np.shape(width))
    for yi, xi, text in zip(y, ends, labels, strict=True):
        if text:
            ax.annotate(text, (xi, yi), xytext=(2, 0), textcoords="offset points", va="center", fontsize=fontsize)
