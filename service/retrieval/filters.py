"""Narrowing a question to some documents: by id, kind, source (author or publisher) and date.

A filter is resolved against the loaded index into the set of passages it allows
(``Selection``); ranking then searches only those (``Searcher.rank``), so when at least
``top_k`` passages match, every result falls inside the filter.

Dates are as precise as the catalogue knows them ('2005', '2005-03', '2005-03-14'). A date
stands for its whole span: a document dated '2005' matches ``from=2005-06-01``, since it may
fall in that range. A date filter leaves out undated documents, and says how many.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

import numpy as np

from service.errors import InvalidFilter
from service.records import Document
from service.store import IndexData

#: A year, a month or a day as written in a filter (also the request schemas' pattern);
#: whether the day is on the calendar is ``date_span``'s to check.
DATE_PATTERN = r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$"
_DATE = re.compile(DATE_PATTERN)
DATE_FORMS = "write a year (2005), a month (2005-03) or a day (2005-03-14)"


def date_span(value: str) -> tuple[date, date]:
    """The first and last day a date written as 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD' stands for;
    ValueError, saying which forms are read, for anything else."""
    m = _DATE.match(value.strip())
    if not m:
        raise ValueError(f"{value!r} is not a date; {DATE_FORMS}")
    year, month, day = int(m[1]), m[2], m[3]
    try:
        if month is None:
            return date(year, 1, 1), date(year, 12, 31)
        if day is None:
            last = calendar.monthrange(year, int(month))[1]
            return date(year, int(month), 1), date(year, int(month), last)
        exact = date(year, int(month), int(day))
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a date on the calendar ({exc})") from None
    return exact, exact


@dataclass(frozen=True)
class Filters:
    """What a question is narrowed to; every part given must hold (an empty part allows all)."""

    documents: tuple[str, ...] = ()  # document ids: any of them
    kinds: tuple[str, ...] = ()  # catalogue kinds: any of them
    source: str | None = None  # part of the author or publisher, in any case
    date_from: str | None = None  # inclusive, 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'
    date_to: str | None = None  # inclusive

    def __post_init__(self) -> None:
        if self.date_from and self.date_to and date_span(self.date_from)[0] > date_span(self.date_to)[1]:
            raise ValueError(f"from ({self.date_from}) is after to ({self.date_to}); swap them")

    @property
    def empty(self) -> bool:
        return not (self.documents or self.kinds or self.source or self.date_from or self.date_to)

    @property
    def dated(self) -> bool:
        return bool(self.date_from or self.date_to)

    def allows(self, doc: Document) -> bool:
        """True if ``doc`` passes every part of the filter (undated documents fail a date filter)."""
        if self.documents and doc.id not in self.documents:
            return False
        if self.kinds and doc.kind not in self.kinds:
            return False
        if self.source and self.source.casefold() not in (doc.author or "").casefold():
            return False
        if self.dated:
            span = document_span(doc)
            if span is None:
                return False
            low = date_span(self.date_from)[0] if self.date_from else date.min
            high = date_span(self.date_to)[1] if self.date_to else date.max
            return span[0] <= high and span[1] >= low
        return True


def document_span(doc: Document) -> tuple[date, date] | None:
    """The days a document's catalogue date stands for; None if it has none we can read."""
    if not doc.date:
        return None
    try:
        return date_span(doc.date)
    except ValueError:
        return None


@dataclass(frozen=True)
class Selection:
    """The passages a filter allows in one loaded index."""

    chunks: np.ndarray  # sorted chunk ids, int64
    documents: tuple[str, ...]  # the matching documents, in index order
    undated_left_out: int  # documents a date filter left out for having no date


def select(index: IndexData, filters: Filters) -> Selection:
    """The passages of ``index`` that ``filters`` allow. ``InvalidFilter``, listing the valid
    values, for a document id or kind the index does not hold."""
    unknown_ids = sorted(set(filters.documents) - set(index.documents))
    if unknown_ids:
        raise InvalidFilter(
            f"unknown document id(s) {', '.join(map(repr, unknown_ids))}; "
            f"valid ids: {', '.join(index.document_order)}"
        )
    kinds = sorted({d.kind for d in index.documents.values()})
    unknown_kinds = sorted(set(filters.kinds) - set(kinds))
    if unknown_kinds:
        raise InvalidFilter(
            f"unknown kind(s) {', '.join(map(repr, unknown_kinds))}; valid kinds: {', '.join(kinds)}"
        )
    chosen = [d for d in index.document_order if filters.allows(index.documents[d])]
    undated = 0
    if filters.dated:
        undated_filter = Filters(filters.documents, filters.kinds, filters.source)  # the same, undated
        undated = sum(
            1
            for d in index.document_order
            if document_span(index.documents[d]) is None and undated_filter.allows(index.documents[d])
        )
    ranges = index.chunk_ranges
    ids = [np.arange(*ranges.get(d, (0, 0)), dtype=np.int64) for d in chosen]  # a text may have no passage
    chunks = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
    return Selection(chunks=chunks, documents=tuple(chosen), undated_left_out=undated)
