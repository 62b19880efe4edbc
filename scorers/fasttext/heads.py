"""fastText's output layers in torch, giving what ``predict(text, k=-1)`` reports.

fastText's ``predict`` does not report a model's probabilities as they are: it keeps
``std_log(p) = log(p + 1e-5)`` (in float32) and hands back ``exp`` of that, so every
reported probability is ``p + 1e-5`` up to float rounding (two softmax labels sum to
1.00002). The heads reproduce that by default, because thresholds people publish
(DCLM's, say) were measured on those numbers; ``raw=True`` gives ``p`` itself.

* **softmax**: ``softmax(W h)``.
* **one-vs-all** (``ova``, and ``ns``, which predicts the same way): each label's
  sigmoid, read from fastText's 512-step lookup table (``Loss::sigmoid``), not the
  exact function: the table is off by up to ~0.008, and predict uses it.
* **hierarchical softmax** (``hs``): the Huffman tree fastText builds from the label
  counts (``HierarchicalSoftmaxLoss::buildTree``); a label's probability is the
  product along its path of ``sigmoid`` (right child) or ``1 - sigmoid`` (left),
  each factor floored as ``p + 1e-5``. predict's tree search stops at a node whose
  running score drops below ``log(1e-5)``: such labels are not reported at all, and
  come out here as 0 (``raw=True``: the exact product, never cut).
"""
from __future__ import annotations

import numpy as np
import torch

_FLOOR = 1e-5                     # fastText's std_log(x) = log(x + 1e-5)
_MAX_SIGMOID, _TABLE_SIZE = 8, 512
# std_log(0.0): hs predict prunes paths whose score falls below it (threshold 0).
_LOG_FLOOR = float(np.float32(np.log(np.float64(_FLOOR))))


def reported(p: torch.Tensor) -> torch.Tensor:
    """What predict prints for probability ``p``: ``exp(float(log(double(p) + 1e-5)))``."""
    return torch.exp(std_log(p))


def std_log(p: torch.Tensor) -> torch.Tensor:
    """fastText's ``std_log``: ``log(x + 1e-5)`` in double, rounded to float32."""
    return torch.log(p.double() + _FLOOR).float()


def sigmoid_table() -> np.ndarray:
    """``Loss::t_sigmoid_``: 513 float32 values of the sigmoid on [-8, 8]."""
    x = (np.arange(_TABLE_SIZE + 1, dtype=np.float32) * np.float32(2 * _MAX_SIGMOID)
         / np.float32(_TABLE_SIZE) - np.float32(_MAX_SIGMOID))
    return (1.0 / (1.0 + np.exp(-x).astype(np.float64))).astype(np.float32)


class SoftmaxHead(torch.nn.Module):
    def forward(self, logits: torch.Tensor, raw: bool = False) -> torch.Tensor:
        p = torch.softmax(logits, dim=1)
        return p if raw else reported(p)


class SigmoidTableHead(torch.nn.Module):
    """One-vs-all: ``Loss::sigmoid`` per label (0 below -8, 1 above 8, else the table)."""

    def __init__(self):
        super().__init__()
        self.register_buffer("table", torch.from_numpy(sigmoid_table()), persistent=False)

    def forward(self, logits: torch.Tensor, raw: bool = False) -> torch.Tensor:
        x = logits.float()
        # float32 steps in fastText's order: (x + 8) * 512 / 8 / 2, truncated.
        idx = ((x + _MAX_SIGMOID) * _TABLE_SIZE / _MAX_SIGMOID / 2).nan_to_num(0.0)
        p = self.table[idx.clamp(0, _TABLE_SIZE).long()]
        p = torch.where(x < -_MAX_SIGMOID, torch.zeros_like(p), p)
        p = torch.where(x > _MAX_SIGMOID, torch.ones_like(p), p)
        return p if raw else reported(p)


def huffman_paths(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Root-to-leaf paths of fastText's hs tree over labels with these counts.

    Returns ``(edges, mask)``, both ``(nlabels, depth)``: ``edges[l, t]`` is the column
    of step ``t`` on label ``l``'s path in ``[1 - sigmoid | sigmoid]`` of the internal
    nodes (left child: internal node index, right: ``nlabels - 1`` + that), ``mask`` which
    steps exist. Internal node ``i`` (``nlabels <= i < 2 nlabels - 1``) uses output row
    ``i - nlabels``; the root is the last node.
    """
    osz = len(counts)
    total = 2 * osz - 1
    count = np.full(total, 1e15)  # unbuilt internal nodes count as "infinite", as in fastText
    count[:osz] = counts
    parent = np.full(total, -1, np.int64)
    right = np.zeros(total, bool)
    leaf, node = osz - 1, osz
    for i in range(osz, total):
        mini = []
        for _ in range(2):
            if leaf >= 0 and count[leaf] < count[node]:
                mini.append(leaf)
                leaf -= 1
            else:
                mini.append(node)
                node += 1
        count[i] = count[mini[0]] + count[mini[1]]
        parent[mini[0]] = parent[mini[1]] = i
        right[mini[1]] = True
    paths = []
    for label in range(osz):
        steps, j = [], label
        while parent[j] != -1:
            internal = parent[j] - osz
            steps.append(internal + (osz - 1 if right[j] else 0))
            j = parent[j]
        paths.append(steps[::-1])
    depth = max((len(p) for p in paths), default=0)
    edges = np.zeros((osz, depth), np.int64)
    mask = np.zeros((osz, depth), bool)
    for label, steps in enumerate(paths):
        edges[label, :len(steps)] = steps
        mask[label, :len(steps)] = True
    return edges, mask


class HierarchicalSoftmaxHead(torch.nn.Module):
    """``HierarchicalSoftmaxLoss::predict`` with ``k = all``, vectorised over the tree."""

    def __init__(self, label_counts: np.ndarray):
        super().__init__()
        edges, mask = huffman_paths(np.asarray(label_counts))
        self.register_buffer("edges", torch.from_numpy(edges), persistent=False)
        self.register_buffer("mask", torch.from_numpy(mask), persistent=False)

    def forward(self, logits: torch.Tensor, raw: bool = False) -> torch.Tensor:
        """``logits``: ``(n, nlabels)`` dot products; the first ``nlabels - 1`` columns are
        the internal nodes' (the last output row is unused by the tree)."""
        n, osz = logits.shape[0], self.edges.shape[0]
        z = logits[:, :osz - 1].float()
        # dfs: f = 1. / (1 + std::exp(-f)) -> float exp, double division, float result.
        f = (1.0 / (1.0 + torch.exp(-z)).double()).float()
        if raw:
            factors = torch.cat([1.0 - f.double(), f.double()], dim=1)
        else:
            factors = torch.cat([std_log((1.0 - f.double()).float()), std_log(f)], dim=1)
        score = torch.zeros(n, osz, dtype=factors.dtype, device=logits.device)
        if raw:
            score += 1.0
        alive = torch.ones(n, osz, dtype=torch.bool, device=logits.device)
        for t in range(self.edges.shape[1]):  # root to leaf: float32 sums in dfs order
            step = factors[:, self.edges[:, t]]
            on = self.mask[:, t].unsqueeze(0)
            if raw:
                score = torch.where(on, score * step, score)
            else:
                score = torch.where(on, score + step, score)
                alive &= score >= _LOG_FLOOR
        if raw:
            return score.float()
        return torch.where(alive, torch.exp(score), torch.zeros_like(score))
