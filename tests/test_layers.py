"""The tree reads as the pipeline, and its layers only depend downward: read from the
modules' own import statements, no model.

    service/            settings, errors, the on-disk index (store, manifest, vector index,
                        analysis), runtime and reload: shared by every layer
    service/asked/      what a question asks for, and whether an answer gives it (pure logic)
    service/ingest/     corpus folder → published index
    service/models/     encoders, reranker, answer model
    service/retrieval/  question + index → passages and an answer
    service/http/       the web app: the only code that knows of HTTP
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from service.config import ROOT

SERVICE = ROOT / "service"
PACKAGES = ("asked", "ingest", "models", "retrieval", "http")
WEB = ("fastapi", "starlette")
#: What each package must never import: a layer only uses those below it.
FORBIDDEN = {
    "asked": ("service.ingest", "service.models", "service.retrieval", "service.http"),
    "ingest": ("service.retrieval", "service.http"),
    "models": ("service.ingest", "service.retrieval", "service.http"),
    "retrieval": ("service.ingest", "service.http"),
    "http": ("service.ingest",),
}
#: Top-level modules every layer builds on; they import no layer.
FOUNDATION = (
    "config",
    "errors",
    "records",
    "store",
    "tables",
    "manifest",
    "vector_index",
    "analysis",
    "cues",
    "facts",
)


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


MODULES = sorted(module_name(p) for p in SERVICE.rglob("*.py"))


def imports(module: str) -> set[str]:
    path = ROOT / (module.replace(".", "/") + ".py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def package_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[1] in PACKAGES else None


@pytest.mark.parametrize("module", [m for m in MODULES if package_of(m) != "http"])
def test_nothing_outside_http_imports_a_web_framework(module: str) -> None:
    web = {name for name in imports(module) if name.split(".")[0] in WEB}
    assert web == set(), f"{module} imports {web}: move that code into service/http/"


@pytest.mark.parametrize("module", [m for m in MODULES if package_of(m)])
def test_a_layer_never_imports_a_layer_above_it(module: str) -> None:
    forbidden = FORBIDDEN[package_of(module) or ""]
    wrong = {name for name in imports(module) if name.startswith(forbidden)}
    assert wrong == set(), f"{module} imports {wrong}"


@pytest.mark.parametrize("module", [f"service.{m}" for m in FOUNDATION if (SERVICE / f"{m}.py").exists()])
def test_the_foundation_imports_no_layer(module: str) -> None:
    wrong = {name for name in imports(module) if package_of(name + ".x")}
    assert wrong == set(), f"{module} imports {wrong}: the on-disk format and settings stand alone"


def test_every_top_level_module_is_foundation_or_a_composition_root() -> None:
    top = {m.split(".")[1] for m in MODULES if m.count(".") == 1}
    assert top - {*FOUNDATION, "__init__", "__main__", "runtime", "reload"} == set()


def test_tooling_for_scripts_and_tests_lives_outside_the_product() -> None:
    assert not any(m.split(".")[-1] in {"localserver", "evaluation", "squad"} for m in MODULES)


def test_the_default_paths_need_no_ray() -> None:
    # Ray is an extra (cluster): building, serving and the CLI must import without it.
    code = (
        "import sys; sys.modules['ray'] = None\n"
        "import service.__main__, service.http.app, service.ingest.indexer, service.http.cli\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
