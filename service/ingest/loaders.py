"""Turning a corpus file into the text that is stored and cited, plus what the file itself
says about its metadata. One loader per format; anything unreadable raises ``SkippedFile``
with the reason, so the build can skip it and go on.

- ``.txt`` / ``.md``: UTF-8 text; an optional YAML front matter block (``---`` lines) gives
  metadata and is not part of the stored text.
- ``.html`` / ``.htm``: the main text only (trafilatura drops navigation, scripts, styles);
  metadata from ``<title>`` and meta tags.
- ``.pdf``: text page by page (pypdf), pages separated by a blank line; the start offset of
  every page is kept, so a citation can name its page. Metadata from the PDF's info.
- ``.docx``: paragraphs and tables in document order (python-docx), a blank line between
  blocks, so a heading paragraph stands alone and becomes its passages' section; a table is
  one block, a row per line, cells joined by `` | ``. Metadata from the core properties.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from service.errors import SkippedFile

log = logging.getLogger(__name__)

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.S)
META_KEYS = ("title", "author", "date", "kind", "url", "note")


@dataclass(frozen=True)
class Loaded:
    text: str
    front_matter: dict[str, str] = field(default_factory=dict)  # declared by the maintainer: wins
    intrinsic: dict[str, str] = field(default_factory=dict)  # what the file says of itself: loses
    pages: tuple[int, ...] | None = None  # start offset of each page (PDF)


def _decode(path: Path, data: bytes) -> str:
    if not data:
        raise SkippedFile(f"{path.name}: file is empty")
    if b"\x00" in data[:8192]:
        raise SkippedFile(f"{path.name}: looks binary (NUL bytes); save it as UTF-8 text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SkippedFile(f"{path.name}: not valid UTF-8 (byte {exc.start}); re-save it as UTF-8") from exc
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _require_text(path: Path, text: str, what: str = "holds only whitespace") -> str:
    if not text.strip():
        raise SkippedFile(f"{path.name}: {what}")
    return text


def _clean_meta(raw: object) -> dict[str, str]:
    if not isinstance(raw, dict):
        return {}
    return {k: str(v).strip() for k, v in raw.items() if k in META_KEYS and v is not None and str(v).strip()}


def load_text(path: Path) -> Loaded:
    import yaml

    text = _decode(path, path.read_bytes())
    meta: dict[str, str] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            meta = _clean_meta(yaml.safe_load(match.group(1)))
        except yaml.YAMLError as exc:
            raise SkippedFile(
                f"{path.name}: front matter is not valid YAML ({exc.__class__.__name__}); fix it"
            ) from exc
        text = text[match.end() :]
    return Loaded(_require_text(path, text), front_matter=meta)


def load_html(path: Path) -> Loaded:
    import trafilatura

    html = _decode(path, path.read_bytes())
    text = trafilatura.extract(
        html,
        output_format="txt",
        include_comments=False,
        include_tables=True,
        favor_precision=True,
        deduplicate=False,
    )
    text = _require_text(path, text or "", "no main text found in the page")
    meta: dict[str, str] = {}
    info = trafilatura.extract_metadata(html)
    if info is not None:
        meta = _clean_meta(
            {"title": info.title, "author": info.author or info.sitename, "date": info.date, "url": info.url}
        )
    return Loaded(text, intrinsic=meta)


def load_pdf(path: Path) -> Loaded:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise SkippedFile(f"{path.name}: PDF is encrypted; save an unencrypted copy")
        pieces: list[str] = []
        pages: list[int] = []
        offset = 0
        for page in reader.pages:
            page_text = (page.extract_text() or "").replace("\r\n", "\n").replace("\r", "\n").strip("\n")
            pages.append(offset)
            pieces.append(page_text)
            offset += len(page_text) + 2  # the "\n\n" that joins pages
        info: Mapping[str, Any] = reader.metadata or {}
        meta = _clean_meta({"title": info.get("/Title"), "author": info.get("/Author")})
        date = getattr(reader.metadata, "creation_date", None) if reader.metadata else None
    except SkippedFile:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError, RecursionError) as exc:
        raise SkippedFile(f"{path.name}: not a readable PDF ({exc.__class__.__name__}: {exc})") from exc
    if date is not None:
        meta.setdefault("date", date.date().isoformat())
    text = _require_text(path, "\n\n".join(pieces), "PDF has no extractable text (scanned? run OCR first)")
    return Loaded(text, intrinsic=meta, pages=tuple(pages))


def _docx_blocks(document: Any) -> list[str]:
    """The text of each paragraph and table of a Word document's body, in order."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    blocks: list[str] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            text = item.text.strip()
            if text:
                blocks.append(text)
        elif isinstance(item, Table):
            rows = []
            for row in item.rows:
                cells: list[str] = []
                for cell in row.cells:
                    value = " ".join(cell.text.split())
                    if value and (not cells or cells[-1] != value):  # a merged cell repeats
                        cells.append(value)
                if cells:
                    rows.append(" | ".join(cells))
            if rows:
                blocks.append("\n".join(rows))
    return blocks


def load_docx(path: Path) -> Loaded:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import LxmlError

    try:
        document = docx.Document(str(path))
        blocks = _docx_blocks(document)
        props = document.core_properties
        created = props.created
        meta = _clean_meta(
            {
                "title": props.title,
                "author": props.author,
                "date": created.date().isoformat() if created else None,
                "note": props.subject,
            }
        )
    except (PackageNotFoundError, zipfile.BadZipFile, LxmlError, KeyError, ValueError, OSError) as exc:
        raise SkippedFile(f"{path.name}: not a readable .docx ({exc.__class__.__name__}: {exc})") from exc
    text = _require_text(path, "\n\n".join(blocks), "the Word document holds no text")
    return Loaded(text, intrinsic=meta)


LOADERS: dict[str, Callable[[Path], Loaded]] = {
    ".txt": load_text,
    ".md": load_text,
    ".html": load_html,
    ".htm": load_html,
    ".pdf": load_pdf,
    ".docx": load_docx,
}


def load_file(path: Path) -> Loaded:
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise SkippedFile(f"{path.name}: unsupported format; use one of {', '.join(sorted(LOADERS))}")
    return loader(path)
