"""The two records every stage shares: a document as read and one passage of it. Their own
module so that the ingest side, the index files (``service.store``, ``service.tables``) and
retrieval import them without importing each other."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Document:
    """A text as stored: exactly as read, with its catalogue entry. Every citation is a pair
    of character offsets into ``text``."""

    id: str
    file: str
    title: str
    text: str
    author: str | None = None
    date: str | None = None
    kind: str = "text"
    url: str | None = None
    note: str | None = None
    pages: tuple[int, ...] | None = None  # start offset of each page, for PDFs

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def metadata(self) -> dict[str, str | None]:
        return {
            "id": self.id,
            "file": self.file,
            "title": self.title,
            "author": self.author,
            "date": self.date,
            "kind": self.kind,
            "url": self.url,
            "note": self.note,
        }


@dataclass(frozen=True)
class ChunkRecord:
    document_id: str
    section: str | None
    start: int
    end: int
    first_sentence: int  # global sentence row, inclusive
    last_sentence: int  # exclusive
