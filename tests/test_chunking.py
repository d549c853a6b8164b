"""Passages are exact, clean, sized slices of the stored text, each under its heading."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.config import ChunkingSettings
from service.ingest.chunking import Span, chunk_text, is_noise, split_sentences
from service.ingest.corpus import load_corpus
from tests.support import CORPUS

DEFAULT = ChunkingSettings()
SMALL = ChunkingSettings(target_chars=120, max_chars=200, overlap_sentences=1)

# Text built from pieces that stress the chunker: headings, noise lines, blank runs, long
# unpunctuated runs, abbreviations, and any unicode at all.
pieces = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        [
            "\n",
            "\n\n",
            "\r\n",
            "   ",
            "【画像】",
            "Back to Index",
            "  • SDGs%!s(<nil>)",
            "^{3.} A footnote.",
            "Mr. Sen said so. ",
            "Heading Line",
            "e.g. this",
            "…",
            "\u2028",
        ]
    ),
)
texts = st.lists(pieces, max_size=30).map("".join)


def _check(text: str, cfg: ChunkingSettings) -> None:
    doc = chunk_text(text, cfg)
    for s in doc.sentences:
        piece = text[s.start : s.end]
        assert piece and piece == piece.strip() and "\n" not in piece
        assert s.end - s.start <= cfg.max_chars
    for c in doc.chunks:
        passage = text[c.start : c.end]
        assert passage.strip() == passage and passage
        assert len(passage) <= cfg.max_chars
        assert 0 <= c.first_sentence < c.last_sentence <= len(doc.sentences)
        assert doc.sentences[c.first_sentence].start == c.start
        assert doc.sentences[c.last_sentence - 1].end == c.end
        assert not any(is_noise(line) for line in passage.split("\n") if line.strip())


@settings(max_examples=300, deadline=None)
@given(texts)
def test_offsets_are_exact_for_any_text(text: str) -> None:
    _check(text, DEFAULT)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=2000))
def test_offsets_are_exact_for_arbitrary_unicode_with_small_chunks(text: str) -> None:
    _check(text, SMALL)


def test_every_sentence_is_in_some_chunk_and_overlap_repeats_one_sentence() -> None:
    text = "Title\n\n" + " ".join(f"Sentence number {i} is here." for i in range(40))
    doc = chunk_text(text, SMALL)
    covered = set()
    for c in doc.chunks:
        covered.update(range(c.first_sentence, c.last_sentence))
    assert covered == set(range(len(doc.sentences)))
    for a, b in zip(doc.chunks, doc.chunks[1:], strict=False):
        assert b.first_sentence == a.last_sentence - 1


@pytest.mark.parametrize(
    "sentences",
    [
        # Titles, initials and abbreviations do not end a sentence.
        ["Mrs. Ogata spoke first.", "Then Prof. Sen and Cheryl O. Igiri replied, e.g. on aid.", "Done!"],
        # The article quotes »like this« and puts footnote numbers after the closing quote;
        # a decimal point is no end.
        [
            "It drew attention: »human security.«",
            "However, it was unclear.«6",
            "He said so.«¹⁸",
            "It cost 3.5 million.",
        ],
    ],
)
def test_sentences_end_where_a_reader_would_end_them(sentences: list[str]) -> None:
    text = " ".join(sentences)
    spans = split_sentences(text, Span(0, len(text)))
    assert [text[s.start : s.end] for s in spans] == sentences


def test_real_corpus_noise_is_never_in_a_passage() -> None:
    for doc in load_corpus(CORPUS).documents:
        for c in chunk_text(doc.text, DEFAULT).chunks:
            passage = doc.text[c.start : c.end]
            for noise in ("【画像】", "Back to Index", "%!s(<nil>)", "^{"):
                assert noise not in passage, (doc.id, passage[:80])
            # Footnotes that lost their marker at a page break: their references.
            for reference in (
                "rum, 15 (2) (2003)",
                "(New York: Oxford University Press, 1994)",
                "(2001): pp. 87",
            ):
                assert reference not in passage, (doc.id, passage[:80])


@pytest.mark.parametrize(
    ("line", "noise"),
    [
        ("New Dimensions of Human Security (New York: Oxford University Press, 1994), p. 3.", True),
        ("George MacLean, »Instituting«, Australian Journal, 54 (3) (2000): pp. 269–76.", True),
        ("Keizo Obuchi, »Opening Remarks«, Tokyo (12 December 1998), available at:", True),
        ("http://www.mofa.go.jp/policy/asia9812.html, accessed on 31 March 2004; and Keizo Obuchi", True),
        ("The report is available at the Ministry's library.", False),
        ("The Commission (CHS) was set up in early 2001, co-chaired by Sadako Ogata.", False),
        ("SDGs and Human Security (Based on: Higashi and Mine, “Chapter 1”, Nippon Hyoronsha, 2017).", False),
        ("In 1994 (the year of the UNDP report) the idea spread: see below.", False),
    ],
)
def test_a_footnote_without_its_marker_is_noise_by_its_reference(line: str, noise: bool) -> None:
    assert is_noise(line) is noise


def test_real_corpus_sections_are_the_nearest_headings() -> None:
    docs = {d.id: d for d in load_corpus(CORPUS).documents}
    doc = docs["mofa-2000-international-symposium-on-human-security"]
    chunks = chunk_text(doc.text, DEFAULT).chunks
    ogata = next(c for c in chunks if "three crucial priorities" in doc.text[c.start : c.end])
    assert (
        ogata.section == "Keynote Speech by Mrs. Sadako Ogata, United Nations High Commissioner for Refugees"
    )
    closing = next(c for c in chunks if "action-oriented approach" in doc.text[c.start : c.end])
    assert closing.section == "5. Closing Session"


def test_real_corpus_passages_fit_the_model_window() -> None:
    for doc in load_corpus(CORPUS).documents:
        for c in chunk_text(doc.text, DEFAULT).chunks:
            assert c.end - c.start <= DEFAULT.max_chars


@settings(max_examples=100, deadline=None)
@given(texts, st.lists(st.integers(min_value=0, max_value=3000), max_size=20))
def test_no_passage_crosses_a_page_break(text: str, candidates: list[int]) -> None:
    # Page starts are line starts: the PDF loader joins pages with a blank line.
    breaks = [b for b in candidates if 0 < b <= len(text) and text[b - 1] == "\n"]
    doc = chunk_text(text, SMALL, breaks=breaks)
    for c in doc.chunks:
        assert not any(c.start < b < c.end for b in breaks if b > 0)
