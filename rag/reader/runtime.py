"""What runs the reader's network: one interface, so the rest of the code never knows which.

The span model is the same everywhere (tokenise, windows, logits -> spans in `model.py`); what differs
per CPU is what computes the logits fastest without losing answers:

- `torch` in float32, or bfloat16 where the CPU computes it in hardware (AVX-512-BF16, AMX);
- `openvino-int8`: the reader quantised after training by NNCF (transformer preset, SmoothQuant) and run
  by OpenVINO, built once from the shipped weights by `rag build-reader-int8` into a git-ignored cache
  (`int8.py`). Torch's own dynamic int8 is not offered: it quantises the GELU outputs of the FFN
  projections with one scale per tensor and cost the shipped reader a third of its F1.

`rag/hardware.py` picks the default per CPU; bench/README.md has the figures behind it.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
import torch

from index.errors import RagError
from rag.reader.weights import load_qa_model

RuntimeName = Literal["torch-fp32", "torch-bf16", "openvino-int8"]
RUNTIMES: tuple[str, ...] = ("torch-fp32", "torch-bf16", "openvino-int8")


class ReaderRuntime(Protocol):
    """Start and end logits (float32, (windows, tokens)) for a batch of tokenised windows."""

    name: str

    def logits(self, inputs: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]: ...


class TorchRuntime:
    """The span model in torch, in float32 or bfloat16 (logits cast back to float32 for decoding)."""

    def __init__(
        self, model_dir: Path, dtype: torch.dtype = torch.float32, device: str = "cpu", model: torch.nn.Module | None = None
    ) -> None:
        """`model`: span weights already in memory (a training run scoring itself between slices)."""
        model = (model if model is not None else load_qa_model(model_dir)).eval()
        if dtype != torch.float32:
            model = model.to(dtype)
        self.model = model.to(device)
        self.device = device
        self.name = "torch-bf16" if dtype == torch.bfloat16 else "torch-fp32"

    @torch.inference_mode()
    def logits(self, inputs: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.model(**{k: v.to(self.device) for k, v in inputs.items()})
        return out.start_logits.float().cpu(), out.end_logits.float().cpu()


class OpenVINORuntime:
    """A compiled OpenVINO model (an int8 reader built by `int8.py`), one inference request per thread:
    the server reads for several requests at once, and a request is not safe to share."""

    def __init__(self, model_xml: Path, threads: int | None = None) -> None:
        import openvino as ov

        config: dict[str, object] = {"PERFORMANCE_HINT": "LATENCY"}
        if threads:
            # the same threads as torch's retrieval side: more would fight it for the cores
            config["INFERENCE_NUM_THREADS"] = threads
        self.compiled = ov.Core().compile_model(str(model_xml), "CPU", config)
        self.input_names = {p.get_any_name() for p in self.compiled.inputs}
        self._local = threading.local()
        self.name = "openvino-int8"

    def _request(self):
        request = getattr(self._local, "request", None)
        if request is None:
            request = self._local.request = self.compiled.create_infer_request()
        return request

    def logits(self, inputs: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        feed = {k: np.ascontiguousarray(v.numpy()) for k, v in inputs.items() if k in self.input_names}
        result = self._request().infer(feed)
        start, end = (torch.from_numpy(np.array(result[out], dtype=np.float32)) for out in self.compiled.outputs)
        return start, end


def openvino_available() -> bool:
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


class RuntimeUnavailable(RagError, RuntimeError):
    """The runtime asked for cannot run here (package missing, int8 model not built): one line for the user."""


def load_runtime(name: str, model_dir: Path, int8_dir: Path | None, threads: int | None = None, device: str = "cpu") -> ReaderRuntime:
    """The named runtime over the reader in `model_dir` (`int8_dir`: its built OpenVINO int8 model)."""
    if name == "torch-fp32":
        return TorchRuntime(model_dir, torch.float32, device)
    if name == "torch-bf16":
        return TorchRuntime(model_dir, torch.bfloat16, device)
    if name == "openvino-int8":
        if device != "cpu":
            raise RuntimeUnavailable(f"openvino-int8 runs on the CPU, not on {device}")
        if not openvino_available():
            raise RuntimeUnavailable("openvino-int8 needs the openvino package (pip install openvino)")
        if int8_dir is None or not (int8_dir / "reader.xml").exists():
            raise RuntimeUnavailable(f"no int8 reader built for {model_dir}: run `rag build-reader-int8`")
        return OpenVINORuntime(int8_dir / "reader.xml", threads)
    raise ValueError(f"unknown reader runtime {name!r} (one of {', '.join(RUNTIMES)})")
