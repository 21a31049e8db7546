"""Tiny random models on disk, built once per test session and loaded as a user's model is (offline)."""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"  # nothing is downloaded: a test that tried would fail, not fetch
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"  # subprocesses too: two threads on two busy cores are many times slower


def need_models() -> None:
    """Skip the calling test when the ``models`` extra (torch, transformers) is not installed."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")


@functools.cache
def _root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="inspect-tiny-"))
    atexit.register(shutil.rmtree, root, True)
    return root


@functools.cache
def tiny_model(prm: bool = False) -> Path:
    """A two-layer, hidden-size-32 Qwen2 (causal LM, or with ``prm`` a two-class token classifier)."""
    need_models()
    import torch

    from inspector.sampling.backends.tiny import build_tiny_model

    torch.set_num_threads(1)

    return build_tiny_model(_root() / ("prm" if prm else "lm"), prm=prm)
