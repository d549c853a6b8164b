"""The JSON contract of the HTTP API. Other clients rely on these shapes: extend, never break."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.json_schema import JsonDict

from service.config import Settings

# The limits of the contract, from the one place settings are defined.
QUESTION_MAX_CHARS: int = Settings.model_fields["max_question_chars"].default
TOP_K_MAX: int = Settings.model_fields["max_top_k"].default
TOP_K_DEFAULT = 5


#: Documented in the OpenAPI schema; enforced by ``check_question`` with readable messages.
QUESTION_SCHEMA: JsonDict = {"minLength": 1, "maxLength": QUESTION_MAX_CHARS, "pattern": r"\S"}


def check_question(value: str) -> str:
    """Shared by POST /ask and GET /search so both refuse the same questions the same way."""
    if not value.strip():
        raise ValueError("must not be empty or only whitespace")
    if len(value) > QUESTION_MAX_CHARS:
        raise ValueError(f"is {len(value)} characters long; the limit is {QUESTION_MAX_CHARS}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"holds a lone surrogate (\\u{ord(value[exc.start]):04x}) at character "
            f"{exc.start}, which is not valid Unicode text; send UTF-8 text"
        ) from None
    return value


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    question: str = Field(
        json_schema_extra=QUESTION_SCHEMA,
        description=f"A question in plain language, 1 to {QUESTION_MAX_CHARS} characters, "
        "not only whitespace.",
        examples=["What three priorities did Sadako Ogata name for human security?"],
    )
    top_k: int = Field(
        TOP_K_DEFAULT,
        ge=1,
        le=TOP_K_MAX,
        strict=True,
        description=f"How many passages to return, 1 to {TOP_K_MAX}.",
    )

    @field_validator("top_k", mode="before")
    @classmethod
    def _whole_number(cls, value: object) -> object:
        """JSON has one number type: 5.0 is the integer 5, but 2.5, "5" and true are not."""
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        return check_question(value)


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
        description="The sentence that best answers the question, verbatim; two adjacent sentences "
        "when the answering one opens with a pronoun ('He said…') for someone named in the one before, "
        "or ends in a colon ('He highlighted the following points:') before what it introduces."
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


class AskResponse(BaseModel):
    question: str
    answer: Answer | None = Field(description="null when nothing in the corpus answers the question.")
    unknown_terms: list[str] = Field(
        default_factory=list,
        description="Names or numbers in the question that no indexed text mentions ('NATO', '2022'); "
        "when there are any, answer is null: the texts cannot be about them.",
    )
    passages: list[Passage]
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
        None, description="The learned answer model choosing answers and abstaining (its name and threshold)."
    )
    index_built_at: str | None
    index_error: str | None = None
    reload_error: str | None = Field(None, description="Why the last published index was refused, if it was.")


class ErrorBody(BaseModel):
    """Every error the API returns has this shape."""

    status: int
    detail: str = Field(description="What went wrong and how to fix it.")
    errors: list[dict[str, object]] = Field(default_factory=list)
