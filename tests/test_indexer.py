"""Building an index: manifest, atomic publishing, skipping bad files, staleness."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.config import Settings
from service.ingest.corpus import load_corpus
from service.ingest.indexer import build_index, lexical_text, main, stale_reason
from service.manifest import FORMAT_VERSION, Changes
from service.models.embedding import Embedder
from service.store import load_index, read_manifest


def test_manifest_describes_the_build(built_index: Path) -> None:
    m = read_manifest(built_index)
    assert m.format_version == FORMAT_VERSION
    assert (m.model.id, m.model.dimension, m.model.max_seq_length) == (
        "sentence-transformers/all-MiniLM-L6-v2",
        384,
        256,
    )
    assert m.chunking == Settings().chunking.model_dump(), "the manifest records what the build used"
    assert m.counts.documents == 5
    assert m.counts.chunks == sum(d.chunks for d in m.documents.values()) > 50
    assert all(len(d.sha256) == 64 for d in m.documents.values())
    assert m.built_at and m.build_seconds > 0


def test_loaded_index_holds_unit_vectors_for_every_chunk(built_index: Path) -> None:
    index = load_index(built_index)
    assert index.chunk_index.ntotal == len(index.chunks)
    import numpy as np

    norms = np.linalg.norm(index.chunk_index.reconstruct_n(0, index.chunk_index.ntotal), axis=1)
    assert np.allclose(norms, 1.0, atol=1e-4)


def test_index_is_published_through_a_link_to_a_complete_build(built_index: Path) -> None:
    current = built_index / "current"
    assert current.is_symlink()
    assert (current / "manifest.json").exists()
    assert not list((built_index / "builds").glob(".tmp-*"))


def test_a_crash_mid_build_leaves_the_published_index_untouched(
    corpus_copy: Path, index_dir: Path, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(corpus_dir=corpus_copy, index_dir=index_dir)
    build_index(settings, embedder=embedder, progress=False)
    before = read_manifest(settings.index_dir)

    (corpus_copy / "extra.txt").write_text("A new text about human security and refugees.\n")

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("service.store.faiss.write_index", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        build_index(settings, embedder=embedder, progress=False)
    monkeypatch.undo()

    after = load_index(settings.index_dir)
    assert after.manifest.built_at == before.built_at
    assert "extra" not in after.documents
    assert not list((settings.index_dir / "builds").glob(".tmp-*"))


def test_bad_files_are_skipped_and_the_rest_is_indexed(
    corpus_copy: Path, index_dir: Path, embedder: Embedder
) -> None:
    (corpus_copy / "broken.txt").write_bytes(b"\xff\xfe\x00garbage")
    manifest = build_index(
        Settings(corpus_dir=corpus_copy, index_dir=index_dir), embedder=embedder, progress=False
    )
    assert manifest.counts.documents == 5
    assert "broken.txt" in manifest.skipped


def test_staleness_follows_the_corpus(corpus_copy: Path, index_dir: Path, embedder: Embedder) -> None:
    settings = Settings(corpus_dir=corpus_copy, index_dir=index_dir)
    assert "no index" in (stale_reason(settings, load_corpus(corpus_copy).documents) or "")
    build_index(settings, embedder=embedder, progress=False)
    assert stale_reason(settings, load_corpus(corpus_copy).documents) is None
    (corpus_copy / "jica-what-is-human-security.txt").write_text("Changed.\n")
    assert "jica-what-is-human-security" in (stale_reason(settings, load_corpus(corpus_copy).documents) or "")
    other = settings.model_copy(update={"embed_context": True})
    build_index(settings, embedder=embedder, progress=False)
    assert (
        stale_reason(other, load_corpus(corpus_copy).documents)
        == "model, chunking or BM25 settings or the index format changed"
    )


def test_the_script_refuses_an_empty_corpus_and_keeps_the_old_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["--corpus", str(empty), "--index", str(tmp_path / "ix"), "--quiet"]) == 1
    assert not (tmp_path / "ix" / "current").exists()


QUESTIONS = [
    "What three priorities did Sadako Ogata name for human security?",
    "Why did Canada intervene in Kosovo?",
    "What did the Zanzibar Compact make a priority?",
    "How do the SDGs differ from human security?",
]
ZANZIBAR = "Zanzibar Compact\n\nThe Zanzibar Compact of 2031 made water access a human security priority.\n"


def _answers(settings: Settings, embedder: Embedder) -> list[list[tuple[str, int, int, float]]]:
    from service.runtime import Runtime

    searcher = Runtime.start(settings, embedder=embedder).require_searcher()
    out = []
    for q in QUESTIONS:
        result = searcher.search(q, 10)
        out.append(
            [
                (
                    searcher.index.chunks[h.chunk].document_id,
                    searcher.index.chunks[h.chunk].start,
                    searcher.index.chunks[h.chunk].end,
                    h.score,
                )
                for h in result.hits
            ]
        )
    return out


def test_incremental_rebuild_answers_exactly_like_a_full_one(
    corpus_copy: Path, index_dir: Path, tmp_path: Path, embedder: Embedder
) -> None:
    incremental = Settings(corpus_dir=corpus_copy, index_dir=index_dir)
    build_index(incremental, embedder=embedder, progress=False)
    (corpus_copy / "zanzibar.txt").write_text(ZANZIBAR)
    manifest = build_index(incremental, embedder=embedder, progress=False)
    assert manifest.changes.added == ["zanzibar"] and manifest.changes.embedded == ["zanzibar"]

    full = Settings(corpus_dir=corpus_copy, index_dir=tmp_path / "full")
    build_index(full, embedder=embedder, progress=False, full=True)
    for a, b in zip(_answers(incremental, embedder), _answers(full, embedder), strict=True):
        assert [x[:3] for x in a] == [x[:3] for x in b]
        assert all(abs(x[3] - y[3]) < 1e-5 for x, y in zip(a, b, strict=True))


def test_editing_and_deleting_texts_updates_and_removes_their_passages(
    corpus_copy: Path, index_dir: Path, embedder: Embedder
) -> None:
    settings = Settings(corpus_dir=corpus_copy, index_dir=index_dir)
    build_index(settings, embedder=embedder, progress=False)
    (corpus_copy / "kobe-kurusu-protecting-every-person.txt").unlink()
    (corpus_copy / "jica-what-is-human-security.txt").write_text(
        "JICA overview\n\nA short replacement text about aid.\n"
    )
    manifest = build_index(settings, embedder=embedder, progress=False)
    assert manifest.changes == Changes(
        changed=["jica-what-is-human-security"],
        removed=["kobe-kurusu-protecting-every-person"],
        embedded=["jica-what-is-human-security"],
    )
    index = load_index(settings.index_dir)
    assert "kobe-kurusu-protecting-every-person" not in index.documents
    assert index.chunk_counts["jica-what-is-human-security"] == 1
    cached = list((settings.index_dir / "cache").glob("*.npz"))
    assert len(cached) == 4  # entries of removed and replaced texts are pruned


def test_a_chunking_change_misses_the_cache_and_full_re_embeds_everything(
    corpus_copy: Path, index_dir: Path, embedder: Embedder
) -> None:
    settings = Settings(corpus_dir=corpus_copy, index_dir=index_dir)
    build_index(settings, embedder=embedder, progress=False)
    assert build_index(settings, embedder=embedder, progress=False).changes.embedded == []
    assert len(build_index(settings, embedder=embedder, progress=False, full=True).changes.embedded) == 5
    smaller = settings.model_copy(
        update={"chunking": settings.chunking.model_copy(update={"target_chars": 500})}
    )
    assert len(build_index(smaller, embedder=embedder, progress=False).changes.embedded) == 5


def test_what_bm25_reads_is_a_rebuild_that_re_embeds_nothing(
    corpus_copy: Path, index_dir: Path, embedder: Embedder
) -> None:
    settings = Settings(corpus_dir=corpus_copy, index_dir=index_dir)
    build_index(settings, embedder=embedder, progress=False)
    wider = settings.model_copy(update={"bm25_context_sentences": 2})
    assert (
        stale_reason(wider, load_corpus(corpus_copy).documents)
        == "model, chunking or BM25 settings or the index format changed"
    )
    assert build_index(wider, embedder=embedder, progress=False).changes.embedded == []
    assert stale_reason(wider, load_corpus(corpus_copy).documents) is None


def test_bm25_also_reads_the_sentences_before_a_passage(settings: Settings) -> None:
    # What BM25 reads; the citation stays text[start:end] of the passage alone.
    from service.ingest.chunking import chunk_text
    from service.records import Document

    text = "Professor Sen noted three points. He listed them:\n\n(1) Security is broad. (2) It is local."
    doc = Document(id="d", file="d.txt", title="T", text=text)
    sentences = chunk_text(text, settings.chunking).sentences
    passage = "(1) Security is broad. (2) It is local."
    assert text[sentences[2].start : sentences[2].end] == "(1) Security is broad."
    assert lexical_text(doc, sentences, 2, passage, 1) == "He listed them:\n" + passage
    assert lexical_text(doc, sentences, 2, passage, 2).startswith(
        "Professor Sen noted three points. He listed"
    )
    assert lexical_text(doc, sentences, 2, passage, 0) == passage
    assert lexical_text(doc, sentences, 0, passage, 1) == passage  # nothing before the first
