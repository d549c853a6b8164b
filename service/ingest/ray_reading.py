"""Reading and chunking on a Ray cluster (``hsqa-build-index --ray``): the build's first two
stages as a Ray Data job, a task per batch of files on whichever node has a free CPU.

Each task reads its files from the corpus folder (so every node must see it: a shared file
system) with the plain build's own ``read_document`` and ``chunk_document``, so a Ray build's
passages and sentences are the plain build's. What decides the index stays on the driver, in
file-name order: which file keeps an id two files share, and what is skipped and why. Reading
every file runs here even when the embedding cache holds its vectors: a build must know every
document's hash and passages, and reading is the cheap part; only the texts to embed depend on
the cache (``service.models.ray_encoder``).
"""

from __future__ import annotations

import pickle
from functools import partial
from pathlib import Path

import numpy as np

from service.config import ChunkingSettings
from service.ingest.chunking import ChunkedDocument, chunk_document
from service.ingest.corpus import CorpusReport, admit, iter_corpus_files, open_corpus, read_document
from service.records import Document

#: Files per task: a task costs Ray a few milliseconds to schedule, and reading and chunking
#: a text ~10 ms, so tasks of a handful of files keep both the overhead and the tail small.
FILES_PER_TASK = 8

#: What a task returns for one file: the document and its passages, or why it was skipped.
Read = tuple[Document, ChunkedDocument] | str


def read_and_chunk(
    batch: dict[str, np.ndarray], catalog: dict[str, dict[str, str]], chunking: ChunkingSettings
) -> dict[str, np.ndarray]:
    """One Ray Data task: read and chunk a batch of files. Results travel pickled (a document's
    text, its metadata and its spans are one opaque value to Ray)."""
    out = []
    for name in batch["path"]:
        path = Path(str(name))
        document = read_document(path, catalog.get(path.name, {}))
        read: Read = document if isinstance(document, str) else (document, chunk_document(document, chunking))
        out.append(pickle.dumps(read))
    return {"row": batch["row"], "read": np.array(out, dtype=object)}


def read_corpus_on_ray(
    corpus_dir: Path, chunking: ChunkingSettings, files_per_task: int = FILES_PER_TASK, progress: bool = False
) -> tuple[CorpusReport, list[ChunkedDocument]]:
    """The corpus as ``load_corpus`` reads it, with each kept document's passages, read and
    chunked on the Ray cluster this process has joined (``service.models.ray_encoder.connect``)."""
    import ray.data

    catalog, report = open_corpus(corpus_dir)
    files = list(iter_corpus_files(corpus_dir))
    reads: list[Read] = ["not read"] * len(files)
    if files:
        ray.data.DataContext.get_current().enable_progress_bars = progress
        dataset = ray.data.from_items(
            [{"row": i, "path": str(p)} for i, p in enumerate(files)],
            override_num_blocks=max(1, -(-len(files) // files_per_task)),
        )
        mapped = dataset.map_batches(
            partial(read_and_chunk, catalog=catalog, chunking=chunking),
            batch_size=files_per_task,
            batch_format="numpy",
        )
        for batch in mapped.iter_batches(batch_size=None, batch_format="numpy"):
            for row, read in zip(batch["row"], batch["read"], strict=True):
                reads[int(row)] = pickle.loads(read)
    seen: dict[str, str] = {}
    chunked: list[ChunkedDocument] = []
    for path, read in zip(files, reads, strict=True):
        document, passages = (read, None) if isinstance(read, str) else read
        if admit(report, seen, path, document) and passages is not None:
            chunked.append(passages)
    return report, chunked
