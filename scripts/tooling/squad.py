"""SQuAD 2.0 articles as a corpus and a question set: the labelled data the answer model is
trained and validated on, and the second corpus the evaluation runs on (a corpus the
pipeline was not designed for).

``../shared/qa-data/squad2-8-articles.json`` (SQuAD 2.0, Rajpurkar, Jia and Liang, ACL 2018,
CC BY-SA 4.0) holds eight Wikipedia articles. They are split **by article**, never by
question: questions about one paragraph are near-duplicates, so a question-level split leaks.
Each article becomes one text (its paragraphs, blank-line separated, verbatim) and each
question a line of the evaluation format (``tooling.evaluation``): its answer strings, or
none when SQuAD marks it impossible.
"""

from __future__ import annotations

import json
import random
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.analysis import STOPWORDS
from service.config import ROOT, Settings
from service.ingest.corpus import CATALOG_NAME

SQUAD_FILE = ROOT.parent / "shared" / "qa-data" / "squad2-8-articles.json"
LICENCE = "CC BY-SA 4.0; SQuAD 2.0 (Rajpurkar, Jia and Liang, ACL 2018), from Wikipedia"

#: The split, fixed before any model was trained. Validation holds two articles of different
#: fields (biology, a city's history) with 944 questions; training holds the other six.
SPLITS: dict[str, tuple[str, ...]] = {
    "train": (
        "Normans",
        "European_Union_law",
        "Yuan_dynasty",
        "Scottish_Parliament",
        "Imperialism",
        "French_and_Indian_War",
    ),
    "validation": ("Immune_system", "Warsaw"),
}


#: Share of a question's content words ``drop_words`` leaves out.
DROP_RATE = 0.5


@dataclass(frozen=True)
class Article:
    title: str
    paragraphs: tuple[str, ...]
    questions: tuple[dict[str, Any], ...]  # SQuAD's own qas entries

    @property
    def document_id(self) -> str:
        return self.title.lower().replace("_", "-")

    @property
    def text(self) -> str:
        """The stored text: the title line, then each paragraph verbatim."""
        return "\n\n".join((self.title.replace("_", " "), *self.paragraphs)) + "\n"


#: Paragraphs per article a training script's ``--smoke`` indexes: enough for its dozen
#: questions per article, a tenth of the embedding of whole articles.
SMOKE_PARAGRAPHS = 4


def load_articles(
    path: Path = SQUAD_FILE, split: str | None = None, paragraphs: int | None = None
) -> list[Article]:
    """The articles of ``path`` (all, or those of one ``SPLITS`` entry), in file order; with
    ``paragraphs``, only each article's first ones and their questions."""
    if split is not None and split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found; the SQuAD subset lives in shared/qa-data/ beside the repository"
        )
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    wanted = set(SPLITS[split]) if split else None
    return [
        Article(
            a["title"],
            tuple(p["context"] for p in a["paragraphs"][:paragraphs]),
            tuple(q for p in a["paragraphs"][:paragraphs] for q in p["qas"]),
        )
        for a in data
        if wanted is None or a["title"] in wanted
    ]


def write_if_changed(file: Path, content: bytes) -> None:
    """Write ``content`` to ``file`` unless it already holds exactly that: an unchanged text
    keeps its file, so an incremental build re-embeds none."""
    if not file.exists() or file.read_bytes() != content:
        file.write_bytes(content)


def write_catalog(folder: Path, catalog: str) -> None:
    """Write ``catalog`` as the folder's catalogue, checked as TOML here rather than in the
    indexer."""
    (folder / CATALOG_NAME).write_text(catalog, encoding="utf-8")
    tomllib.loads(catalog)


def write_corpus(articles: list[Article], folder: Path) -> None:
    """Write the articles as ``.txt`` texts with a ``catalog.toml``, as the indexer reads them.
    Texts already there and unchanged are left alone, so an incremental build re-embeds none."""
    folder.mkdir(parents=True, exist_ok=True)
    catalog = []
    for article in articles:
        file = folder / f"{article.document_id}.txt"
        write_if_changed(file, article.text.encode("utf-8"))
        catalog.append(
            f'["{file.name}"]\ntitle = "{article.title.replace("_", " ")}"\n'
            f'author = "Wikipedia"\nkind = "encyclopedia article"\nnote = "{LICENCE}"\n'
        )
    write_catalog(folder, "\n".join(catalog))


def questions(articles: list[Article]) -> list[dict[str, Any]]:
    """The articles' questions in the evaluation format; ``split`` names the article."""
    items = []
    for article in articles:
        for q in article.questions:
            answers = list(dict.fromkeys(a["text"] for a in q["answers"])) if not q["is_impossible"] else []
            items.append(
                {
                    "id": q["id"],
                    "question": q["question"].strip(),
                    "answers": answers,
                    "document": article.document_id if answers else None,
                    "style": "squad",
                    "split": article.title,
                }
            )
    return items


def drop_words(question: str, rng: random.Random, rate: float = DROP_RATE) -> str:
    """The question with about half its content words left out (the question word and stop
    words stay): SQuAD's questions share most words with their answer, the project's users'
    do not, so training also sees questions that must be matched by meaning and answer type."""
    words = question.split()
    content = [i for i, w in enumerate(words) if i > 0 and w.lower().strip("?,.'\"") not in STOPWORDS]
    dropped = {i for i in content if rng.random() < rate}
    if len(dropped) == len(content) and content:
        dropped.discard(rng.choice(content))
    return " ".join(w for i, w in enumerate(words) if i not in dropped)


def add_texts(corpus: Path, folder: Path) -> None:
    """Copy the texts of the corpus folder ``corpus`` (its files and its catalogue's entries)
    into ``folder``, beside what ``write_corpus`` wrote there; unchanged texts are left alone."""
    for file in sorted(corpus.iterdir()):
        if file.name == CATALOG_NAME or not file.is_file():
            continue
        write_if_changed(folder / file.name, file.read_bytes())
    if (corpus / CATALOG_NAME).is_file():
        entries = (corpus / CATALOG_NAME).read_text(encoding="utf-8")
        write_catalog(folder, (folder / CATALOG_NAME).read_text(encoding="utf-8") + "\n" + entries)


def prepare_index(
    articles: list[Article], folder: Path, texts: Path | None = None, **overrides: Any
) -> Settings:
    """Write the articles as a corpus under ``folder``, with the texts of the corpus folder
    ``texts`` beside them if given, and build (or bring up to date) its index there; returns the
    settings that load it. Incremental: a second call re-embeds nothing."""
    from service.ingest.corpus import load_corpus
    from service.ingest.indexer import build_index, stale_reason

    write_corpus(articles, folder / "corpus")
    if texts is not None:
        add_texts(texts, folder / "corpus")
    settings = Settings(corpus_dir=folder / "corpus", index_dir=folder / "index", **overrides)
    if stale_reason(settings, load_corpus(settings.corpus_dir).documents) is not None:
        build_index(settings, progress=False)
    return settings


def prepare_distractor_index(texts: Path) -> Settings:
    """One corpus of the texts of the corpus folder ``texts`` and all eight articles, indexed
    under ``.cache/squad-eval/mixed/``: each set's questions asked among texts about other things
    (``scripts/evaluate.py --distractors``, ``scripts/bench_peer.py --distractors``)."""
    return prepare_index(load_articles(), ROOT / ".cache" / "squad-eval" / "mixed", texts=texts)
