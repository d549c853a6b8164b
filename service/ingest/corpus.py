"""Reading the corpus folder: texts (see ``service.ingest.loaders`` for the formats) plus their
metadata from front matter, ``catalog.toml`` and the files themselves.

Texts are kept exactly as read (only line endings are normalised to ``\\n``): every citation
is a pair of character offsets into this stored text, so nothing here may edit it.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from service.errors import SkippedFile
from service.ingest.loaders import LOADERS, META_KEYS, Loaded, load_file
from service.records import Document

log = logging.getLogger(__name__)

CATALOG_NAME = "catalog.toml"
_ID_UNSAFE = re.compile(r"[^a-z0-9._-]+")
_MAX_TITLE_CHARS = 200


@dataclass
class CorpusReport:
    """What a read of the corpus found, so the script can print one honest summary."""

    documents: list[Document] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # file name -> why


def document_id(file_name: str) -> str:
    """A URL-safe id from a file name: ``Bosold Werthes 2005.txt`` -> ``bosold-werthes-2005``."""
    stem = Path(file_name).stem.lower()
    return _ID_UNSAFE.sub("-", stem).strip("-.") or "document"


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


def merged_metadata(loaded: Loaded, catalog_entry: Mapping[str, object]) -> dict[str, str | None]:
    """Front matter first, then the catalog, then what the file says of itself."""
    catalog = {k: str(v) for k, v in catalog_entry.items() if k in META_KEYS and v is not None}
    return {k: loaded.front_matter.get(k) or catalog.get(k) or loaded.intrinsic.get(k) for k in META_KEYS}


def iter_corpus_files(corpus_dir: Path) -> Iterator[Path]:
    for path in sorted(corpus_dir.iterdir()):
        if path.is_file() and path.suffix.lower() in LOADERS and path.name != "README.md":
            yield path


def open_corpus(corpus_dir: Path) -> tuple[dict[str, dict[str, str]], CorpusReport]:
    """The catalogue and an empty report (noting a catalogue that cannot be read)."""
    if not corpus_dir.is_dir():
        raise FileNotFoundError(f"corpus folder {corpus_dir} does not exist; create it or pass --corpus DIR")
    report = CorpusReport()
    try:
        catalog = load_catalog(corpus_dir)
    except SkippedFile as exc:
        log.warning("%s", exc)
        report.skipped[CATALOG_NAME] = str(exc)
        catalog = {}
    return catalog, report


def read_document(path: Path, catalog_entry: Mapping[str, object]) -> Document | str:
    """One file as a document, or why it cannot be read. Pure, so that a cluster's workers can
    run it on any node that sees the corpus folder."""
    try:
        loaded = load_file(path)
    except (SkippedFile, OSError) as exc:
        return str(exc)
    meta = merged_metadata(loaded, catalog_entry)
    return Document(
        id=document_id(path.name),
        file=path.name,
        title=meta["title"] or default_title(loaded.text, path.name),
        text=loaded.text,
        author=meta["author"],
        date=meta["date"],
        kind=meta["kind"] or "text",
        url=meta["url"],
        note=meta["note"],
        pages=loaded.pages,
    )


def admit(report: CorpusReport, seen: dict[str, str], path: Path, read: Document | str) -> bool:
    """Add one file's read to ``report``, files taken in name order: skipped if an earlier file
    holds its id or it could not be read, else kept. Returns whether it was kept."""
    doc_id = document_id(path.name)
    if doc_id in seen:
        why = f"{path.name}: id {doc_id!r} already taken by {seen[doc_id]}; rename one of them"
    elif isinstance(read, str):
        why = read
    else:
        seen[doc_id] = path.name
        report.documents.append(read)
        return True
    log.warning("skipping %s", why)
    report.skipped[path.name] = why
    return False


def load_corpus(corpus_dir: Path, progress: bool = False) -> CorpusReport:
    """Read every text in ``corpus_dir``; a file that cannot be read is skipped and reported."""
    catalog, report = open_corpus(corpus_dir)
    seen: dict[str, str] = {}
    files = list(iter_corpus_files(corpus_dir))
    for path in tqdm(files, desc="reading", unit="file", disable=not progress):
        taken = document_id(path.name) in seen  # a file whose id is taken is not even read
        admit(report, seen, path, "id taken" if taken else read_document(path, catalog.get(path.name, {})))
    return report
