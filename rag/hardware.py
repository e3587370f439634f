"""What the CPU computes natively, which decides the dtype models run and train in, and the reader runtime.

Measured with the shipped reader (bench/README.md, "Reader runtime per CPU"; 2 threads, 2 windows of 192
tokens, F1 on 300 SQuAD v1.1 dev questions of held-out articles):

| CPU | torch fp32 | torch bf16 | OpenVINO int8 | default |
|---|---|---|---|---|
| AMD EPYC Zen 3 (AVX2 only) | not yet timed (machine too busy) | emulated in software | same spans as fp32 (test) | openvino-int8, else torch-fp32 |
| AMD EPYC Zen 4 (AVX-512 BF16 + VNNI) | 422 ms | 200-216 ms | 96-101 ms | openvino-int8, else torch-bf16 |

OpenVINO's int8 kernels use what the CPU has (AVX2 `vpmaddubsw`, AVX-512 VNNI, AMX), so int8 is the
default wherever `openvino` is installed and the int8 model is built; F1 stays within a point of
float32 on every CPU measured. Without it, bfloat16 where the CPU computes it in hardware, else float32.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


def cpu_computes_bf16() -> bool:
    """AVX-512-BF16 or AMX: bfloat16 matrix products in hardware (Linux /proc/cpuinfo; else no)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


def native_dtype(device: str) -> torch.dtype:
    """bfloat16 on a CPU that computes it in hardware (measured ~3x faster than float32 at the
    same SQuAD F1, README "Performance"; without hardware support it is slower), else float32."""
    import torch

    return torch.bfloat16 if device == "cpu" and cpu_computes_bf16() else torch.float32


def cpu_model_name() -> str:
    """The CPU's name as /proc/cpuinfo gives it, for training and timing reports ("unknown" elsewhere)."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return "unknown"
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "unknown")


def default_reader_runtime(device: str, int8_ready: bool) -> str:
    """The fastest reader runtime that keeps the answers on this machine (the table above):
    `int8_ready` says openvino is installed and the int8 model is built for this reader."""
    if device == "cpu" and int8_ready:
        return "openvino-int8"
    return "torch-bf16" if device == "cpu" and cpu_computes_bf16() else "torch-fp32"
