"""Instances of Benabbou et al.'s published HDB experiment, generated as the paper describes.

Source: N. Benabbou, M. Chakraborty, X.-V. Ho, J. Sliwinski, Y. Zick, "Diversity Constraints in Public Housing
Allocation" (AAMAS 2018) / "The Price of Diversity in Assignment Problems" (ACM TEAC), and the data of their
experiment in ``../shared/data/benabbou_hdb/`` (see SOURCES.md there):

* 9 blocks with 128, 162, 156, 249, 108, 94, 104, 190, 159 flats (``numApts.txt``: 1,350 flats) at the
  longitudes/latitudes of ``locations.txt``;
* 1,350 agents split by the HDB shares 0.741 / 0.134 / 0.125, each rounded down: 1,000 Chinese, 180 Malay,
  168 Indian/Others (1,348 households);
* block caps ``floor(units × 0.87 / 0.25 / 0.15)`` (EIP block limits);
* flat-level utilities, normalised to sum 1 per household (so each is about 1/1,350):
  - ``"random"``: each flat's utility uniform on [0, 1), then normalised;
  - ``"location"``: a preferred location uniform in the blocks' bounding box; flat ``j`` of block ``b`` is worth
    ``1 / dist(location, b) + max(0, N(0, 1) × 10)``, then normalised (the paper's "variance" 10 is the factor
    on the standard normal draw).

Everything is drawn from ``numpy.random.default_rng(seed)``, so a seed gives the same instance every time.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd

from commonground.model import Development, FlatUtilities, Households, Problem
from commonground.policy import Cap, CapLimit, Policy

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "benabbou_hdb"
GROUPS = ("Chinese", "Malay", "Indian/Others")
SHARES = (0.741, 0.134, 0.125)          # of the 1,350 agents created (paper's "actual proportions")
QUOTAS = (0.87, 0.25, 0.15)             # EIP block limits
N_CREATED = 1350
MODELS = ("location", "random")


def read_vectors(path: Path) -> list[list[float]]:
    """The data's XML format: one ``<vector>`` per record, each with ``<value>`` children."""
    root = ET.parse(path).getroot()
    return [[float(v.text) for v in vec.findall("value")] for vec in root.findall("vector")]


def blocks(data: Path = DATA) -> tuple[np.ndarray, np.ndarray]:
    """(flats per block, (lng, lat) per block)."""
    n = np.array([int(v[0]) for v in read_vectors(data / "numApts.txt")], dtype=np.int64)
    loc = np.array(read_vectors(data / "locations.txt"), dtype=float)
    return n, loc


def utilities(model: str, group_sizes, n_per_block: np.ndarray, loc: np.ndarray,
              rng: np.random.Generator) -> np.ndarray:
    """H × F dense utilities (flats block by block), each row summing to 1."""
    H, F = int(sum(group_sizes)), int(n_per_block.sum())
    block_of_flat = np.repeat(np.arange(len(n_per_block)), n_per_block)
    if model == "random":
        U = rng.random((H, F))
    elif model == "location":
        lo, hi = loc.min(axis=0), loc.max(axis=0)
        pref = lo + rng.random((H, 2)) * (hi - lo)
        dist = np.sqrt(((pref[:, None, :] - loc[None, :, :]) ** 2).sum(axis=2))      # H × B
        U = (1.0 / dist)[:, block_of_flat] + np.maximum(0.0, rng.standard_normal((H, F)) * 10.0)
    else:
        raise ValueError(f"unknown utility model {model!r} (choose from {MODELS})")
    return U / U.sum(axis=1, keepdims=True)


def instance(model: str, seed: int, *, data: Path = DATA, scale: int = 1) -> tuple[Problem, Policy, np.ndarray]:
    """(problem, EIP block-cap policy, dense H × F utilities) for one seed; ``scale`` copies every block."""
    n, loc = blocks(data)
    if scale > 1:
        n, loc = np.tile(n, scale), np.tile(loc, (scale, 1)) + np.repeat(np.arange(scale), len(loc))[:, None] * 0.01
    sizes = [int(N_CREATED * scale * s) for s in SHARES]
    rng = np.random.default_rng(seed)
    U = utilities(model, sizes, n, loc, rng)
    H, F = U.shape
    block_of_flat = np.repeat(np.arange(len(n)), n)
    flats = pd.DataFrame({"flat_id": [f"f{j}" for j in range(F)], "block_id": [f"B{b}" for b in block_of_flat],
                          "neighbourhood_id": [f"N{b}" for b in block_of_flat]})
    dev = Development.from_frame(flats)
    eth = np.repeat(np.array(GROUPS, dtype=object), sizes)
    hh = Households(ids=np.array([f"h{i}" for i in range(H)], dtype=object), attributes={"ethnicity": eth})
    order = np.lexsort((np.broadcast_to(np.arange(F), (H, F)), -U), axis=1)      # best first, then flat index
    utils = FlatUtilities(indptr=np.arange(H + 1, dtype=np.int64) * F, flat=order.ravel().astype(np.int64),
                          value=np.take_along_axis(U, order, axis=1).ravel())
    policy = Policy("eip-block (Benabbou et al.)", caps=(Cap("ethnicity", "block", tuple(
        CapLimit(g, frozenset({g}), q) for g, q in zip(GROUPS, QUOTAS, strict=True))),), rule="strict")
    return Problem.build(dev, hh, utils), policy, U


def caps_by_block(n_per_block: np.ndarray) -> np.ndarray:
    """B × 3 cap table floor(units × quota), written out from the paper's rule (independent of the policy code)."""
    return np.array([[math.floor(int(u) * q) for q in QUOTAS] for u in n_per_block], dtype=np.int64)
