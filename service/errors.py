"""Domain errors. The core raises these; the HTTP layer maps each to one status code."""

from __future__ import annotations


class HSQAError(Exception):
    """Base class: every message says what went wrong and what to do about it."""


class IndexUnavailable(HSQAError):
    """No usable index: missing, half-written, corrupt, or built for another model."""


class DocumentNotFound(HSQAError):
    """A document id that the loaded index does not hold."""


class InvalidFilter(HSQAError):
    """A filter naming a document or kind the loaded index does not hold."""


class SkippedFile(HSQAError):
    """A corpus file that cannot be read as text; the build goes on without it."""


class ModelUnavailable(HSQAError):
    """A model the settings name (the answer model, a reranker) that cannot be loaded."""
