"""Which torch device a scorer runs on; ``auto`` follows Spark's GPU scheduling.

With GPU scheduling (``spark.executor.resource.gpu.amount`` and
``spark.task.resource.gpu.amount``), Spark gives each task the addresses of the GPUs
it holds; an executor with four GPUs runs four tasks at once, each on its own. ``auto``
uses the task's GPU, so those tasks do not all land on ``cuda:0``. Addresses are what
the cluster's discovery script reported (nvidia-smi's indices); when
``CUDA_VISIBLE_DEVICES`` narrows what torch sees, an address is looked up in it.
Outside a Spark task, or without GPU scheduling, ``auto`` is torch's current CUDA
device when it sees one, else the CPU. Example::

    resolve_device("auto")      # device(type='cuda', index=2) in a task that holds GPU 2
    resolve_device("cuda:1")    # as given
"""
from __future__ import annotations

import os

import torch


def task_gpu_addresses() -> list[str]:
    """The GPU addresses Spark assigned to the running task (empty outside a task)."""
    try:
        from pyspark import TaskContext
    except ImportError:
        return []
    context = TaskContext.get()
    if context is None:
        return []
    gpu = (context.resources() or {}).get("gpu")
    return list(gpu.addresses) if gpu is not None else []


def cuda_index(address: str, *, visible: str | None, count: int) -> int | None:
    """torch's index of the GPU a Spark address names, or None when it names none that
    torch sees. ``visible``: CUDA_VISIBLE_DEVICES; ``count``: torch's device count."""
    address = address.strip()
    if visible is not None:  # torch numbers only the listed GPUs: an unlisted address is none of them
        listed = [v.strip() for v in visible.split(",") if v.strip()]
        index = listed.index(address) if address in listed else None
        return index if index is not None and index < count else None
    if address.isdigit() and int(address) < count:
        return int(address)
    return None


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``auto``: the task's GPU under Spark GPU scheduling, else the current CUDA device
    when torch sees one, else the CPU; anything else as given (``cpu``, ``cuda:1``)."""
    if str(device) != "auto":
        return torch.device(device)
    if not torch.cuda.is_available():
        return torch.device("cpu")
    count = torch.cuda.device_count()
    for address in task_gpu_addresses():
        index = cuda_index(address, visible=os.environ.get("CUDA_VISIBLE_DEVICES"), count=count)
        if index is not None:
            return torch.device("cuda", index)
    return torch.device("cuda")
