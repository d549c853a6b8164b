"""For researchers, over the real index and model through HTTP: narrowing by document, kind,
source and date; one question put to every text; checking a quotation before citing it."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

BOSOLD = "bosold-werthes-2005-human-security-in-practice"
KOBE = "kobe-kurusu-protecting-every-person"
JICA = "jica-what-is-human-security"  # the one undated text
MOFA_2000 = "mofa-2000-international-symposium-on-human-security"
MOFA_2010 = "mofa-2010-symposium-realizing-human-security-in-asia"


def documents_of(body: dict) -> set[str]:  # type: ignore[type-arg]
    return {p["citation"]["document_id"] for p in body["passages"]}


# --- filters ----------------------------------------------------------------------------


def test_filtering_comes_before_ranking_so_every_result_is_inside_the_filter(client: TestClient) -> None:
    # Ogata's priorities are in the 2000 symposium report; the Kobe interview ranks low for them.
    body = {
        "question": "What priorities did Sadako Ogata name?",
        "top_k": 5,
        "filters": {"documents": [KOBE]},
    }
    result = client.post("/ask", json=body).json()
    assert len(result["passages"]) == 5 and documents_of(result) == {KOBE}
    assert result["filters"]["documents"] == [KOBE] and result["filters"]["passages"] >= 5


def test_get_search_takes_the_same_filters_as_query_parameters(client: TestClient) -> None:
    r = client.get("/search", params={"q": "human security", "doc": [KOBE, JICA], "top_k": 10})
    assert r.status_code == 200 and documents_of(r.json()) <= {KOBE, JICA} and len(r.json()["passages"]) == 10
    by_kind = client.get("/search", params={"q": "human security", "kind": "academic article"}).json()
    assert documents_of(by_kind) == {BOSOLD}
    by_source = client.get(
        "/search", params={"q": "human security", "source": "ministry of FOREIGN affairs"}
    ).json()
    assert documents_of(by_source) <= {MOFA_2000, MOFA_2010} and by_source["filters"]["documents"] == [
        MOFA_2000,
        MOFA_2010,
    ]


def test_a_date_filter_counts_the_undated_texts_it_leaves_out(client: TestClient) -> None:
    r = client.get(
        "/search", params={"q": "human security", "from": "2001", "to": "2009", "top_k": 10}
    ).json()
    assert documents_of(r) == {BOSOLD}  # 2005; 2000, 2010 and 2023 fall outside; JICA has no date
    assert r["filters"]["undated_left_out"] == 1
    before = client.get("/search", params={"q": "human security", "to": "2004"}).json()
    assert documents_of(before) == {MOFA_2000}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"doc": "no-such-text"}, f"unknown document id.*'no-such-text'.*valid ids: .*{BOSOLD}"),
        ({"kind": "novel"}, "unknown kind.*'novel'.*valid kinds: academic article"),
        ({"from": "2010", "to": "2001"}, r"from \(2010\) is after to \(2001\)"),
        ({"from": "last year"}, "not a date; write a year"),
        ({"to": "2005-02-30"}, "not a date on the calendar"),
    ],
)
def test_a_filter_that_cannot_be_met_as_written_gets_422_saying_why(
    client: TestClient, params: dict[str, str], message: str
) -> None:
    r = client.get("/search", params={"q": "human security", **params})
    assert r.status_code == 422 and re.search(message, r.json()["detail"]), r.json()


def test_a_filter_matching_nothing_returns_nothing_and_says_so_never_everything(client: TestClient) -> None:
    body = {"question": "human security", "filters": {"source": "World Bank"}}
    r = client.post("/ask", json=body)
    assert r.status_code == 200
    result = r.json()
    assert result["passages"] == [] and result["answer"] is None
    assert "No document matches these filters" in result["filters"]["message"]


# --- compare ----------------------------------------------------------------------------

#: Sentences of each text that say what human security is (labelled by reading the texts).
DEFINING = {
    MOFA_2000: ("defined as", "Human security is an action-oriented approach", "is an important concept"),
    BOSOLD: (
        "As to the definition of human security",
        "can be conceived of as",
        "much more than the absence",
    ),
    KOBE: ("human security contains the idea", "was coined in contrast to the concept of national security"),
    JICA: ("define", "Human security refers to", "can be simply described as"),
    MOFA_2010: (),
}


def test_compare_finds_how_at_least_three_texts_define_human_security(client: TestClient) -> None:
    r = client.post("/compare", json={"question": "How is human security defined?"})
    assert r.status_code == 200
    rows = r.json()["documents"]
    assert [row["document_id"] for row in rows] == [
        MOFA_2000,
        BOSOLD,
        MOFA_2010,
        KOBE,
        JICA,
    ]  # by date, undated last
    defining = [
        row["document_id"]
        for row in rows
        if row["answer"] and any(cue in row["answer"]["text"] for cue in DEFINING[row["document_id"]])
    ]
    assert len(defining) >= 3, [(row["document_id"], (row["answer"] or {}).get("text")) for row in rows]


def test_a_question_only_one_text_answers_gets_one_answer_and_does_not_address_this_for_the_rest(
    client: TestClient,
) -> None:
    rows = client.post("/compare", json={"question": "What did Lloyd Axworthy promote?"}).json()["documents"]
    answered = {row["document_id"]: row for row in rows if row["answer"]}
    assert list(answered) == [BOSOLD] and "Axworthy" in answered[BOSOLD]["passages"][0]["text"]
    assert all(row["reason"] == "unknown_terms" for row in rows if row["document_id"] != BOSOLD)


def test_compare_can_be_limited_to_chosen_texts_and_refuses_unknown_ones(client: TestClient) -> None:
    r = client.post("/compare", json={"question": "What is human security?", "documents": [JICA, KOBE]})
    assert [row["document_id"] for row in r.json()["documents"]] == [KOBE, JICA]
    bad = client.post("/compare", json={"question": "What is human security?", "documents": ["nope"]})
    assert bad.status_code == 422 and "valid ids" in bad.json()["detail"]


# --- quote ------------------------------------------------------------------------------


def test_a_quotation_copied_with_other_quotes_dashes_case_and_spacing_is_found_verbatim(
    client: TestClient,
) -> None:
    quotation = (
        'HUMAN security refers to the creation of a situation in which people have freedom from "fear"'
    )
    body = client.post("/quote", json={"text": quotation}).json()
    assert body["verdict"] == "exact"
    [match] = body["matches"]
    document = client.get(f"/documents/{match['document_id']}").json()["text"]
    assert document[match["start"] : match["end"]] == match["found"]
    assert match["found"].startswith("Human security refers") and match["found"].endswith("“fear”")
    assert match["found"] in match["context"] and match["similarity"] == 1.0


def test_a_misquotation_is_found_nearly_with_the_differing_words_marked(client: TestClient) -> None:
    quotation = "Human security refers to the making of a situation in which people have freedom from fear"
    body = client.post("/quote", json={"text": quotation}).json()
    assert body["verdict"] == "near"
    match = body["matches"][0]
    assert match["document_id"] == JICA and 0.85 <= match["similarity"] < 1
    assert {"quoted": "making", "text": "creation"} in match["differences"]


def test_a_quotation_no_text_holds_is_not_found(client: TestClient) -> None:
    body = client.post("/quote", json={"text": "Human security is a matter for generals alone."}).json()
    assert body == {**body, "verdict": "not_found", "matches": []}


def test_a_found_quotation_links_to_the_document_view_with_the_match_highlighted(client: TestClient) -> None:
    match = client.post(
        "/quote", json={"text": "a commonly accepted definition (for academic purposes)"}
    ).json()["matches"][0]
    page = client.get(match["url"]).text
    assert '<mark class="answer">a commonly accepted definition (for academic purposes)</mark>' in page


@pytest.mark.parametrize("text", ["", "   ", "x" * 2001])
def test_an_empty_or_overlong_quotation_gets_422(client: TestClient, text: str) -> None:
    r = client.post("/quote", json={"text": text})
    assert r.status_code == 422 and r.json()["detail"]


# --- pages ------------------------------------------------------------------------------


def test_the_search_page_keeps_its_filters_in_the_url(client: TestClient) -> None:
    page = client.get("/", params={"q": "human security", "doc": KOBE, "from": "2020"}).text
    assert f'<option value="{KOBE}" selected>' in page and 'value="2020"' in page
    assert "Searched only 1 of 5 documents" in page


def test_every_page_has_one_level_one_heading(client: TestClient) -> None:
    for url in ["/", "/compare", "/quote", "/?q=human+security", f"/view/{KOBE}"]:
        assert client.get(url).text.count("<h1") == 1, url


def test_a_quotation_that_turns_insecurity_into_security_is_not_verbatim(client: TestClient) -> None:
    body = client.post("/quote", json={"text": "security arises more from worries about daily life"}).json()
    assert body["verdict"] != "exact"
    for match in body["matches"]:
        assert {"quoted": "security", "text": "insecurity"} in match["differences"], match


def test_compare_looks_names_up_as_asking_does(client: TestClient) -> None:
    # The texts say 'NGOs'; /ask finds them, so a text is not 'silent' on an NGO question.
    rows = client.post("/compare", json={"question": "What role does an NGO play in human security?"}).json()[
        "documents"
    ]
    assert any(row["reason"] != "unknown_terms" for row in rows)


def test_compare_over_more_documents_than_it_reads_asks_to_name_them(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("service.retrieval.compare.MAX_DOCUMENTS", 3)  # the index holds 5
    everything = client.post("/compare", json={"question": "What is human security?"})
    assert everything.status_code == 422
    assert "holds 5 documents and a comparison reads at most 3" in everything.json()["detail"]
    page = client.get("/compare", params={"q": "What is human security?"})
    assert page.status_code == 422 and "comparison reads at most 3" in page.text and "<form" in page.text
    named = client.post("/compare", json={"question": "What is human security?", "documents": [JICA, KOBE]})
    assert named.status_code == 200 and len(named.json()["documents"]) == 2
