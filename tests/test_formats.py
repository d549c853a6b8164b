"""Each corpus format (text, Markdown, HTML, PDF, Word) loads its main text and metadata, and PDF
citations carry pages."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import docx
from fastapi.testclient import TestClient
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

from service.config import Settings
from service.http.app import create_app
from service.ingest.chunking import chunk_text
from service.ingest.corpus import load_corpus
from service.ingest.indexer import build_index
from service.ingest.loaders import load_html, load_pdf, load_text
from service.models.embedding import Embedder

PAGE = """<!doctype html><html><head><title>Water and Human Security | Example Institute</title>
<meta name="author" content="Example Institute"><style>.x{color:red}</style>
<script>var tracking = "SCRIPT-TEXT";</script></head>
<body><nav><a href="/">Home</a> <a href="/about">NAV-LINK-TEXT</a></nav>
<article><h1>Water and Human Security</h1>
<p>Access to clean water is a central human security concern in arid regions, where drought
threatens livelihoods and health. Communities without reliable water face displacement.</p>
<p>The report recommends community-managed wells and early-warning systems for droughts,
so that local people can protect themselves before a crisis turns into a disaster.</p>
<p>International donors are urged to fund maintenance, not only construction, because broken
pumps leave villages worse off than before the project started.</p>
</article><footer>FOOTER-TEXT Copyright</footer></body></html>"""


def make_pdf(path: Path, pages: list[str], title: str = "Drought Report", encrypt: bool = False) -> Path:
    pdf = FPDF()
    pdf.set_title(title)
    pdf.set_author("Example Agency")
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    pdf.output(str(path))
    if encrypt:
        writer = PdfWriter(clone_from=PdfReader(path))
        writer.encrypt("secret-password")
        writer.write(path)
    return path


PDF_PAGES = [
    "Drought Report\n\nChapter one describes rainfall records in the northern provinces over ten years.",
    "Chapter two finds that community grain banks halved hunger during the 2019 drought in the valley.",
]


def test_html_keeps_the_main_text_and_drops_navigation_scripts_and_styles(tmp_path: Path) -> None:
    path = tmp_path / "water.html"
    path.write_text(PAGE)
    loaded = load_html(path)
    assert (
        "community-managed wells" in loaded.text
        and "broken\npumps" in loaded.text
        or "broken pumps" in loaded.text
    )
    for junk in ("SCRIPT-TEXT", "NAV-LINK-TEXT", "color:red", "FOOTER-TEXT"):
        assert junk not in loaded.text
    assert loaded.intrinsic["title"].startswith("Water and Human Security")
    assert loaded.intrinsic["author"] == "Example Institute"


def test_pdf_pages_metadata_and_refusals(tmp_path: Path) -> None:
    loaded = load_pdf(make_pdf(tmp_path / "report.pdf", PDF_PAGES))
    assert loaded.pages is not None and len(loaded.pages) == 2
    second = loaded.text[loaded.pages[1] :]
    assert second.startswith("Chapter two") and "grain banks" in second
    assert loaded.intrinsic["title"] == "Drought Report" and loaded.intrinsic["author"] == "Example Agency"


def test_markdown_front_matter_beats_the_catalog_and_is_not_stored(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "note.md").write_text(
        "---\ntitle: From Front Matter\ndate: 2024-05-01\n---\n# Heading\n\nBody text.\n"
    )
    (corpus / "catalog.toml").write_text('["note.md"]\ntitle = "From Catalog"\nauthor = "Catalog Author"\n')
    doc = load_corpus(corpus).documents[0]
    assert (doc.title, doc.author, doc.date) == ("From Front Matter", "Catalog Author", "2024-05-01")
    assert doc.text.startswith("# Heading")
    assert load_text(corpus / "note.md").front_matter["title"] == "From Front Matter"


def test_bad_files_of_every_format_are_skipped_with_reasons(corpus_copy: Path) -> None:
    make_pdf(corpus_copy / "locked.pdf", PDF_PAGES, encrypt=True)
    (corpus_copy / "broken.pdf").write_bytes(b"%PDF-1.4\n garbage that is no PDF")
    (corpus_copy / "empty.html").write_text(
        "<html><head><script>var a = 1;</script></head><body></body></html>"
    )
    (corpus_copy / "bad-front.md").write_text("---\ntitle: [unclosed\n---\nText.\n")
    report = load_corpus(corpus_copy)
    assert len(report.documents) == 5
    assert "encrypted" in report.skipped["locked.pdf"]
    assert (
        "not a readable PDF" in report.skipped["broken.pdf"]
        or "no extractable text" in report.skipped["broken.pdf"]
    )
    assert "no main text" in report.skipped["empty.html"]
    assert "front matter" in report.skipped["bad-front.md"]


def test_pdf_and_html_are_searchable_with_page_citations(
    corpus_copy: Path, index_dir: Path, embedder: Embedder
) -> None:
    make_pdf(corpus_copy / "drought-report.pdf", PDF_PAGES)
    (corpus_copy / "water.html").write_text(PAGE)
    settings = Settings(corpus_dir=corpus_copy, index_dir=index_dir)
    manifest = build_index(settings, embedder=embedder, progress=False)
    assert sorted(manifest.changes.embedded) == ["drought-report", "water"]
    with TestClient(create_app(settings)) as client:
        body = client.post("/ask", json={"question": "What halved hunger during the drought?"}).json()
        top = body["passages"][0]
        assert top["citation"]["document_id"] == "drought-report"
        assert top["citation"]["page"] == 2 and "grain banks" in top["text"]
        text = client.get("/documents/drought-report").json()["text"]
        assert text[top["citation"]["start"] : top["citation"]["end"]] == top["text"]
        body = client.post("/ask", json={"question": "Why should donors pay for pump maintenance?"}).json()
        assert body["passages"][0]["citation"]["document_id"] == "water"
        assert body["passages"][0]["citation"]["title"].startswith("Water and Human Security")
        assert body["passages"][0]["citation"]["page"] is None


def make_docx(path: Path) -> Path:
    """A real Word file: title and headings, body paragraphs, a table, core properties."""
    document = docx.Document()
    document.core_properties.title = "Seeds and Human Security"
    document.core_properties.author = "Example Seed Network"
    document.core_properties.created = datetime(2021, 5, 4, tzinfo=UTC)
    document.core_properties.subject = "Field notes from three provinces"
    document.add_heading("Seeds and Human Security", level=0)
    document.add_heading("Seed banks", level=1)
    document.add_paragraph(
        "Community seed banks kept farmers planting after the 2020 floods washed away their stores."
    )
    document.add_heading("Funding", level=1)
    document.add_paragraph("The network asks donors to fund cold storage, because seeds spoil in the heat.")
    table = document.add_table(rows=2, cols=2)
    for row, (province, banks) in zip(
        table.rows, [("Province", "Seed banks"), ("Northern", "14")], strict=True
    ):
        row.cells[0].text, row.cells[1].text = province, banks
    document.save(str(path))
    return path


def test_docx_headings_become_sections_tables_rows_and_core_properties_metadata(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    make_docx(corpus / "seeds.docx")
    [doc] = load_corpus(corpus).documents
    assert (doc.title, doc.author, doc.date, doc.note) == (
        "Seeds and Human Security",
        "Example Seed Network",
        "2021-05-04",
        "Field notes from three provinces",
    )
    assert "Province | Seed banks\nNorthern | 14" in doc.text
    chunked = chunk_text(doc.text, Settings().chunking)
    sections = {doc.text[c.start : c.end].split()[0]: c.section for c in chunked.chunks}
    assert sections["Community"] == "Seed banks" and sections["The"] == "Funding"


def test_a_corrupt_docx_is_skipped_with_a_warning_naming_it(corpus_copy: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    (corpus_copy / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    make_docx(corpus_copy / "seeds.docx")
    with caplog.at_level(logging.WARNING):
        report = load_corpus(corpus_copy)
    assert "not a readable .docx" in report.skipped["broken.docx"]
    assert "seeds" in {d.id for d in report.documents} and len(report.documents) == 6
    assert any("broken.docx" in record.getMessage() for record in caplog.records)
