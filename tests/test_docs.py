"""The README documents every setting the service reads and every route it serves."""

from __future__ import annotations

import pytest

from service.config import ROOT, ChunkingSettings, Settings
from service.http.app import create_app

README = (ROOT / "README.md").read_text(encoding="utf-8")
NAMES = [f"HSQA_{name.upper()}" for name in Settings.model_fields if name != "chunking"] + [
    f"HSQA_CHUNK_{name.upper()}" for name in ChunkingSettings.model_fields
]


@pytest.mark.parametrize("variable", NAMES)
def test_every_setting_is_in_the_readme(variable: str) -> None:
    assert f"`{variable}`" in README, f"add {variable} to the settings table in README.md"


# The app is built but not started: its routes are known without an index or a model.
ROUTES = sorted(create_app(Settings(index_dir=ROOT / "no-index-needed")).openapi()["paths"])


@pytest.mark.parametrize("route", ROUTES)
def test_every_route_is_in_the_readme(route: str) -> None:
    documented = route.split("{")[0].rstrip("/")
    assert documented in README, f"document {route} in README.md, with an example"


@pytest.mark.parametrize("route", ["/ask", "/search", "/compare", "/quote"])
def test_every_question_route_has_a_curl_example(route: str) -> None:
    assert f"localhost:8000{route}" in README
