"""What an index records of its words and sentences besides vectors, computed once at build
time (``service.ingest.sentence_facts``) so that answering a question only reads.

- ``terms``: every analyzed token (``service.analysis``) of the passages and sentences, with
  the number of passages, as BM25 reads them, that hold it: the IDF weights of word overlap.
- ``sentence_words``, ``chunk_words``: the term ids of each sentence and each passage.
- ``names``, ``sentence_names``: the lower-cased capitalised words each sentence uses past its
  start (the names it gives).
- ``forms``, ``document_forms``, ``sentence_forms``, ``gap_forms``, ``chunk_forms``: the
  written word forms (``analysis.written_forms``) of each document with its catalogue entry,
  each sentence, the text between a sentence and the next in its document, and each passage,
  for telling whether a text mentions a question's name.
- ``sentence_links``: per sentence, the sentence it refers back to (``head``: itself unless it
  opens with a pronoun the sentences before it resolve) and the rows its quoted span runs over.
- ``sentence_flags``: bit flags of what each sentence is and states (``Flag``).

On disk: ``facts/`` in the build, the vocabularies as JSON, the rest as .npy files read
memory-mapped.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from service.analysis import name_forms
from service.tables import mapped_rows

FOLDER = "facts"
RAGGED = (
    "sentence_words",
    "chunk_words",
    "sentence_names",
    "document_forms",
    "sentence_forms",
    "gap_forms",
    "chunk_forms",
)


class Flag(enum.IntFlag):
    """What a sentence is and states, one bit each (``sentence_flags``)."""

    STATEMENT = 1  # four words or more, not a question: headings, bylines and questions answer nothing
    GIVES_REASON = 2
    GIVES_DEFINITION = 4
    STATES_COUNT = 8
    STATES_TIME = 16
    STATES_NUMBER = 32


@dataclass(frozen=True)
class Ragged:
    """Rows of ids of different lengths, stored flat: row ``i`` is ``ids[indptr[i]:indptr[i + 1]]``."""

    indptr: np.ndarray  # int64, one more than the rows
    ids: np.ndarray  # int32

    @classmethod
    def of(cls, rows: Iterable[Sequence[int]]) -> Ragged:
        lengths: list[int] = [0]
        flat: list[int] = []
        for row in rows:
            lengths.append(len(row))
            flat.extend(row)
        return cls(np.cumsum(lengths, dtype=np.int64), np.asarray(flat, dtype=np.int32))

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def row(self, i: int) -> np.ndarray:
        return self.ids[self.indptr[i] : self.indptr[i + 1]]

    def save(self, folder: Path, name: str) -> None:
        np.save(folder / f"{name}.indptr.npy", self.indptr)
        np.save(folder / f"{name}.ids.npy", self.ids)

    @classmethod
    def load(cls, folder: Path, name: str) -> Ragged:
        return cls(
            mapped_rows(folder / f"{name}.indptr.npy"),
            mapped_rows(folder / f"{name}.ids.npy"),
        )


@dataclass(frozen=True)
class Vocabulary:
    """Strings numbered in order; ``ids`` maps each back to its number."""

    strings: tuple[str, ...]

    @cached_property
    def ids(self) -> dict[str, int]:
        return {s: i for i, s in enumerate(self.strings)}

    def numbered(self, strings: Iterable[str]) -> list[int]:
        """The sorted ids of ``strings`` (all must be in the vocabulary)."""
        return sorted(self.ids[s] for s in set(strings))

    def words(self, ids: np.ndarray) -> frozenset[str]:
        return frozenset(self.strings[i] for i in ids.tolist())


@dataclass(frozen=True)
class Facts:
    terms: Vocabulary
    document_frequency: np.ndarray  # int32 per term
    passages: int
    sentence_words: Ragged
    chunk_words: Ragged
    names: Vocabulary
    sentence_names: Ragged
    forms: Vocabulary
    document_forms: Ragged  # per document ordinal, sorted
    sentence_forms: Ragged  # per sentence
    gap_forms: Ragged  # per sentence: the text after it, up to the next sentence of its document
    chunk_forms: Ragged  # per passage
    sentence_links: np.ndarray  # (sentences, 3) int32: head, first and last row of its quoted span
    sentence_flags: np.ndarray  # uint8 per sentence, ``Flag`` bits

    def idf(self, tokens: Iterable[str]) -> dict[str, float]:
        """BM25's inverse document frequency of each analyzed token over the passages; a token
        no passage holds gets the highest weight. Rare words ('priorities') count for more in
        word overlap than words on every page ('human', 'security')."""
        n = self.passages
        weights = {}
        for token in tokens:
            tid = self.terms.ids.get(token)
            df = int(self.document_frequency[tid]) if tid is not None else 0
            weights[token] = float(np.log(1 + (n - df + 0.5) / (df + 0.5)))
        return weights

    def indexed(self, token: str) -> bool:
        """True if some passage holds the analyzed ``token``."""
        tid = self.terms.ids.get(token)
        return tid is not None and int(self.document_frequency[tid]) > 0

    def form_ids(self, term: str) -> frozenset[int]:
        """The ids of the forms under which a text would hold ``term``: its ``name_forms``. A text
        mentions the term when its ``analysis.written_forms`` hold one of them."""
        return frozenset(i for f in name_forms(term) if (i := self.forms.ids.get(f)) is not None)

    def document_mentions(self, ordinal: int, term: str) -> bool:
        """True if document ``ordinal`` (or its catalogue entry) holds ``term`` in any case or
        form ('Japan' for 'Japanese'): the rule of ``form_ids``."""
        held = self.document_forms.row(ordinal)
        for fid in self.form_ids(term):
            at = int(np.searchsorted(held, fid))
            if at < len(held) and int(held[at]) == fid:
                return True
        return False

    def window_forms(self, first: int, last: int) -> set[int]:
        """The form ids of the text from sentence ``first`` through sentence ``last`` (one
        document), the text between them included."""
        held: set[int] = set()
        for row in range(first, last + 1):
            held.update(self.sentence_forms.row(row).tolist())
            if row < last:
                held.update(self.gap_forms.row(row).tolist())
        return held

    def save(self, build_dir: Path) -> None:
        folder = build_dir / FOLDER
        folder.mkdir()
        for name in ("terms", "names", "forms"):
            vocabulary: Vocabulary = getattr(self, name)
            (folder / f"{name}.json").write_text(json.dumps(vocabulary.strings, ensure_ascii=False))
        for name in RAGGED:
            ragged: Ragged = getattr(self, name)
            ragged.save(folder, name)
        np.save(folder / "document_frequency.npy", self.document_frequency.astype(np.int32))
        np.save(folder / "sentence_links.npy", self.sentence_links.astype(np.int32))
        np.save(folder / "sentence_flags.npy", self.sentence_flags.astype(np.uint8))
        (folder / "passages.json").write_text(json.dumps(self.passages))

    @classmethod
    def load(cls, build_dir: Path) -> Facts:
        folder = build_dir / FOLDER

        def vocabulary(name: str) -> Vocabulary:
            loaded = Vocabulary(tuple(json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))))
            _ = loaded.ids  # built now, not by the first request
            return loaded

        return cls(
            terms=vocabulary("terms"),
            document_frequency=mapped_rows(folder / "document_frequency.npy"),
            passages=int(json.loads((folder / "passages.json").read_text())),
            sentence_words=Ragged.load(folder, "sentence_words"),
            chunk_words=Ragged.load(folder, "chunk_words"),
            names=vocabulary("names"),
            sentence_names=Ragged.load(folder, "sentence_names"),
            forms=vocabulary("forms"),
            document_forms=Ragged.load(folder, "document_forms"),
            sentence_forms=Ragged.load(folder, "sentence_forms"),
            gap_forms=Ragged.load(folder, "gap_forms"),
            chunk_forms=Ragged.load(folder, "chunk_forms"),
            sentence_links=mapped_rows(folder / "sentence_links.npy"),
            sentence_flags=mapped_rows(folder / "sentence_flags.npy"),
        )

    def problems(self, documents: int, chunks: int, sentences: int) -> list[str]:
        """How these tables disagree with the build's counts (empty if they agree)."""
        found = []
        if len(self.document_forms) != documents:
            found.append(f"name forms for {len(self.document_forms)} documents")
        if len(self.chunk_words) != chunks or len(self.chunk_forms) != chunks or self.passages != chunks:
            found.append(f"word tables for {len(self.chunk_words)} passages")
        lengths = {
            len(self.sentence_words),
            len(self.sentence_names),
            len(self.sentence_links),
            len(self.sentence_forms),
            len(self.gap_forms),
        }
        if lengths != {sentences} or len(self.sentence_flags) != sentences:
            found.append(f"sentence facts for {sorted(lengths)} sentences")
        if len(self.document_frequency) != len(self.terms.strings):
            found.append("document frequencies do not match the terms")
        return found
