"""The corpus folder: metadata from the catalog, defaults without it, bad files skipped."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from service.ingest.corpus import document_id, load_corpus
from tests.support import CORPUS


def test_the_five_founding_texts_with_their_catalog_metadata() -> None:
    docs = {d.id: d for d in load_corpus(CORPUS).documents}
    assert len(docs) == 5
    symposium = docs["mofa-2000-international-symposium-on-human-security"]
    assert symposium.title == "International Symposium on Human Security"
    assert symposium.author == "Ministry of Foreign Affairs of Japan"
    assert symposium.date == "2000-08-02"
    assert symposium.kind == "event report"
    assert docs["jica-what-is-human-security"].date is None  # undated web page


# sha256 of the five files in shared/seed-corpus, as delivered.
SEED_SHA256 = {
    "6cd7f18b46471d29743b5b9376b8768d3f4e2fe7f752405e6e9dbd2b3cc5efd7",
    "8e3784238ce87c9a0631a01d2abad3afec6a88e939fbd9cfcbddcb4dc26c1874",
    "9e371f3110662a5257703370208b323b2c32644223ea746014f8923e0e0ebd92",
    "e231d077d1f7529b2f503744a78e5b814eeb22dfddf9d8b5c4485b0d8daee91e",
    "e51228882546040d1f0010e14aa10cecfadefef7b726dd3137e6f06f2a2d2c14",
}


def test_texts_are_stored_verbatim() -> None:
    assert {d.sha256 for d in load_corpus(CORPUS).documents} == SEED_SHA256


def test_a_text_without_metadata_gets_defaults_from_the_file(corpus_copy: Path) -> None:
    (corpus_copy / "New Report 2024.md").write_text("\n\n  A Fresh Report\n\nBody text here.\n")
    doc = next(d for d in load_corpus(corpus_copy).documents if d.file == "New Report 2024.md")
    assert doc.id == "new-report-2024"
    assert doc.title == "A Fresh Report"
    assert (doc.author, doc.date, doc.kind) == (None, None, "text")


def test_bad_files_are_skipped_with_a_warning_naming_them(
    corpus_copy: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (corpus_copy / "empty.txt").write_text("")
    (corpus_copy / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (corpus_copy / "latin1.txt").write_bytes("Caf\xe9 society".encode("latin-1"))
    with caplog.at_level(logging.WARNING):
        report = load_corpus(corpus_copy)
    assert len(report.documents) == 5
    assert set(report.skipped) == {"empty.txt", "binary.txt", "latin1.txt"}
    assert "not valid UTF-8" in report.skipped["latin1.txt"]
    for name in report.skipped:
        assert name in caplog.text


def test_ids_are_url_safe() -> None:
    assert document_id("Bosold & Werthes (2005).txt") == "bosold-werthes-2005"
    assert document_id("../../etc/passwd.txt") == "passwd"
