"""Filters and quotation matching as pure logic: dates as spans, what a filter lets through,
how a quotation is normalised and mapped back to exact offsets. No model."""

from __future__ import annotations

from datetime import date

import pytest

from service.records import Document
from service.retrieval.filters import Filters, date_span, select
from service.retrieval.quotes import QuoteChecker, normalise
from tests.support import OGATA_TEXT, small_index


def doc(
    date_: str | None, kind: str = "report", author: str | None = "Ministry of Foreign Affairs of Japan"
) -> Document:
    return Document(id="d", file="d.txt", title="D", text="x", author=author, date=date_, kind=kind)


@pytest.mark.parametrize(
    ("written", "span"),
    [
        ("2005", (date(2005, 1, 1), date(2005, 12, 31))),
        ("2024-02", (date(2024, 2, 1), date(2024, 2, 29))),
        ("2000-08-02", (date(2000, 8, 2), date(2000, 8, 2))),
    ],
)
def test_a_date_stands_for_its_whole_span(written: str, span: tuple[date, date]) -> None:
    assert date_span(written) == span


@pytest.mark.parametrize("written", ["20x", "2005-13", "2005-02-30", "05", "2005/01/01", ""])
def test_a_date_that_cannot_be_read_says_which_forms_are_read(written: str) -> None:
    with pytest.raises(ValueError, match="date"):
        date_span(written)


def test_from_after_to_is_refused() -> None:
    with pytest.raises(ValueError, match="after"):
        Filters(date_from="2010", date_to="2001")


@pytest.mark.parametrize(
    ("filters", "document", "allowed"),
    [
        (Filters(date_to="2004"), doc("2005"), False),
        (Filters(date_from="2005-06-01"), doc("2005"), True),  # it may fall in that range
        (Filters(date_from="2000", date_to="2000"), doc("2000-08-02"), True),
        (Filters(date_from="2000"), doc(None), False),  # undated: out of any date filter
        (Filters(kinds=("report",)), doc(None), True),
        (Filters(source="foreign affairs"), doc("2005"), True),
        (Filters(source="JICA"), doc("2005"), False),
        (Filters(source="JICA"), doc("2005", author=None), False),
        (Filters(documents=("other",)), doc("2005"), False),
        (Filters(), doc(None), True),
    ],
)
def test_what_a_filter_lets_through(filters: Filters, document: Document, allowed: bool) -> None:
    assert filters.allows(document) is allowed


def test_a_selection_is_every_passage_of_the_matching_documents_and_nothing_else() -> None:
    index = small_index(OGATA_TEXT)
    everything = select(index, Filters(documents=("small",)))
    assert everything.chunks.tolist() == list(range(len(index.chunks)))
    nothing = select(index, Filters(date_from="2001"))  # the small text is undated
    assert len(nothing.chunks) == 0 and nothing.undated_left_out == 1


def test_normalising_folds_case_quotes_dashes_ellipses_and_spaces_and_keeps_offsets() -> None:
    text = "He said:  “Freedom — from\nFEAR…”"
    normal, offsets = normalise(text)
    assert normal == "he said: freedom - from fear..."
    assert text[offsets[normal.index("fear")] :].startswith("FEAR")
    assert offsets[-1] == len(text)


def test_a_quotation_is_found_verbatim_nearly_or_not_at_all() -> None:
    index = small_index(OGATA_TEXT)
    checker = QuoteChecker(index)
    verdict, [match] = checker.check("sadako ogata led the UN  refugee agency")
    assert (
        verdict == "exact" and OGATA_TEXT[match.start : match.end] == "Sadako Ogata led the UN refugee agency"
    )
    assert OGATA_TEXT[match.sentence_start : match.sentence_end].endswith("for ten years.")
    verdict, [near] = checker.check("Sadako Ogata headed the UN refugee agency for ten years")
    assert verdict == "near" and 0.85 <= near.similarity < 1
    assert [(d.quoted, d.text) for d in near.differences] == [("headed", "led")]
    assert checker.check("The cat sat on the mat in Zanzibar") == ("not_found", [])


def test_a_text_with_no_passages_is_selected_without_failing() -> None:
    index = small_index(OGATA_TEXT)
    cover = Document(id="cover", file="cover.txt", title="Cover", text="Human Security Now\n")
    index.documents["cover"] = cover
    index.document_order.append("cover")
    selection = select(index, Filters(kinds=("text",)))
    assert selection.documents == ("small", "cover") and len(selection.chunks) == len(index.chunks)


@pytest.mark.parametrize(
    "quotation",
    [
        "adako Ogata led the UN",  # starts inside a word
        "Ogata led the UN refugee agen",  # ends inside a word
        "She said that peoples must be protected",  # 'people' is not 'peoples'
    ],
)
def test_part_of_a_word_is_never_a_verbatim_match(quotation: str) -> None:
    verdict, _ = QuoteChecker(small_index(OGATA_TEXT)).check(quotation)
    assert verdict != "exact"


def test_apostrophes_inside_words_count_and_quotation_marks_do_not() -> None:
    assert normalise("people's")[0] != normalise("peoples")[0]
    assert normalise("it’s")[0] == normalise("it's")[0] == "it's"
    assert normalise("“ Human security ”")[0] == "human security"
    assert normalise('he said " we must')[0] == "he said we must"
