"""Reading the corpus folder: texts plus their metadata from ``catalog.toml``.

Texts are kept exactly as read (only line endings are normalised to ``\\n``): every citation
is a pair of character offsets into this stored text, so nothing here may edit it.
"""

from __future__ import annotations

import hashlib
import logging
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from service.errors import SkippedFile

log = logging.getLogger(__name__)

CATALOG_NAME = "catalog.toml"
TEXT_SUFFIXES = (".txt", ".md")
_ID_UNSAFE = re.compile(r"[^a-z0-9._-]+")
_MAX_TITLE_CHARS = 200


@dataclass(frozen=True)
class Document:
    id: str
    file: str
    title: str
    text: str
    author: str | None = None
    date: str | None = None
    kind: str = "text"
    url: str | None = None
    note: str | None = None

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


@dataclass
class CorpusReport:
    """What a read of the corpus found, so the script can print one honest summary."""

    documents: list[Document] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # file name -> why


def document_id(file_name: str) -> str:
    """A URL-safe id from a file name: ``Bosold Werthes 2005.txt`` -> ``bosold-werthes-2005``."""
    stem = Path(file_name).stem.lower()
    return _ID_UNSAFE.sub("-", stem).strip("-.") or "document"


def read_text_file(path: Path) -> str:
    """Decode a text file, refusing what is not text so that the build can skip it."""
    data = path.read_bytes()
    if not data:
        raise SkippedFile(f"{path.name}: file is empty")
    if b"\x00" in data[:8192]:
        raise SkippedFile(f"{path.name}: looks binary (NUL bytes); save it as UTF-8 text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SkippedFile(
            f"{path.name}: not valid UTF-8 (byte {exc.start}); re-save it as UTF-8"
        ) from exc
    if not text.strip():
        raise SkippedFile(f"{path.name}: holds only whitespace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def load_catalog(corpus_dir: Path) -> dict[str, dict[str, str]]:
    path = corpus_dir / CATALOG_NAME
    if not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise SkippedFile(
            f"{CATALOG_NAME}: not valid TOML ({exc}); fix it, metadata falls back to defaults"
        ) from exc
    return {name: entry for name, entry in raw.items() if isinstance(entry, dict)}


def default_title(text: str, file_name: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line[:_MAX_TITLE_CHARS]
    return Path(file_name).stem


def _optional(entry: dict[str, object], key: str) -> str | None:
    value = entry.get(key)
    return None if value is None else str(value)


def iter_corpus_files(corpus_dir: Path) -> Iterator[Path]:
    for path in sorted(corpus_dir.iterdir()):
        if path.is_file() and path.suffix.lower() in TEXT_SUFFIXES and path.name != "README.md":
            yield path


def load_corpus(corpus_dir: Path) -> CorpusReport:
    """Read every text in ``corpus_dir``; a file that cannot be read is skipped and reported."""
    if not corpus_dir.is_dir():
        raise FileNotFoundError(
            f"corpus folder {corpus_dir} does not exist; create it or pass --corpus DIR"
        )
    report = CorpusReport()
    try:
        catalog = load_catalog(corpus_dir)
    except SkippedFile as exc:
        log.warning("%s", exc)
        report.skipped[CATALOG_NAME] = str(exc)
        catalog = {}
    seen: dict[str, str] = {}
    for path in iter_corpus_files(corpus_dir):
        doc_id = document_id(path.name)
        if doc_id in seen:
            why = f"{path.name}: id {doc_id!r} already taken by {seen[doc_id]}; rename one of them"
            log.warning("skipping %s", why)
            report.skipped[path.name] = why
            continue
        try:
            text = read_text_file(path)
        except (SkippedFile, OSError) as exc:
            log.warning("skipping %s", exc)
            report.skipped[path.name] = str(exc)
            continue
        entry = catalog.get(path.name, {})
        seen[doc_id] = path.name
        report.documents.append(
            Document(
                id=doc_id,
                file=path.name,
                title=_optional(entry, "title") or default_title(text, path.name),
                text=text,
                author=_optional(entry, "author"),
                date=_optional(entry, "date"),
                kind=_optional(entry, "kind") or "text",
                url=_optional(entry, "url"),
                note=_optional(entry, "note"),
            )
        )
    return report
