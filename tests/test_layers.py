"""The core knows nothing of HTTP, and building an index knows nothing of answering: read
from the modules' own import statements, no model."""

from __future__ import annotations

import ast

import pytest

from service.config import ROOT

SERVICE = ROOT / "service"
#: The HTTP layer: the only modules that may import a web framework or server.
HTTP = {"api", "app", "admin", "http_errors", "pages", "telemetry", "schemas", "__main__"}
WEB = ("fastapi", "starlette", "uvicorn")
#: Reading, chunking and indexing texts.
INGEST = {"loaders", "corpus", "chunking", "embed_cache", "indexer"}
#: Ranking and answering questions.
RETRIEVAL = {"search", "ranking", "answering", "answer_model", "answer_types", "reranking"}


def imports(module: str) -> set[str]:
    tree = ast.parse((SERVICE / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


MODULES = sorted(p.stem for p in SERVICE.glob("*.py"))


@pytest.mark.parametrize("module", [m for m in MODULES if m not in HTTP])
def test_the_core_never_imports_a_web_framework(module: str) -> None:
    web = {name for name in imports(module) if name.split(".")[0] in WEB}
    assert web == set(), f"service/{module}.py imports {web}: move that code into the HTTP layer"


@pytest.mark.parametrize("module", sorted(INGEST))
def test_building_an_index_never_imports_answering(module: str) -> None:
    answering = {name for name in imports(module) if name.removeprefix("service.") in RETRIEVAL}
    assert answering == set(), f"service/{module}.py imports {answering}"


#: Shared by the layers: settings, errors, the on-disk index, the models, runtime and reload,
#: and tooling for scripts and tests.
SHARED = {
    "__init__", "config", "errors", "store", "vector_index", "embedding", "onnx_embedding",
    "lexical", "runtime", "reload", "evaluation", "squad", "localserver",
}  # fmt: skip


def test_every_module_is_in_a_layer_or_shared() -> None:
    assert set(MODULES) - (HTTP | INGEST | RETRIEVAL | SHARED) == set()
