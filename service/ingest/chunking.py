"""Cutting a text into citable passages.

Invariants, property-tested in ``tests/test_chunking.py``:
- every sentence and every chunk is an exact slice ``text[start:end]`` of the stored text;
- no chunk contains a noise line (image placeholder, navigation, template debris, footnote);
- no chunk crosses a heading, and each records the nearest heading above it as ``section``;
- no chunk is longer than ``max_chars`` (a longer sentence is cut at a space).

Sentences never cross a line break: extracted web and PDF texts put one paragraph, table row
or list item per line, and a line break is a safer boundary than any punctuation rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from service.config import ChunkingSettings
from service.records import Document

# Lines that are never text: whole-line patterns, matched against the stripped line.
NOISE_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"^【[^】]*】$"),  # image placeholders such as 【画像】
    re.compile(r"^(back to (index|top)|page top|top of page|print( this page)?)$", re.I),
    re.compile(r"%!\w?\(\w*=?<nil>\)|%!s\(|<nil>"),  # Go template debris: SDGs%!s(<nil>)
    re.compile(r"^\^\{\d+\.?\}"),  # footnote lines of PDF extractions: ^{12.} ICISS, ...
    # A footnote that lost its marker (continued past a page break): a line holding a full
    # reference, '(New York: Oxford University Press, 1994)' or '26 (2) (2001): pp. 87–102',
    # or a web one, '…, available at: http://…, accessed on 31 March 2004'. A heading's
    # source note, '(Based on: Higashi and Mine, …, 2017)', names no city: it is text.
    re.compile(r"\((1[89]|20)\d\d\): pp?\. ?\w|\([A-Z][\w.'-]*(,? [A-Z][\w.'-]*)*: [^()]*, (1[89]|20)\d\d\)"),
    re.compile(r"\bavailable at:\s*(https?://|$)|\baccessed on \d{1,2} [A-Z][a-z]+ (1[89]|20)\d\d"),
    re.compile(r"^[\W_]*$"),  # no letter or digit at all: bullets, rules, stray symbols
)

_HEADING_MAX_CHARS = 100
_HEADING_MAX_WORDS = 14
_HEADING_BAD_ENDINGS = tuple(".,;:")

# A sentence ends at . ! ? or … followed by whitespace, with any closing quotes or brackets
# (German-style »…« included) and then any footnote number: '…threats.«¹⁸ Then', '….«6 He'.
_BOUNDARY = re.compile(r"[.!?…]+(?:[\"'”’»«)\]]+[0-9⁰¹²³⁴⁵⁶⁷⁸⁹]*|[⁰¹²³⁴⁵⁶⁷⁸⁹]+)?(?=\s)")
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "no",
        "nos",
        "vs",
        "e.g",
        "i.e",
        "etc",
        "cf",
        "p",
        "pp",
        "vol",
        "ed",
        "eds",
        "jr",
        "sr",
        "u.s",
        "u.n",
        "inc",
        "ltd",
        "co",
        "al",
        "fig",
        "ch",
        "art",
        "approx",
        "dept",
        "gen",
        "gov",
        "sen",
        "rep",
        "op",
        "loc",
        "cit",
        "ibid",
        "viz",
    ]
)


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    start: int
    end: int
    section: str | None
    first_sentence: int  # index into the document's sentence list
    last_sentence: int  # exclusive


@dataclass(frozen=True)
class ChunkedDocument:
    sentences: list[Span]
    chunks: list[Chunk]


def is_noise(line: str) -> bool:
    stripped = line.strip()
    return any(p.search(stripped) for p in NOISE_PATTERNS)


def is_heading(line: str, alone: bool) -> bool:
    """A heading is a short line standing alone in its block that does not end a sentence."""
    stripped = line.strip()
    if not alone or not stripped or len(stripped) > _HEADING_MAX_CHARS:
        return False
    if stripped.endswith(_HEADING_BAD_ENDINGS) or len(stripped.split()) > _HEADING_MAX_WORDS:
        return False
    letters = [c for c in stripped if c.isalpha()]
    if letters and all(c.isupper() for c in letters) and len(letters) > 3:
        return False  # an all-capitals byline, e.g. "DAVID BOSOLD / SASCHA WERTHES"
    return stripped[0].isupper() or stripped[0].isdigit() or stripped[0] in "\"'“‘»«(["


def _lines(text: str) -> Iterator[Span]:
    start = 0
    for line in text.split("\n"):
        yield Span(start, start + len(line))
        start += len(line) + 1


def _strip(text: str, span: Span) -> Span | None:
    piece = text[span.start : span.end]
    left = len(piece) - len(piece.lstrip())
    right = len(piece.rstrip())
    if right <= left:
        return None
    return Span(span.start + left, span.start + right)


def _is_abbreviation(text: str, dot: int) -> bool:
    """True if the period at ``dot`` closes an abbreviation or an initial, not a sentence."""
    word_start = dot
    while word_start > 0 and not text[word_start - 1].isspace() and text[word_start - 1] not in "(\"“'":
        word_start -= 1
    word = text[word_start:dot].lower()
    if word in _ABBREVIATIONS:
        return True
    return len(word) == 1 and word.isalpha()  # an initial: "Cheryl O. Igiri"


def split_sentences(text: str, span: Span) -> list[Span]:
    """Sentences of one line of ``text``, as stripped spans."""
    pieces: list[Span] = []
    start = span.start
    line = text[: span.end]
    for m in _BOUNDARY.finditer(line, span.start, span.end):
        end = m.end()
        if m.group().startswith(".") and m.end() - m.start() == 1 and _is_abbreviation(text, m.start()):
            continue
        nxt = end
        while nxt < span.end and text[nxt].isspace():
            nxt += 1
        if nxt < span.end and text[nxt].islower():
            continue  # "etc. and", "p. 3" — a lower-case word rarely starts a sentence
        piece = _strip(text, Span(start, end))
        if piece:
            pieces.append(piece)
        start = end
    rest = _strip(text, Span(start, span.end))
    if rest:
        pieces.append(rest)
    return pieces


def _cut_long(text: str, span: Span, max_chars: int) -> list[Span]:
    """Cut a sentence longer than ``max_chars`` at spaces (or anywhere if it has none)."""
    out: list[Span] = []
    start = span.start
    while span.end - start > max_chars:
        limit = start + max_chars
        cut = text.rfind(" ", start + 1, limit + 1)
        cut = cut if cut > start else limit
        piece = _strip(text, Span(start, cut))
        if piece:
            out.append(piece)
        start = cut
    piece = _strip(text, Span(start, span.end))
    if piece:
        out.append(piece)
    return out


def _segments(text: str, breaks: Sequence[int] = ()) -> Iterator[tuple[str | None, list[Span]]]:
    """Runs of body lines between headings, noise and ``breaks`` (page starts), each with
    the heading above it."""
    lines = list(_lines(text))
    blank = [not text[s.start : s.end].strip() for s in lines]
    pending_breaks = sorted(b for b in breaks if b > 0)
    section: str | None = None
    current: list[Span] = []
    for i, span in enumerate(lines):
        if blank[i]:
            continue
        if pending_breaks and span.start >= pending_breaks[0]:
            while pending_breaks and span.start >= pending_breaks[0]:
                pending_breaks.pop(0)
            if current:
                yield section, current
            current = []
        line = text[span.start : span.end]
        alone = (i == 0 or blank[i - 1]) and (i + 1 == len(lines) or blank[i + 1])
        if is_noise(line):
            if current:
                yield section, current
            current = []
        elif is_heading(line, alone):
            if current:
                yield section, current
            current = []
            section = line.strip()
        else:
            current.append(span)
    if current:
        yield section, current


def chunk_text(text: str, settings: ChunkingSettings, breaks: Sequence[int] = ()) -> ChunkedDocument:
    """Sentences and overlapping passages of ``text``, as offsets into it; no passage
    crosses an offset in ``breaks`` (the start of a PDF page)."""
    sentences: list[Span] = []
    chunks: list[Chunk] = []
    for section, body_lines in _segments(text, breaks):
        first = len(sentences)
        for line in body_lines:
            for sentence in split_sentences(text, line):
                sentences.extend(_cut_long(text, sentence, settings.max_chars))
        _pack(sentences, first, len(sentences), section, settings, chunks)
    return ChunkedDocument(sentences=sentences, chunks=chunks)


def chunk_document(doc: Document, settings: ChunkingSettings) -> ChunkedDocument:
    """A stored document's sentences and passages: its text cut at its page breaks (a PDF's)."""
    return chunk_text(doc.text, settings, breaks=doc.pages or ())


def _pack(
    sentences: list[Span],
    lo: int,
    hi: int,
    section: str | None,
    settings: ChunkingSettings,
    out: list[Chunk],
) -> None:
    """Greedily pack sentences ``lo:hi`` into chunks near the target size, with overlap."""
    i = lo
    while i < hi:
        j = i + 1
        while j < hi:
            size = sentences[j].end - sentences[i].start
            if (
                size > settings.max_chars
                or sentences[j - 1].end - sentences[i].start >= settings.target_chars
            ):
                break
            j += 1
        out.append(Chunk(sentences[i].start, sentences[j - 1].end, section, i, j))
        if j >= hi:
            break
        i = max(i + 1, j - settings.overlap_sentences)
