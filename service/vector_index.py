"""The dense passage index: exact search for a small collection, an approximate index above a
size threshold.

Exact inner-product search reads every vector per question, which costs nothing at a few
thousand passages and ~180 ms at a million. Above ``exact_max_passages`` the build makes an
approximate index and *measures* how much of it a question must search to keep recall@10
against exact search at the target, instead of trusting a rule of thumb:

- ``hnsw`` (the default): a graph of each passage's nearest neighbours (HNSW, vectors kept
  exactly); the calibrated parameter is ``ef_search``, how many candidates a search keeps.
  On 1M real-looking passages, calibrated to 0.95 (``ef_search`` 512), it kept recall@10
  0.989 on real questions at 4.5 ms a question, where IVF-Flat took 30 ms for 0.983
  (BENCHMARKS.md, eleventh session).
- ``ivf``: an inverted file (IVF-Flat); the calibrated parameter is how many lists to probe.
  Its graph-free lists shard and quantise more simply, which is why it stays a choice.

The kind, its parameters and the measured recall go into the manifest. Vectors (and an HNSW
graph, ~270 MB at 1M passages) are read memory-mapped, so loading is cheap and several worker
processes share one copy through the page cache.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from service.config import Settings

RECALL_AT = 10
CALIBRATION_QUERIES = 200


def probe_steps(nlist: int) -> list[int]:
    """Probe counts to try, cheapest first: 1, 2, 4, then each power of two and 1.5 times it,
    up to all ``nlist`` lists (a step list that stopped at 512 jumped from 512 straight to
    4,096 lists, an exhaustive scan, on a 1M-passage index that needed 768)."""
    steps = {1, 2, nlist}
    power = 4
    while power < nlist:
        steps |= {power, power * 3 // 2}
        power *= 2
    return sorted(s for s in steps if s <= nlist)


#: HNSW's neighbours per passage (M) and its build-time search width: FAISS's usual values.
#: On 1M real-looking passages real questions kept recall@10 0.949 at a search width of 128
#: and 0.989 at 512 (BENCHMARKS.md, eleventh session).
HNSW_NEIGHBOURS = 32
HNSW_EF_CONSTRUCTION = 40
#: A graph's recall varies more from question to question than IVF's, and its searches cost
#: ~1 ms: it is calibrated on five times as many questions (on the tests' clustered vectors, a
#: width that kept 0.95 on 200 kept 0.92 on 300 fresh ones).
HNSW_CALIBRATION_QUERIES = 1000


#: ``ef_search`` values to try, cheapest first, each at most 1.5 times the one before.
SEARCH_WIDTHS = (16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048)


def lists_for(n: int) -> int:
    """IVF list count: the power of two nearest 4·√n (FAISS's guidance), at least 16."""
    return max(16, 2 ** round(math.log2(4 * math.sqrt(n))))


def calibration_queries(vectors: np.ndarray, count: int, seed: int = 0) -> np.ndarray:
    """Unit midpoints of random pairs of indexed vectors: questions fall between passages,
    not on them, and a midpoint is harder to place than a stored vector is."""
    rng = np.random.default_rng(seed)
    a = vectors[rng.integers(0, len(vectors), count)]
    b = vectors[rng.integers(0, len(vectors), count)]
    queries = np.ascontiguousarray(a + b, dtype=np.float32)
    faiss.normalize_L2(queries)
    return queries


def recall_at(index: faiss.Index, queries: np.ndarray, truth: np.ndarray, k: int = RECALL_AT) -> float:
    """Share of the exact top-k that ``index`` also returns in its top k."""
    _, found = index.search(queries, k)
    return float(
        np.mean([len(set(f) & set(t)) / k for f, t in zip(found.tolist(), truth.tolist(), strict=True)])
    )


def exact_neighbours(vectors: np.ndarray, queries: np.ndarray, k: int = RECALL_AT) -> np.ndarray:
    _, ids = faiss.knn(queries, vectors, k, metric=faiss.METRIC_INNER_PRODUCT)
    return ids


def calibrate(
    index: faiss.Index,
    vectors: np.ndarray,
    queries: int,
    steps: Sequence[int],
    apply: Callable[[int], None],
    target: float,
) -> float:
    """Set ``index`` to the cheapest of ``steps`` (``apply(step)``) that keeps recall@10 ≥
    ``target`` on ``queries`` midpoint queries, or to the last step if none does; returns the
    recall measured at the step it is left on."""
    sample = calibration_queries(vectors, queries)
    truth = exact_neighbours(vectors, sample)
    recall = 0.0
    for step in steps:
        apply(step)
        recall = recall_at(index, sample, truth)
        if recall >= target:
            break
    return recall


def build_vector_index(vectors: np.ndarray, settings: Settings) -> tuple[faiss.Index, dict[str, Any]]:
    """The index for these unit vectors, and its description for the manifest."""
    n, dim = vectors.shape
    if n <= settings.exact_max_passages:
        flat = faiss.IndexFlatIP(dim)
        flat.add(vectors)
        return flat, {"kind": "flat", "metric": "inner_product", "exact": True}
    if settings.ann_kind == "hnsw":
        return build_hnsw(vectors, settings)
    return build_ivf(vectors, settings)


def build_hnsw(vectors: np.ndarray, settings: Settings) -> tuple[faiss.Index, dict[str, Any]]:
    """An HNSW graph over the vectors, searched as wide as the target recall needs."""
    dim = vectors.shape[1]
    hnsw: Any = faiss.IndexHNSWFlat(dim, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    hnsw.add(vectors)
    recall = calibrate(
        hnsw,
        vectors,
        HNSW_CALIBRATION_QUERIES,
        SEARCH_WIDTHS,
        lambda width: setattr(hnsw.hnsw, "efSearch", width),
        settings.ann_target_recall,
    )
    return hnsw, {
        "kind": "hnsw_flat",
        "metric": "inner_product",
        "exact": False,
        "neighbours": HNSW_NEIGHBOURS,
        "ef_construction": HNSW_EF_CONSTRUCTION,
        "ef_search": int(hnsw.hnsw.efSearch),
        "target_recall_at_10": settings.ann_target_recall,
        "measured_recall_at_10": round(recall, 4),
        "calibration_queries": HNSW_CALIBRATION_QUERIES,
    }


def build_ivf(vectors: np.ndarray, settings: Settings) -> tuple[faiss.Index, dict[str, Any]]:
    """An IVF-Flat index over the vectors, probing as many lists as the target recall needs."""
    n, dim = vectors.shape
    nlist = settings.ivf_lists or lists_for(n)
    rng = np.random.default_rng(0)
    train = vectors[np.sort(rng.choice(n, size=min(n, 40 * nlist), replace=False))]
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
    ivf.cp.niter = 10  # enough for list assignment; more only slows the build
    ivf.train(train)
    ivf.add(vectors)
    recall = calibrate(
        ivf,
        vectors,
        CALIBRATION_QUERIES,
        probe_steps(nlist),
        lambda probes: setattr(ivf, "nprobe", probes),
        settings.ann_target_recall,
    )
    return ivf, {
        "kind": "ivf_flat",
        "metric": "inner_product",
        "exact": False,
        "nlist": nlist,
        "nprobe": int(ivf.nprobe),
        "train_vectors": len(train),
        "target_recall_at_10": settings.ann_target_recall,
        "measured_recall_at_10": round(recall, 4),
        "calibration_queries": CALIBRATION_QUERIES,
    }


def summary(description: dict[str, Any]) -> str:
    """One line naming a vector index's kind and its calibrated parameters (for reports)."""
    kind = description.get("kind", "flat")
    if kind == "hnsw_flat":
        return f"hnsw_flat M {description['neighbours']} ef_search {description['ef_search']}"
    if kind == "ivf_flat":
        return f"ivf_flat nlist {description['nlist']} nprobe {description['nprobe']}"
    return "flat (exact)"


def write_vector_index(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def read_vector_index(path: Path, description: dict[str, Any]) -> faiss.Index:
    """Memory-map the index (vectors stay in the page cache, shared between processes) and
    restore its search parameters from the manifest's description."""
    kind = description.get("kind", "flat")
    if kind == "flat":
        return faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC)
    if kind == "hnsw_flat":
        graph: Any = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC)  # the vectors stay mapped
        graph.hnsw.efSearch = int(description["ef_search"])
        return graph
    # read_index hands back the IVF index itself (SWIG downcasts it); faiss ships no type
    # information that says so, hence Any. (extract_index_ivf would return a view that does
    # not own the index: it crashes once the read object is collected.)
    index: Any = faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
    index.nprobe = int(description["nprobe"])
    index.make_direct_map()  # lets search score a BM25-only candidate by its stored vector
    return index


#: Allowed passages scored per step of an exact restricted search: the stored vectors of one
#: step are copied out, so this bounds a question's memory (6 MB at 384 dimensions).
EXACT_BLOCK = 4096


def restricted_search(index: faiss.Index, allowed: int) -> tuple[Any, int]:
    """FAISS search parameters for a search among ``allowed`` of the index's passages, and how
    many stored vectors such a search compares.

    The probe count of an IVF index (or the search width of an HNSW one) grows with the share
    of the index the filter leaves out, so that about as many allowed passages are reached as
    an unfiltered search reaches passages. The widened search costs that much more: a filter
    leaving 2% of an HNSW index of a million passages searches 50 times as wide (0.3–1.1 s a
    question, where scoring its 20k passages exactly takes 4 ms; BENCHMARKS.md, twelfth
    session)."""
    ann: Any = index  # HNSW or IVF (read_vector_index), or flat; faiss ships no types for these
    share = ann.ntotal / max(1, allowed)
    if hasattr(ann, "hnsw"):
        params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]  # in faiss, not its stubs
        params.efSearch = min(ann.ntotal, math.ceil(ann.hnsw.efSearch * share))
        # Each candidate a search takes up has its bottom-layer neighbours (2 M) scored.
        return params, params.efSearch * ann.hnsw.nb_neighbors(0)
    if hasattr(ann, "nprobe"):
        params = faiss.SearchParametersIVF()
        params.nprobe = min(ann.nlist, math.ceil(ann.nprobe * share))
        return params, math.ceil(params.nprobe * ann.ntotal / ann.nlist)
    return faiss.SearchParameters(), ann.ntotal  # a flat index with a selector scans every vector


def scored_exactly(allowed: int, compared: int, exact_max: int) -> bool:
    """Whether a search among ``allowed`` passages scores them exactly from their stored vectors:
    when there are at most ``exact_max`` (one document, a few), or when a restricted search of
    the index would compare more vectors than that (``compared``, from ``restricted_search``).
    At 1M passages (HNSW, ``ef_search`` 512) that scores up to ~185k allowed passages exactly (50k: 12 ms,
    where the selector took 112; 150k: 43, the selector 49) and searches more with a selector
    (300k: 48 ms, exactly 92; ``scripts/bench_million.py --filters``, BENCHMARKS.md)."""
    return allowed <= max(exact_max, compared)


def exact_among(
    index: faiss.Index, qvec: np.ndarray, depth: int, allowed: np.ndarray, block: int = EXACT_BLOCK
) -> tuple[np.ndarray, np.ndarray]:
    """The ``depth`` best of ``allowed`` (sorted ids) by their stored vectors' cosine, best first,
    ties by id; scored ``block`` at a time, each step keeping its best (and any tied with the
    last of them)."""
    kept_scores, kept_ids = [], []
    for start in range(0, len(allowed), block):
        ids = allowed[start : start + block]
        cosines = index.reconstruct_batch(ids) @ qvec
        if len(cosines) > depth:
            kth = cosines[np.argpartition(-cosines, depth - 1)[depth - 1]]
            keep = cosines >= kth
            ids, cosines = ids[keep], cosines[keep]
        kept_scores.append(cosines)
        kept_ids.append(ids)
    scores, ids = np.concatenate(kept_scores), np.concatenate(kept_ids)
    best = np.lexsort((ids, -scores))[:depth]
    return scores[best], ids[best]


def search_vectors(
    index: faiss.Index,
    qvec: np.ndarray,
    depth: int,
    allowed: np.ndarray | None = None,
    exact_max: int = 20_000,
) -> tuple[np.ndarray, np.ndarray]:
    """Cosines and ids of the ``depth`` passages nearest ``qvec``, only among ``allowed`` (sorted
    ids) when given: a filter is applied before ranking, never after.

    Allowed passages are scored exactly when that costs less (``scored_exactly``); else the
    index is searched with a FAISS ID selector (``search_selected``)."""
    if allowed is None:
        return _found(index.search(qvec[None, :], depth))
    params, compared = restricted_search(index, len(allowed))
    if scored_exactly(len(allowed), compared, exact_max):
        return exact_among(index, qvec, depth, allowed)
    return search_selected(index, qvec, depth, allowed, params)


def search_selected(
    index: faiss.Index, qvec: np.ndarray, depth: int, allowed: np.ndarray, params: Any
) -> tuple[np.ndarray, np.ndarray]:
    """The index's own search among ``allowed`` (sorted ids) only, through an ID selector, with
    the widened ``params`` of ``restricted_search``."""
    selector = faiss.IDSelectorBatch(allowed)  # must outlive the search
    params.sel = selector
    return _found(index.search(qvec[None, :], depth, params=params))


def _found(result: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """One question's scores and ids from a FAISS search, without its -1 fillers."""
    scores, ids = result
    keep = ids[0] >= 0
    return scores[0][keep], ids[0][keep]
