"""docs/configuration.md, written from `Settings` itself: every `RAG_*` variable, its default
and its description, so that the page cannot fall behind the code (a unit test checks it).

    python -m rag.settings_doc          # rewrite docs/configuration.md
    python -m rag.settings_doc --check  # exit 1 if it is not current
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic_core import PydanticUndefined

from rag.settings import REPO_ROOT, Settings

PAGE = REPO_ROOT / "docs" / "configuration.md"

HEADER = """# Configuration

<!-- generated from rag/settings.py by `python -m rag.settings_doc`: edit the descriptions there -->

One typed settings object (`rag/settings.py`, pydantic-settings): every field can be set by an
environment variable `RAG_<FIELD>` or in a `.env` file. The defaults work out of the box.
Lists and maps (`RAG_API_KEYS`, `RAG_SLACK_CHANNEL_COLLECTIONS`) are written as JSON;
`RAG_API_KEYS` also takes `key1,key2`.

| variable | default | what |
|---|---|---|
"""


def _default(value: Any) -> str:
    if value is None or value == [] or value == "" or value is PydanticUndefined:
        return "—"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, (dict, list)):
        return f"`{json.dumps(value)}`"
    return f"`{value}`"


def render() -> str:
    rows = []
    for name, field in Settings.model_fields.items():
        default = field.default_factory() if field.default_factory is not None else field.default  # type: ignore[call-arg]
        what = (field.description or "").replace("|", "\\|").replace("\n", " ")
        rows.append(f"| `RAG_{name.upper()}` | {_default(default)} | {what} |")
    return HEADER + "\n".join(rows) + "\n"


def main(argv: list[str]) -> int:
    page = render()
    if "--check" in argv:
        current = PAGE.read_text(encoding="utf-8") if PAGE.exists() else ""
        if current != page:
            print(f"{PAGE} is not current: run `python -m rag.settings_doc`", file=sys.stderr)
            return 1
        return 0
    Path(PAGE).write_text(page, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
