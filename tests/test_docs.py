"""The README documents every setting the service reads."""

from __future__ import annotations

import pytest

from service.config import ROOT, ChunkingSettings, Settings

README = (ROOT / "README.md").read_text(encoding="utf-8")
NAMES = [f"HSQA_{name.upper()}" for name in Settings.model_fields if name != "chunking"] + [
    f"HSQA_CHUNK_{name.upper()}" for name in ChunkingSettings.model_fields
]


@pytest.mark.parametrize("variable", NAMES)
def test_every_setting_is_in_the_readme(variable: str) -> None:
    assert f"`{variable}`" in README, f"add {variable} to the settings table in README.md"
