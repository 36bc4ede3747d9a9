"""Force-directed layout fast enough for the HTML view of large graphs.

networkx's ``spring_layout`` computes every pairwise repulsion, which takes
about 23 s for 5,000 nodes on a 2-core machine. This is Fruchterman and
Reingold's algorithm with repulsion split in two: from far nodes through the
centres of mass of a coarse grid (a one-level Barnes-Hut), and exact between
nodes closer than the ideal edge length (found with a k-d tree). It is deterministic for a given seed.
"""

from __future__ import annotations

import math
from collections.abc import Hashable

import networkx as nx
import numpy as np

__all__ = ["force_layout"]

#: Strength of the pull towards the centre, relative to the graph's expected size.
GRAVITY = 4.0

#: Below this many nodes the exact networkx layout is fast enough and a little nicer.
EXACT_LIMIT = 400


def force_layout(g: nx.Graph, *, seed: int = 7, iterations: int = 60) -> dict[Hashable, tuple[float, float]]:
    """Positions in roughly ``[-1, 1]``; exact spring layout for small graphs, grid variant above."""
    n = g.number_of_nodes()
    if n == 0:
        return {}
    if n <= EXACT_LIMIT:
        pos = nx.spring_layout(g, seed=seed, iterations=50)
        return {k: (float(x), float(y)) for k, (x, y) in pos.items()}
    from scipy.spatial import cKDTree

    nodes = sorted(g.nodes, key=str)
    index = {node: i for i, node in enumerate(nodes)}
    edges = np.array([(index[u], index[v]) for u, v in g.edges if u != v], dtype=np.int64).reshape(-1, 2)
    rng = np.random.default_rng(seed)
    k = 1.0
    side = math.sqrt(n) * k
    pos = rng.uniform(-side / 2, side / 2, size=(n, 2))
    temperature = side / 8
    cooling = temperature / (iterations + 1)
    cells = 24
    for _ in range(iterations):
        disp = np.zeros_like(pos)
        # Far repulsion: from the centres of mass of a coarse grid (Barnes-Hut with one level).
        lo, hi = pos.min(axis=0), pos.max(axis=0)
        span = np.maximum(hi - lo, 1e-9)
        cell = np.minimum(((pos - lo) / span * cells).astype(np.int64), cells - 1)
        flat = cell[:, 0] * cells + cell[:, 1]
        mass = np.bincount(flat, minlength=cells * cells).astype(float)
        cx = np.bincount(flat, weights=pos[:, 0], minlength=cells * cells)
        cy = np.bincount(flat, weights=pos[:, 1], minlength=cells * cells)
        full = mass > 0
        centres = np.stack([cx[full] / mass[full], cy[full] / mass[full]], axis=1)
        weights = mass[full]
        for start in range(0, n, 2048):
            chunk = pos[start : start + 2048]
            delta = chunk[:, None, :] - centres[None, :, :]
            dist2 = np.maximum((delta**2).sum(axis=2), k * k)
            disp[start : start + 2048] += (delta * (weights * k * k / dist2)[:, :, None]).sum(axis=1)
        # Near repulsion: exact, between nodes closer than the ideal edge length.
        pairs = cKDTree(pos).query_pairs(r=k, output_type="ndarray")
        if len(pairs):
            delta = pos[pairs[:, 0]] - pos[pairs[:, 1]]
            dist = np.maximum(np.linalg.norm(delta, axis=1), 1e-3)
            push = (delta / dist[:, None]) * (k * k / dist)[:, None]
            np.add.at(disp, pairs[:, 0], push)
            np.add.at(disp, pairs[:, 1], -push)
        if len(edges):
            delta = pos[edges[:, 0]] - pos[edges[:, 1]]
            dist = np.maximum(np.linalg.norm(delta, axis=1), 1e-3)
            pull = (delta / dist[:, None]) * (dist * dist / k)[:, None]
            np.add.at(disp, edges[:, 0], -pull)
            np.add.at(disp, edges[:, 1], pull)
        # Gravity towards the centre keeps small disconnected pieces from drifting out of view.
        centre = pos - pos.mean(axis=0)
        disp -= centre * (np.linalg.norm(centre, axis=1) / side)[:, None] * GRAVITY
        length = np.maximum(np.linalg.norm(disp, axis=1), 1e-9)
        pos += disp / length[:, None] * np.minimum(length, temperature)[:, None]
        temperature = max(temperature - cooling, k * 0.01)
    pos -= pos.mean(axis=0)
    scale = float(np.abs(pos).max()) or 1.0
    return {node: (float(pos[i, 0] / scale), float(pos[i, 1] / scale)) for i, node in enumerate(nodes)}
