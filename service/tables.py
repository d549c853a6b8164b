"""How a build stores its passages and texts so that a loaded index holds neither one Python
object per passage nor every text in memory: at a million passages, a list of records costs
hundreds of megabytes and seconds to parse, and the texts themselves most of a gigabyte.

- ``ChunkTable``: the passages as one NumPy structured array (``chunks.npy``, read
  memory-mapped) beside the distinct section titles; a row becomes a ``ChunkRecord`` only
  when asked for.
- ``DocumentStore``: the documents' catalogue entries in memory (a few hundred bytes each)
  and their texts in SQLite (``documents.sqlite``), read on demand through a small cache.
"""

from __future__ import annotations

import json
import mmap
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, overload

import numpy as np

from service.records import ChunkRecord, Document


def mapped_rows(path: Path) -> np.ndarray:
    """A .npy file memory-mapped for reading rows here and there. The kernel is told the
    access is random, so reading one row does not map megabytes around it (disks read ahead
    up to 8 MB here, which made a 1M-passage index's resident pages balloon).

    It comes back as a plain ndarray over the same mapping: indexing a ``np.memmap`` runs
    Python code on every access, and the answer stage reads a thousand rows per question."""
    array = np.load(path, mmap_mode="r")
    handle = getattr(array, "_mmap", None)  # numpy keeps the mmap object here; absent if empty
    if handle is not None and hasattr(mmap, "MADV_RANDOM"):
        handle.madvise(mmap.MADV_RANDOM)
    return array.view(np.ndarray)  # its base, the memmap, keeps the mapping open


CHUNKS_FILE = "chunks.npy"
SECTIONS_FILE = "sections.json"
DOCUMENTS_FILE = "documents.sqlite"
#: Texts kept decoded per process: the documents a few concurrent questions read.
TEXT_CACHE = 256

CHUNK_DTYPE = np.dtype(
    [
        ("document", np.int32),  # ordinal in the build's document order
        ("section", np.int32),  # index into the section titles, -1 for none
        ("start", np.int64),
        ("end", np.int64),
        ("first_sentence", np.int64),  # global sentence row, inclusive
        ("last_sentence", np.int64),  # exclusive
    ]
)


@dataclass(frozen=True)
class ChunkTable(Sequence[ChunkRecord]):
    """The passages of one build, row ``i`` = passage ``i``; documents contiguous, in order."""

    rows: np.ndarray  # CHUNK_DTYPE
    document_ids: tuple[str, ...]  # by ordinal
    sections: tuple[str, ...]

    @classmethod
    def of(cls, records: Iterable[ChunkRecord], document_ids: Sequence[str]) -> ChunkTable:
        ordinal = {d: i for i, d in enumerate(document_ids)}
        sections: dict[str, int] = {}
        rows = [
            (
                ordinal[r.document_id],
                -1 if r.section is None else sections.setdefault(r.section, len(sections)),
                r.start,
                r.end,
                r.first_sentence,
                r.last_sentence,
            )
            for r in records
        ]
        return cls(np.array(rows, dtype=CHUNK_DTYPE), tuple(document_ids), tuple(sections))

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, i: int) -> ChunkRecord: ...

    @overload
    def __getitem__(self, i: slice) -> list[ChunkRecord]: ...

    def __getitem__(self, i: int | slice) -> ChunkRecord | list[ChunkRecord]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        document, section, start, end, first, last = self.rows[i].tolist()
        return ChunkRecord(
            self.document_ids[document],
            None if section < 0 else self.sections[section],
            start,
            end,
            first,
            last,
        )

    def sentence_bounds(self) -> np.ndarray:
        """Each passage's sentence rows [first, last) as an (n, 2) int64 array."""
        return np.stack([self.rows["first_sentence"], self.rows["last_sentence"]], axis=1).astype(np.int64)

    def document_ranges(self) -> dict[str, tuple[int, int]]:
        """Each document's passages [first, last), for the documents that have any."""
        ordinals = self.rows["document"]
        present, first = np.unique(ordinals, return_index=True)
        last = len(ordinals) - np.unique(ordinals[::-1], return_index=True)[1]
        return {
            self.document_ids[o]: (f, e)
            for o, f, e in zip(present.tolist(), first.tolist(), last.tolist(), strict=True)
        }

    def save(self, folder: Path) -> None:
        np.save(folder / CHUNKS_FILE, self.rows)
        (folder / SECTIONS_FILE).write_text(json.dumps(self.sections, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, document_ids: Sequence[str]) -> ChunkTable:
        rows = mapped_rows(folder / CHUNKS_FILE)
        if rows.dtype != CHUNK_DTYPE:
            raise ValueError(f"{CHUNKS_FILE} holds {rows.dtype}, not passages")
        sections = json.loads((folder / SECTIONS_FILE).read_text(encoding="utf-8"))
        return cls(rows, tuple(document_ids), tuple(sections))


_META = ("id", "file", "title", "author", "date", "kind", "url", "note", "pages")


def write_documents(path: Path, documents: Iterable[Document]) -> None:
    """One SQLite file, row ``ordinal`` = the build's document ``ordinal``."""
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE documents (ordinal INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, "
            "file TEXT, title TEXT, author TEXT, date TEXT, kind TEXT, url TEXT, note TEXT, "
            "pages TEXT, text TEXT NOT NULL)"
        )
        db.executemany(
            "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    i,
                    *map(d.metadata().get, _META[:-1]),
                    None if d.pages is None else json.dumps(d.pages),
                    d.text,
                )
                for i, d in enumerate(documents)
            ),
        )
    db.close()


class StoredDocument(Document):
    """A ``Document`` whose text stays in the build's SQLite file until it is read. Built
    without ``__init__``: ``text`` is never set on the instance, so reading it falls through
    to ``__getattr__``, which fetches it (cached) from the store."""

    _store: DocumentStore
    _ordinal: int

    def __getattr__(self, name: str) -> Any:
        if name == "text":
            return self._store.text(self._ordinal)
        raise AttributeError(name)


class DocumentStore(Mapping[str, Document]):
    """The documents of one build by id, in build order; texts read from SQLite on demand."""

    def __init__(self, path: Path) -> None:
        # Read-only and immutable: no locks taken, and a build unlinked by a newer publish
        # stays readable while this connection holds it open.
        self._db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        self._docs: dict[str, StoredDocument] = {}
        rows = self._db.execute(f"SELECT ordinal, {', '.join(_META)} FROM documents ORDER BY ordinal")
        for expected, (ordinal, *meta) in enumerate(rows):
            if ordinal != expected:
                raise ValueError(f"{path.name}: document rows are not numbered 0..n-1")
            fields = dict(zip(_META, meta, strict=True))
            fields["pages"] = tuple(json.loads(fields["pages"])) if fields["pages"] else None
            doc = object.__new__(StoredDocument)
            for name, value in {**fields, "_store": self, "_ordinal": ordinal}.items():
                object.__setattr__(doc, name, value)
            self._docs[doc.id] = doc
        self.text = lru_cache(maxsize=TEXT_CACHE)(self._read_text)

    def _read_text(self, ordinal: int) -> str:
        with self._lock:
            (text,) = self._db.execute("SELECT text FROM documents WHERE ordinal = ?", (ordinal,)).fetchone()
        return str(text)

    def __getitem__(self, document_id: str) -> Document:
        return self._docs[document_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._docs)

    def __len__(self) -> int:
        return len(self._docs)
