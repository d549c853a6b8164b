"""Beyond one machine: `hsqa-build-index --ray` reads and chunks the files on Ray Data tasks and
embeds on Ray Data actors (a local Ray with two CPUs here) and publishes the same index as the
plain build; only new or changed texts go to the cluster; an address where no cluster listens
fails at once, naming it; a worker that dies mid-build fails the build and publishes nothing."""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import ray
from ray.exceptions import RayActorError

from service.config import Settings
from service.ingest.chunking import chunk_document
from service.ingest.corpus import load_corpus
from service.ingest.indexer import build_index, main
from service.ingest.ray_reading import read_corpus_on_ray
from service.models.onnx_embedding import ONNX_DIR
from service.models.ray_encoder import RayEncoder, _EmbeddingActor
from service.store import CURRENT, load_index
from tests.support import CORPUS


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus built as `hsqa-build-index` builds it (the ONNX export, every core)."""
    index_dir = tmp_path_factory.mktemp("plain")
    build_index(Settings(corpus_dir=CORPUS, index_dir=index_dir), progress=False)
    return index_dir


def ray_build(corpus: Path, index_dir: Path, plain: Path) -> None:
    # The export is the plain build's (a Ray build reads it from the shared index folder).
    if not (index_dir / ONNX_DIR).exists():
        shutil.copytree(plain / ONNX_DIR, index_dir / ONNX_DIR)
    assert main(["--corpus", str(corpus), "--index", str(index_dir), "--ray", "--quiet"]) == 0


def test_a_ray_build_publishes_the_plain_build_s_index(local_ray: None, plain: Path, tmp_path: Path) -> None:
    ray_build(CORPUS, tmp_path / "index", plain)
    a, b = load_index(plain), load_index(tmp_path / "index")
    assert [(c.document_id, c.start, c.end, c.section) for c in a.chunks] == [
        (c.document_id, c.start, c.end, c.section) for c in b.chunks
    ]
    assert [a.chunk_text(i) for i in range(len(a.chunks))] == [b.chunk_text(i) for i in range(len(b.chunks))]
    assert np.array_equal(a.sentences, b.sentences)
    ids = np.arange(len(a.chunks))
    assert np.abs(a.chunk_index.reconstruct_batch(ids) - b.chunk_index.reconstruct_batch(ids)).max() < 1e-5
    assert np.abs(np.asarray(a.sentence_vectors) - np.asarray(b.sentence_vectors)).max() < 1e-5
    timings = {"built_at", "build_seconds", "embed_seconds", "embed_runtime"}
    assert a.manifest.model_dump(exclude=timings) == b.manifest.model_dump(exclude=timings)
    assert b.manifest.embed_runtime == "ray"


def test_ray_tasks_read_and_cut_the_files_and_skip_the_bad_ones_as_the_plain_build_does(
    local_ray: None, corpus_copy: Path
) -> None:
    (corpus_copy / "blank.txt").write_text("  \n\n ", encoding="utf-8")
    # The id of jica-what-is-human-security.txt, and first by name (capitals sort first): that
    # file is the one skipped.
    (corpus_copy / "JICA-What-Is-Human-Security.txt").write_text("A second JICA text.", encoding="utf-8")
    chunking = Settings().chunking
    report, cut = read_corpus_on_ray(corpus_copy, chunking, files_per_task=2)
    plain = load_corpus(corpus_copy)
    assert report.documents == plain.documents and len(plain.documents) == 5
    assert report.skipped == plain.skipped
    assert set(report.skipped) == {"blank.txt", "jica-what-is-human-security.txt"}
    assert cut == [chunk_document(d, chunking) for d in plain.documents]


def test_only_a_new_text_goes_to_the_cluster(
    local_ray: None, plain: Path, corpus_copy: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    ray_build(corpus_copy, index_dir, plain)
    (corpus_copy / "added.txt").write_text("Human security puts people first. " * 20, encoding="utf-8")
    ray_build(corpus_copy, index_dir, plain)
    assert load_index(index_dir).manifest.changes.embedded == ["added"]


def test_an_unreachable_cluster_fails_at_once_naming_it(
    plain: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shutil.copytree(plain / ONNX_DIR, tmp_path / "index" / ONNX_DIR)
    started = time.monotonic()
    with caplog.at_level(logging.ERROR):
        code = main(["--corpus", str(CORPUS), "--index", str(tmp_path / "index"), "--ray", "127.0.0.1:9"])
    assert code == 1 and time.monotonic() - started < 30
    assert "127.0.0.1:9" in caplog.text and "ray start --head" in caplog.text
    assert not (tmp_path / "index" / "current").exists()  # nothing published


class DyingActor(_EmbeddingActor):
    """An embedding actor whose process dies on its second batch, every time it is restarted."""

    calls = 0

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        type(self).calls += 1
        if type(self).calls > 1:
            os._exit(1)
        return super().__call__(batch)


def test_a_worker_that_dies_fails_the_build_and_the_last_index_keeps_serving(
    local_ray: None, plain: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(plain, index_dir, symlinks=True)
    before = (index_dir / CURRENT).resolve()
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import tests/
    settings = Settings(corpus_dir=CORPUS, index_dir=index_dir)
    dying = RayEncoder(settings.model, 384, 256, index_dir / ONNX_DIR, actor=DyingActor)
    with pytest.raises(RayActorError):
        build_index(settings, dying, progress=False, full=True)
    assert (index_dir / CURRENT).resolve() == before
    assert len(load_index(index_dir).chunks) == len(load_index(plain).chunks)
