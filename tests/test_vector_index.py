"""Above a size threshold the passage vectors go into an approximate index (an HNSW graph by
default, or IVF lists) whose search breadth is measured at build time to keep recall against
exact search; below it search is exact. Vectors are read memory-mapped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import faiss
import numpy as np
import pytest

from service.config import Settings
from service.ingest.indexer import build_index
from service.models.embedding import Embedder
from service.retrieval.search import Searcher
from service.runtime import Runtime
from service.store import load_index
from service.vector_index import (
    SEARCH_WIDTHS,
    build_vector_index,
    calibration_queries,
    exact_among,
    exact_neighbours,
    lists_for,
    probe_steps,
    recall_at,
    restricted_search,
    search_vectors,
)
from tests.support import DATA, read_jsonl

CORE = read_jsonl(DATA / "core_questions.jsonl")


def embedding_like(n: int, dim: int = 64, topics: int = 40, seed: int = 1) -> np.ndarray:
    """Unit vectors clustered around topics, as text embeddings are (uniform random vectors
    have no neighbours worth finding)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((topics, dim)).astype(np.float32)
    x = centres[rng.integers(0, topics, n)] + 0.6 * rng.standard_normal((n, dim)).astype(np.float32)
    x = np.ascontiguousarray(x, dtype=np.float32)
    faiss.normalize_L2(x)
    return x


def test_a_small_collection_is_searched_exactly(built_index: Path) -> None:
    index = load_index(built_index)
    assert index.manifest.vector_index == {"kind": "flat", "metric": "inner_product", "exact": True}
    assert isinstance(index.chunk_index, faiss.IndexFlatIP)


def test_list_count_grows_with_the_square_root_of_the_collection() -> None:
    assert lists_for(10_000) == 512
    assert lists_for(1_000_000) == 4096
    assert lists_for(100) == 32
    assert lists_for(1) == 16, "never fewer than 16 lists"


def test_hnsw_searches_wide_enough_to_keep_the_target_recall() -> None:
    vectors = embedding_like(20_000)
    index, description = build_vector_index(
        vectors, Settings(exact_max_passages=1_000, ann_target_recall=0.95)
    )
    assert description["kind"] == "hnsw_flat" and isinstance(index, faiss.IndexHNSWFlat)
    assert description["measured_recall_at_10"] >= 0.95
    assert description["ef_search"] in SEARCH_WIDTHS and description["ef_search"] < 20_000
    # Recall holds on queries the calibration never saw.
    fresh = calibration_queries(vectors, 300, seed=7)
    assert recall_at(index, fresh, exact_neighbours(vectors, fresh)) >= 0.93


def test_search_widths_grow_by_at_most_half() -> None:
    widths = list(SEARCH_WIDTHS)
    assert widths == sorted(set(widths)) and widths[0] >= 10, "at least the ten a question asks for"
    assert all(b <= 1.5 * a for a, b in zip(widths, widths[1:], strict=False))


def test_ivf_probes_enough_lists_to_keep_the_target_recall() -> None:
    vectors = embedding_like(20_000)
    settings = Settings(exact_max_passages=1_000, ann_target_recall=0.95, ann_kind="ivf")
    index, description = build_vector_index(vectors, settings)
    assert description["kind"] == "ivf_flat" and description["nlist"] == lists_for(20_000)
    assert description["measured_recall_at_10"] >= 0.95
    assert 1 <= description["nprobe"] < description["nlist"], "probing every list is exact search, not ANN"
    # Recall holds on queries the calibration never saw.
    fresh = calibration_queries(vectors, 300, seed=7)
    assert recall_at(index, fresh, exact_neighbours(vectors, fresh)) >= 0.93


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_an_approximate_index_answers_the_core_questions(
    kind: str, index_dir: Path, embedder: Embedder, settings: Settings
) -> None:
    ann_settings = Settings(
        index_dir=index_dir, exact_max_passages=10, ann_kind=kind, ivf_lists=8, onnx=False
    )
    manifest = build_index(ann_settings, embedder=embedder, progress=False)
    described = manifest.vector_index
    assert described["measured_recall_at_10"] >= ann_settings.ann_target_recall

    ann = Runtime.start(ann_settings, embedder=embedder).require_searcher()
    read: Any = ann.index.chunk_index
    if kind == "ivf":
        assert described["kind"] == "ivf_flat" and described["nlist"] == 8
        assert read.nprobe == described["nprobe"], "probe count comes back from the manifest"
    else:
        assert described["kind"] == "hnsw_flat"
        assert read.hnsw.efSearch == described["ef_search"], "search width comes back from the manifest"
    exact = Runtime.start(settings.model_copy(update={"onnx": False}), embedder=embedder).require_searcher()

    def found(searcher: Searcher) -> int:
        hits = 0
        for case in CORE:
            texts = [
                searcher.index.chunk_text(h.chunk) for h in searcher.search(case["question"], top_k=5).hits
            ]
            hits += any(a in t for a in case["answers"] for t in texts)
        return hits

    # Approximate search may lose a neighbour now and then, not the answers: at most one core
    # question that exact search answers in the first five falls out of them.
    assert found(ann) >= found(exact) - 1 >= 0.75 * len(CORE)


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_a_restricted_search_returns_only_allowed_passages_nearly_as_exact_search_would(kind: str) -> None:
    vectors = embedding_like(6000)
    settings = Settings(exact_max_passages=1000, ann_target_recall=0.95, ann_kind=kind)
    index: Any = build_vector_index(vectors, settings)[0]
    assert hasattr(index, "hnsw" if kind == "hnsw" else "nprobe"), "approximate above the exact threshold"
    if kind == "ivf":
        index.make_direct_map()  # as read_vector_index does: stored vectors by id
    rng = np.random.default_rng(3)
    queries = calibration_queries(vectors, 30)
    # One document's passages, a few hundred anywhere, most of the index: whichever way
    # search_vectors takes for each (the next test says which it takes).
    for size in (40, 900, 5000):
        allowed = np.arange(2000, 2040) if size == 40 else np.sort(rng.choice(6000, size, replace=False))
        truth = exact_neighbours(vectors[allowed], queries)
        recalls = []
        for q, true in zip(queries, truth, strict=True):
            scores, ids = search_vectors(index, q, 10, allowed=allowed, exact_max=0)
            assert set(ids.tolist()) <= set(allowed.tolist()) and len(ids) == 10
            assert np.all(np.diff(scores) <= 1e-6), "best first"
            recalls.append(len(set(ids.tolist()) & set(allowed[true].tolist())) / 10)
        assert np.mean(recalls) >= 0.9, (len(allowed), np.mean(recalls))


def narrow_hnsw(vectors: np.ndarray) -> Any:
    index: Any = faiss.IndexHNSWFlat(vectors.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
    index.add(vectors)
    index.hnsw.efSearch = 16
    return index


def narrow_ivf(vectors: np.ndarray) -> Any:
    index: Any = faiss.index_factory(vectors.shape[1], "IVF64,Flat", faiss.METRIC_INNER_PRODUCT)
    index.train(vectors)
    index.add(vectors)
    index.nprobe = 8
    index.make_direct_map()
    return index


@pytest.mark.parametrize("make", [narrow_hnsw, narrow_ivf], ids=["hnsw", "ivf"])
def test_a_filter_is_scored_exactly_where_searching_the_index_for_it_would_compare_more_vectors(
    make: Any,
) -> None:
    vectors = embedding_like(6000)
    index = make(vectors)
    q = calibration_queries(vectors, 1)[0]
    rng = np.random.default_rng(5)
    # A filter leaving 5% widens the search twentyfold: more vectors compared than allowed.
    narrow = np.sort(rng.choice(6000, 300, replace=False))
    assert restricted_search(index, len(narrow))[1] > len(narrow)
    scores, ids = search_vectors(index, q, 10, allowed=narrow, exact_max=0)
    expected = narrow[np.argsort(-(vectors[narrow] @ q), kind="stable")[:10]]
    assert ids.tolist() == expected.tolist(), "scored exactly: exactly the best, in order"
    # A filter leaving most of the index is searched in it, with a selector.
    broad = np.sort(rng.choice(6000, 5900, replace=False))
    assert restricted_search(index, len(broad))[1] < len(broad)
    scores, ids = search_vectors(index, q, 10, allowed=broad, exact_max=0)
    assert set(ids.tolist()) <= set(broad.tolist()) and len(ids) == 10
    best = broad[np.argsort(-(vectors[broad] @ q), kind="stable")[:10]]
    assert len(set(ids.tolist()) & set(best.tolist())) >= 6, "approximate, not arbitrary"


def test_exact_scoring_in_blocks_keeps_the_best_and_breaks_ties_by_id() -> None:
    vectors = embedding_like(50, dim=8)
    vectors[[7, 19, 33]] = vectors[3]  # four passages tie with each other
    index = faiss.IndexFlatIP(8)
    index.add(vectors)
    allowed = np.arange(2, 48)
    q = vectors[3].copy()
    for block in (1, 3, 5, 64):
        scores, ids = exact_among(index, q, 6, allowed, block=block)
        assert ids[:4].tolist() == [3, 7, 19, 33], block
        expected = allowed[np.lexsort((allowed, -(vectors[allowed] @ q)))][:6]
        assert ids.tolist() == expected.tolist() and np.all(np.diff(scores) <= 0)


def test_probe_counts_tried_grow_by_at_most_half_up_to_every_list() -> None:
    steps = probe_steps(4096)
    assert steps[0] == 1 and steps[-1] == 4096 and steps == sorted(set(steps))
    assert all(b <= 2 * a for a, b in zip(steps, steps[1:], strict=False)), "no jump to an exhaustive scan"
    assert probe_steps(16)[-1] == 16 and max(probe_steps(16)) == 16
