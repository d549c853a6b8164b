"""The JSON contract of the HTTP API. Other clients rely on these shapes: extend, never break."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import JsonDict

from service.config import Settings
from service.retrieval.compare import MAX_DOCUMENTS
from service.retrieval.filters import DATE_PATTERN, Filters, date_span

# The limits of the contract, from the one place settings are defined.
QUESTION_MAX_CHARS: int = Settings.model_fields["max_question_chars"].default
TOP_K_MAX: int = Settings.model_fields["max_top_k"].default
QUOTE_MAX_CHARS: int = Settings.model_fields["max_quote_chars"].default
TOP_K_DEFAULT = 5


#: Documented in the OpenAPI schema; enforced by ``check_question`` with readable messages.
QUESTION_SCHEMA: JsonDict = {"minLength": 1, "maxLength": QUESTION_MAX_CHARS, "pattern": r"\S"}


def check_question(value: str) -> str:
    """Shared by POST /ask and GET /search so both refuse the same questions the same way."""
    return check_text(value, QUESTION_MAX_CHARS)


def check_text(value: str, limit: int) -> str:
    """Text a client sends (a question, a quotation): not blank, at most ``limit`` characters,
    valid Unicode."""
    if not value.strip():
        raise ValueError("must not be empty or only whitespace")
    if len(value) > limit:
        raise ValueError(f"is {len(value)} characters long; the limit is {limit}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"holds a lone surrogate (\\u{ord(value[exc.start]):04x}) at character "
            f"{exc.start}, which is not valid Unicode text; send UTF-8 text"
        ) from None
    return value


class FilterSpec(BaseModel):
    """Narrow the question to some documents; every part given must hold. Filtering comes
    before ranking: when at least top_k passages match, every passage returned matches."""

    model_config = ConfigDict(extra="forbid")

    documents: list[str] = Field(
        default_factory=list, description="Document ids (GET /documents lists them): any of these."
    )
    kinds: list[str] = Field(
        default_factory=list, description="Document kinds, e.g. 'event report': any of these."
    )
    source: str | None = Field(
        None, min_length=1, max_length=200, description="Part of the author or publisher, in any case."
    )
    date_from: str | None = Field(
        None,
        pattern=DATE_PATTERN,
        description="Documents dated on or after this: a year (2000), a month (2000-08) or a day "
        "(2000-08-02). A document dated only by year matches any date in that year. Undated "
        "documents are left out of a date filter, and the response says how many.",
        examples=["2000"],
    )
    date_to: str | None = Field(
        None,
        pattern=DATE_PATTERN,
        description="Documents dated on or before this (same forms).",
        examples=["2004"],
    )

    @field_validator("date_from", "date_to")
    @classmethod
    def _date(cls, value: str | None) -> str | None:
        if value is not None:
            date_span(value)  # raises with the forms it reads
        return value

    @model_validator(mode="after")
    def _order(self) -> FilterSpec:
        self.core()  # raises when from is after to
        return self

    def core(self) -> Filters:
        return Filters(
            documents=tuple(self.documents),
            kinds=tuple(self.kinds),
            source=self.source,
            date_from=self.date_from,
            date_to=self.date_to,
        )


class QuestionBody(BaseModel):
    """A request carrying a question (POST /ask, POST /compare)."""

    model_config = ConfigDict(extra="ignore")

    question: str = Field(
        json_schema_extra=QUESTION_SCHEMA,
        description=f"A question in plain language, 1 to {QUESTION_MAX_CHARS} characters, "
        "not only whitespace.",
        examples=["What three priorities did Sadako Ogata name for human security?"],
    )

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        return check_question(value)


class AskRequest(QuestionBody):
    top_k: int = Field(
        TOP_K_DEFAULT,
        ge=1,
        le=TOP_K_MAX,
        strict=True,
        description=f"How many passages to return, 1 to {TOP_K_MAX}.",
    )

    filters: FilterSpec | None = Field(None, description="Only passages of the documents these select.")

    @field_validator("top_k", mode="before")
    @classmethod
    def _whole_number(cls, value: object) -> object:
        """JSON has one number type: 5.0 is the integer 5, but 2.5, "5" and true are not."""
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value


class Citation(BaseModel):
    document_id: str
    title: str
    source: str | None = Field(description="Author or publisher.")
    date: str | None
    section: str | None = Field(description="The nearest heading above the passage.")
    start: int = Field(description="Offset of the passage's first character in the document text.")
    end: int = Field(description="Offset just past its last character: text[start:end] is the passage.")
    page: int | None = Field(None, description="1-based page where the passage starts (PDF sources).")
    url: str = Field(description="Opens the document at the passage.")


class Passage(BaseModel):
    text: str
    score: float = Field(
        description="First-stage ranking score (fused, cosine or BM25; higher is better), comparable within "
        "one response. The order of passages is final: the top ones the answer model read are reordered by "
        "their best answer, so this score need not fall down the list."
    )
    citation: Citation


class Answer(BaseModel):
    text: str = Field(
        description="The sentence that best answers the question, verbatim, with the adjacent "
        "sentences it needs: from the one naming whom or what it means when it opens with a pronoun "
        "('He said…'; up to two sentences back), and the next one when it ends in a colon or announces "
        "what follows ('He highlighted the following points:', '… two major reasons for this.'); "
        "and the statement after it when the answer model rates that one at least half as likely."
    )
    passage: int = Field(description="0-based index into passages of the passage holding it.")
    start: int = Field(description="Offset of the answer in the document text.")
    end: int = Field(description="Offset just past the answer.")
    score: float = Field(
        description="Calibrated probability that this is a right answer, from the learned answer model "
        "(trained on SQuAD 2.0; see /health for which); below the model's threshold there is no answer.",
        ge=0.0,
        le=1.0,
    )


class FilterSummary(BaseModel):
    documents: list[str] = Field(description="The ids of the documents the filters select.")
    passages: int = Field(description="How many passages those documents hold.")
    undated_left_out: int = Field(
        0, description="Documents a date filter left out because they have no date."
    )
    message: str | None = Field(None, description="Set when no passage matches: why there are no results.")


class AskResponse(BaseModel):
    question: str
    answer: Answer | None = Field(description="null when nothing in the corpus answers the question.")
    unknown_terms: list[str] = Field(
        default_factory=list,
        description="When answer is null: names or numbers in the question that no indexed text "
        "mentions ('NATO', '2022'), a likely reason the texts do not answer it.",
    )
    reason: str | None = Field(
        None,
        description="When answer is null, why: 'off_topic' (no passage near the question is as "
        "close as the texts' own questions' passages are), 'unmet_type' (the question asks for a "
        "count, a time, a sum or a share and the best answer states none, or for a person, a "
        "country, a city or a body and the best answer names none the question does not, or for "
        "what a person said and neither the best answer nor the sentences before it name them), "
        "'unlikely' (the best answer's "
        "calibrated probability is under the threshold), 'unknown_terms' or 'no_passages'.",
    )
    passages: list[Passage]
    filters: FilterSummary | None = Field(
        None, description="What the request's filters selected, if it had any."
    )
    took_ms: float


class CompareRequest(QuestionBody):
    documents: list[str] | None = Field(
        None,
        description=f"Document ids to compare (GET /documents lists them), at most {MAX_DOCUMENTS}; "
        f"all when left out or empty, if the index holds no more than {MAX_DOCUMENTS}.",
        max_length=MAX_DOCUMENTS,
    )


class DocumentAnswer(BaseModel):
    document_id: str
    title: str
    source: str | None
    date: str | None
    answer: Answer | None = Field(
        description="This document's best answer (passage 0 of its passages holds it when set), "
        "or null: the document does not address the question."
    )
    reason: str | None = Field(
        None,
        description="Why there is no answer: 'unknown_terms', 'off_topic', 'unmet_type', 'unlikely' "
        "or 'no_passages'.",
    )
    passages: list[Passage] = Field(description="The document's top passages for the question, best first.")


class CompareResponse(BaseModel):
    question: str
    documents: list[DocumentAnswer] = Field(description="One entry per document, oldest first, undated last.")
    took_ms: float


class QuoteRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: str = Field(
        json_schema_extra={"minLength": 1, "maxLength": QUOTE_MAX_CHARS, "pattern": r"\S"},
        description=f"The quotation to find, 1 to {QUOTE_MAX_CHARS} characters, not only whitespace.",
        examples=["protecting the vital core of all human lives"],
    )

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        return check_text(value, QUOTE_MAX_CHARS)


class Difference(BaseModel):
    quoted: str = Field(description="What the quotation says here ('' if it leaves out the text's words).")
    text: str = Field(description="What the text says here ('' if the quotation adds words).")


class QuoteMatch(BaseModel):
    document_id: str
    title: str
    start: int = Field(description="Offset of the matching text in the document: text[start:end] is it.")
    end: int
    similarity: float = Field(
        description="1.0 verbatim (after normalising); lower for near-verbatim matches."
    )
    found: str = Field(description="The matching text, verbatim.")
    differences: list[Difference] = Field(description="Where a near-verbatim match differs, word by word.")
    context: str = Field(description="The whole sentence(s) around the match.")
    context_start: int = Field(description="Offset of the context in the document.")
    url: str = Field(description="Opens the document with the match highlighted.")


class QuoteResponse(BaseModel):
    text: str
    verdict: str = Field(
        description="'exact' (verbatim after normalising case, whitespace, quotes, dashes and ellipses), "
        "'near' (most words in order) or 'not_found'."
    )
    matches: list[QuoteMatch]
    took_ms: float


class DocumentSummary(BaseModel):
    id: str
    title: str
    author: str | None
    date: str | None
    kind: str
    url: str | None
    note: str | None
    file: str
    chunks: int


class DocumentDetail(DocumentSummary):
    text: str


class DocumentList(BaseModel):
    documents: list[DocumentSummary]


class Health(BaseModel):
    status: str = Field(description="'ok', or 'degraded' when no index is loaded.")
    documents: int
    chunks: int
    model: str
    query_encoder: str = Field("torch", description="'onnx' or 'torch': what embeds questions.")
    reranker: str | None = Field(None, description="The cross-encoder reordering passages, if one is set.")
    answer_model: str | None = Field(
        None,
        description="The learned answer model choosing answers and abstaining: its name, threshold, "
        "whether it refuses an answer without the count, time, sum, share, person, place, body, "
        "speaker, day, title, given name or office holder asked for (and the tagger that finds "
        "names and amounts) or that says nothing the question does not, negates nothing asked about "
        "what is not so, states another number than the one given or the opposite of what is asked "
        "about, and its reader.",
    )
    index_built_at: str | None
    index_error: str | None = None
    reload_error: str | None = Field(None, description="Why the last published index was refused, if it was.")


class ErrorBody(BaseModel):
    """Every error the API returns has this shape."""

    status: int
    detail: str = Field(description="What went wrong and how to fix it.")
    errors: list[dict[str, object]] = Field(default_factory=list)
