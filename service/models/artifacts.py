"""Reading a trained artifact's description (a JSON file beside its weights), with one error
that says how to make the artifact when it is missing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from service.errors import ModelUnavailable


def read_meta(folder: Path, meta_file: str, weights_file: str, what: str, fix: str) -> dict[str, Any]:
    """The JSON description in ``folder``, once both files are there; else ModelUnavailable
    naming ``what`` is missing and ``fix``."""
    if not (folder / meta_file).is_file() or not (folder / weights_file).is_file():
        raise ModelUnavailable(f"no {what} in {folder} (needs {weights_file} and {meta_file}); {fix}")
    meta: dict[str, Any] = json.loads((folder / meta_file).read_text(encoding="utf-8"))
    return meta
