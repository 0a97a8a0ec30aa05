"""The result page's plot: inline SVG drawn with matplotlib (no pyplot state, no CDN, safe to call from threads)."""

from __future__ import annotations

import io
import re

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

_PROLOG = re.compile(r"^.*?(?=<svg)", re.S)


def result_svg(groups_csv: bytes, composition_csv: bytes, *, attribute: str | None = None) -> str:
    """Two panels for one attribute: share of applicants housed per group, and the spread of each group's
    share of a block's homes after allocation, with the block cap marked. Blank (suppressed) figures are left
    out and labelled "suppressed"."""
    groups = pd.read_csv(io.BytesIO(groups_csv), dtype={"value": str})
    comp = pd.read_csv(io.BytesIO(composition_csv), dtype={"value": str, "unit_id": str})
    attrs = list(dict.fromkeys(groups["attribute"].astype(str))) if len(groups) else []
    attr = attribute if attribute in attrs else (attrs[0] if attrs else None)
    fig = Figure(figsize=(10, 3.8), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    if attr is None:
        ax1.text(0.5, 0.5, "no household attributes", ha="center", va="center")
        ax2.set_axis_off()
    else:
        g = groups[groups["attribute"].astype(str) == attr]
        labels = g["value"].astype(str).tolist()
        share = g["share_housed"].to_numpy(float)
        bars = ax1.bar(range(len(labels)), np.nan_to_num(share) * 100, color="#3b6ea5")
        ax1.bar_label(bars, labels=[f"{s:.0%}" if s == s else "suppressed" for s in share], padding=2, fontsize=8)
        ax1.set_xticks(range(len(labels)), labels, rotation=20 if len(labels) > 4 else 0, fontsize=8)
        ax1.set_ylabel("% of applicants housed")
        ax1.set_title(f"Housed, by {attr}", fontsize=10)
        known = share[~np.isnan(share)]
        ax1.set_ylim(0, max(100.0, float(known.max() * 100) + 10) if len(known) else 100)
        c = comp[(comp["attribute"].astype(str) == attr) & (comp["level"] == "block")]
        data = [c[c["value"].astype(str) == v]["share"].dropna().to_numpy(float) * 100 for v in labels]
        if any(len(d) for d in data):
            ax2.boxplot([d if len(d) else np.array([np.nan]) for d in data], positions=range(len(labels)),
                        widths=0.5, showfliers=True, flierprops={"markersize": 2})
            for i, v in enumerate(labels):
                cap = c[c["value"].astype(str) == v]["cap"].dropna()
                if len(cap):
                    ax2.hlines(float(cap.iloc[0]) * 100, i - 0.35, i + 0.35, colors="#c0392b", linewidth=2,
                               label="block cap" if i == 0 or "block cap" not in
                               [h.get_label() for h in ax2.collections] else None)
            ax2.set_xticks(range(len(labels)), labels, rotation=20 if len(labels) > 4 else 0, fontsize=8)
            if any(h.get_label() == "block cap" for h in ax2.collections):
                ax2.legend(loc="upper right", fontsize=8)
        ax2.set_ylabel("% of a block's homes")
        ax2.set_title(f"Block composition after allocation, by {attr}", fontsize=10)
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "commonground"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = _PROLOG.sub("", buf.getvalue(), count=1)
    return svg.replace("<svg ", '<svg role="img" aria-label="result plot" ', 1)
