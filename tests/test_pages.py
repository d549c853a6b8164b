"""The HTML pages' contract: security headers, escaping, and readable notices."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.config import Settings
from service.http.app import create_app
from service.ingest.indexer import build_index
from service.models.embedding import Embedder

DOC = "mofa-2000-international-symposium-on-human-security"


def test_pages_send_a_strict_content_security_policy(client: TestClient) -> None:
    for path in ("/", "/?q=refugees", f"/view/{DOC}"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"


def test_the_empty_page_lists_what_the_answers_come_from(client: TestClient) -> None:
    html = client.get("/").text
    documents = client.get("/documents").json()["documents"]
    assert len(documents) == 5
    for doc in documents:
        assert f'/view/{doc["id"]}">' in html
        assert doc["title"].replace("&", "&amp;").replace('"', "&#34;") in html
    assert "5 texts." in html


def test_results_show_time_and_documents_searched(client: TestClient) -> None:
    html = client.get("/?q=What+is+human+security%3F").text
    assert "5 documents searched in" in html


def test_no_answer_says_which_name_the_texts_never_mention(client: TestClient) -> None:
    html = client.get("/?q=What+is+the+IMF+view+of+climate+finance%3F").text
    assert "do not answer this question: they never mention <strong>IMF</strong>" in html
    html = client.get("/?q=How+do+I+boil+an+egg%3F").text
    assert "do not answer this question" in html and "never mention" not in html


@pytest.mark.parametrize(
    "question", ["how many staff does jica employ", "Who succeeded Sadako Ogata as President of JICA?"]
)
def test_no_answer_to_a_figure_or_name_the_texts_never_give_says_so(
    client: TestClient, question: str
) -> None:
    html = client.get("/", params={"q": question}).text
    assert "do not answer this question: the passages closest to it give no figure, date or name" in html


def test_document_view_marks_the_cited_range(client: TestClient) -> None:
    text = client.get(f"/documents/{DOC}").json()["text"]
    start = text.index("She also identified")
    end = text.index("human security.", start) + len("human security.")
    html = client.get(f"/view/{DOC}?start={start}&end={end}").text
    assert f'<mark id="passage" class="passage">{text[start:end]}</mark>' in html


def test_a_range_outside_the_document_is_explained_not_an_error(client: TestClient) -> None:
    response = client.get(f"/view/{DOC}?start=5&end=99999999")
    assert response.status_code == 200
    assert "outside this document" in response.text


def test_unknown_document_page_is_a_readable_404(client: TestClient) -> None:
    response = client.get("/view/nope")
    assert response.status_code == 404
    assert "no document with the id" in response.text.lower()


def test_document_text_is_escaped(tmp_path: Path, embedder: Embedder) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "evil.txt").write_text("Evil title\n\nHuman security <script>alert(1)</script> & more.\n")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "ix")
    build_index(settings, embedder=embedder, progress=False)
    with TestClient(create_app(settings)) as c:
        html = c.get("/view/evil").text
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more." in html
        results = c.get("/?q=human+security+script").text
        assert "<script>alert" not in results


def test_without_an_index_the_page_says_so(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(index_dir=tmp_path / "none"))) as c:
        assert "index is not loaded" in c.get("/").text
        response = c.get("/?q=refugees")
        assert response.status_code == 503
        assert "make index" in response.text
        assert "Traceback" not in response.text
