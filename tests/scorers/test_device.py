"""``auto`` puts each Spark task on the GPU Spark assigned it, not all on cuda:0."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from thresher.scorers import device as dev


def test_addresses_map_to_torch_indices():
    assert dev.cuda_index("2", visible=None, count=4) == 2
    assert dev.cuda_index("5", visible=None, count=4) is None       # torch sees only 4
    assert dev.cuda_index("6", visible="4,6", count=2) == 1          # physical 6 is torch's 1
    assert dev.cuda_index("1", visible="4,6", count=2) is None       # not listed: none torch sees
    assert dev.cuda_index("GPU-ab12", visible="GPU-ab12", count=1) == 0  # UUIDs as well
    assert dev.cuda_index("GPU-ab12", visible=None, count=1) is None


class _Context:
    def __init__(self, addresses):
        self._addresses = addresses

    def resources(self):
        return {"gpu": SimpleNamespace(addresses=self._addresses)} if self._addresses is not None else {}

    def cpus(self):
        return 1


@pytest.fixture
def gpus(monkeypatch):
    """torch sees 4 GPUs (none are touched: a torch.device is only a name)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 4)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)

    def in_task(addresses):
        import pyspark
        monkeypatch.setattr(pyspark.TaskContext, "get", classmethod(lambda cls: _Context(addresses)))
    return in_task


def test_auto_follows_the_task_gpu(gpus):
    gpus(["3"])
    assert dev.resolve_device("auto") == torch.device("cuda", 3)
    gpus(["7"])  # an address torch does not see: its current device
    assert dev.resolve_device("auto") == torch.device("cuda")
    gpus(None)  # no GPU scheduling
    assert dev.resolve_device("auto") == torch.device("cuda")
    assert dev.resolve_device("cuda:1") == torch.device("cuda", 1)  # explicit wins
    assert dev.resolve_device("cpu") == torch.device("cpu")


def test_auto_outside_a_task_and_without_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert dev.resolve_device("auto") == torch.device("cpu")
    assert dev.task_gpu_addresses() == []  # the driver is not in a task


def test_scorers_share_the_resolver():
    from thresher.scorers.dfn import model as dfn_model
    from thresher.scorers.fasttext import model as ft_model
    from thresher.scorers.lm_loss import scorer as lm_scorer
    assert dfn_model.resolve_device is ft_model.resolve_device is lm_scorer.resolve_device is dev.resolve_device
