"""What the CPU computes natively, which decides the dtype models run and train in."""

from __future__ import annotations

from pathlib import Path


def cpu_computes_bf16() -> bool:
    """AVX-512-BF16 or AMX: bfloat16 matrix products in hardware (Linux /proc/cpuinfo; else no)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags
