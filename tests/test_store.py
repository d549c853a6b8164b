"""Loading refuses anything that is not a complete, consistent build for this model."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from service.errors import IndexUnavailable
from service.manifest import FORMAT_VERSION
from service.records import ChunkRecord, Document
from service.store import load_index
from service.tables import ChunkTable, DocumentStore, write_documents


@pytest.fixture()
def index_copy(built_index: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "build"
    shutil.copytree(built_index / "current", dest)
    return dest


def test_round_trip_loads_what_was_built(index_copy: Path) -> None:
    index = load_index(index_copy)
    assert len(index.documents) == 5
    for i, chunk in enumerate(index.chunks):
        assert index.chunk_text(i) == index.documents[chunk.document_id].text[chunk.start : chunk.end]


def test_missing_index_says_how_to_build_one(tmp_path: Path) -> None:
    with pytest.raises(IndexUnavailable, match="hsqa-build-index"):
        load_index(tmp_path / "nowhere")


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: (d / "chunks.faiss").write_bytes(b"not faiss"),
        lambda d: np.save(d / "chunks.npy", np.load(d / "chunks.npy")[1:]),
        lambda d: (d / "documents.sqlite").write_bytes(b"not a database"),
        lambda d: (d / "sentence_vectors.npy").unlink(),
        lambda d: (d / "manifest.json").write_text("{truncated"),
        lambda d: shutil.rmtree(d / "bm25"),
        lambda d: (d / "facts" / "sentence_flags.npy").unlink(),
        lambda d: np.save(d / "facts" / "sentence_flags.npy", np.zeros(3, dtype=np.uint8)),
        lambda d: (d / "manifest.json").write_text(
            (d / "manifest.json").read_text().replace('"embed_runtime"', '"runtime"')
        ),
    ],
    ids=[
        "corrupt-faiss",
        "missing-passage-row",
        "documents-not-sqlite",
        "missing-vectors",
        "half-written-manifest",
        "missing-bm25",
        "missing-sentence-facts",
        "sentence-facts-of-another-build",
        "manifest-missing-a-field",
    ],
)
def test_damaged_index_is_refused(index_copy: Path, damage) -> None:  # type: ignore[no-untyped-def]
    damage(index_copy)
    with pytest.raises(IndexUnavailable, match="hsqa-build-index"):
        load_index(index_copy)


def test_index_built_with_another_model_is_refused(index_copy: Path) -> None:
    with pytest.raises(IndexUnavailable, match="built with model 'sentence-transformers/all-MiniLM-L6-v2'"):
        load_index(index_copy, expected_model="intfloat/e5-small-v2")


def test_index_of_another_format_version_is_refused_with_the_rebuild_command(index_copy: Path) -> None:
    manifest = index_copy / "manifest.json"
    manifest.write_text(
        manifest.read_text().replace(f'"format_version": {FORMAT_VERSION}', '"format_version": 2')
    )
    with pytest.raises(
        IndexUnavailable, match=f"format version 2, this service reads version {FORMAT_VERSION}"
    ):
        load_index(index_copy)


def test_passages_round_trip_as_a_table_with_documents_without_passages(tmp_path: Path) -> None:
    records = [
        ChunkRecord("a", "Intro", 0, 10, 0, 2),
        ChunkRecord("a", None, 8, 20, 1, 3),
        ChunkRecord("c", "Intro", 0, 5, 3, 4),
    ]
    table = ChunkTable.of(records, ["a", "b", "c"])
    table.save(tmp_path)
    loaded = ChunkTable.load(tmp_path, ["a", "b", "c"])
    assert list(loaded) == records and loaded[1:] == records[1:] and len(loaded) == 3
    assert loaded.sections == ("Intro",), "a section title is stored once"
    assert loaded.document_ranges() == {"a": (0, 2), "c": (2, 3)}
    assert loaded.sentence_bounds().tolist() == [[0, 2], [1, 3], [3, 4]]


def test_documents_come_back_equal_with_their_text_read_only_when_asked(tmp_path: Path) -> None:
    docs = [
        Document(id="a", file="a.txt", title="A", text="First text.", author="UN", date="2001"),
        Document(id="b", file="b.pdf", title="B", text="Second\ftext.", kind="report", pages=(0, 7)),
    ]
    write_documents(tmp_path / "documents.sqlite", docs)
    store = DocumentStore(tmp_path / "documents.sqlite")
    assert list(store) == ["a", "b"] and len(store) == 2
    assert "text" not in vars(store["b"]), "the catalogue is in memory, the text is not"
    assert [(d.metadata(), d.text, d.pages, d.sha256) for d in store.values()] == [
        (d.metadata(), d.text, d.pages, d.sha256) for d in docs
    ]
