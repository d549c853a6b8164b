"""Shared fixtures: the real corpus, the real bundled model, a real FAISS index built once
per session, and the real app over HTTP (TestClient)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.config import Settings
from service.http.app import create_app
from service.ingest.indexer import build_index
from service.models.embedding import Embedder
from service.runtime import Runtime
from tests.support import CORPUS, OWN_SET
from tooling.evaluation import in_process, load_questions, run, summarize


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder(Settings().model)


@pytest.fixture(scope="session")
def built_index(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    """The real corpus, indexed once for the whole session."""
    index_dir = tmp_path_factory.mktemp("index")
    build_index(Settings(corpus_dir=CORPUS, index_dir=index_dir), embedder=embedder, progress=False)
    return index_dir


@pytest.fixture(scope="session")
def settings(built_index: Path) -> Settings:
    return Settings(corpus_dir=CORPUS, index_dir=built_index)


@pytest.fixture(scope="session")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture()
def corpus_copy(tmp_path: Path) -> Path:
    """A private, writable copy of the corpus for tests that add or break files."""
    dest = tmp_path / "corpus"
    shutil.copytree(CORPUS, dest)
    return dest


@pytest.fixture()
def index_dir(tmp_path: Path, built_index: Path) -> Path:
    """A fresh index folder whose embedding cache already holds the real corpus, so a build
    there embeds only what a test adds or changes."""
    dest = tmp_path / "index"
    shutil.copytree(built_index / "cache", dest / "cache")
    return dest


@pytest.fixture(scope="session")
def own_set_figures(settings: Settings) -> dict[str, float]:
    """The served pipeline (hybrid) on the project's own set, ``eval/questions.jsonl``: asked
    once per session, read by the quality floors and by what the int8 option is held to."""
    searcher = Runtime.start(settings).require_searcher()
    return summarize(run(load_questions(OWN_SET), in_process(searcher, "hybrid")))
