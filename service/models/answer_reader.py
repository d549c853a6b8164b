"""The answer reader: a small cross-encoder that reads the question together with each of the
answer model's few best candidates and says how well the candidate answers it.

The answer model (``service.models.answer_model``) scores every candidate from features of
overlap and vector similarity, which cannot tell a sentence that *restates* the question from
one that *answers* it. The reader sees question and candidate side by side, so it can; it costs
one model call per candidate, so the answer model has it read only its few best candidates and
adds the reader's logit to theirs (``answer_model.reread``). Measured on data neither was
trained on (BENCHMARKS.md), that picks the right sentence more often than either alone.

The reader is all-MiniLM-L6-v2 (the bundled embedding model) with a classification head,
its top layers fine-tuned on SQuAD 2.0 by ``scripts/train_answer_reader.py`` (CC BY-SA 4.0;
see the model card beside the artifact), run by onnxruntime with int8 weights. Its
tokenizer is the bundled model's own.

Each candidate is read as its own pair, the pairs side by side on a small thread pool. Read
together in one padded batch, two pairs took longer than two parallel reads (15 against 9 ms on
2 cores), and with int8 activations quantised per batch a pair's logit moved with its
batch-mate; read alone, a pair always gets the same logit.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from service.models.artifacts import read_meta
from service.models.embedding import resolve_model_path
from service.models.onnx_embedding import session as onnx_session

BUNDLED_READER = Path(__file__).resolve().parent / "answer-reader"
READER_FILE = "reader_int8.onnx"
READER_META = "reader.json"
#: Pairs read at once: the service reads a question's best two.
READ_SIDE_BY_SIDE = 2


@dataclass(frozen=True)
class AnswerReader:
    """A loaded reader; inference only, one instance serves all requests."""

    name: str
    session: Any  # onnxruntime.InferenceSession
    tokenizer: Any  # tokenizers.Tokenizer
    meta: dict[str, Any]
    pool: ThreadPoolExecutor | None = None  # reads a question's pairs side by side

    @classmethod
    def load(
        cls, folder: Path = BUNDLED_READER, threads: int = 1, side_by_side: int = READ_SIDE_BY_SIDE
    ) -> AnswerReader:
        from tokenizers import Tokenizer

        meta = read_meta(
            folder,
            READER_META,
            READER_FILE,
            "answer reader",
            "train one with `python scripts/train_answer_reader.py`",
        )
        session = onnx_session(folder / READER_FILE, threads)
        tokenizer = Tokenizer.from_file(str(Path(resolve_model_path(meta["base_model"])) / "tokenizer.json"))
        tokenizer.enable_truncation(int(meta["max_length"]), strategy="only_second")
        tokenizer.no_padding()
        pool = ThreadPoolExecutor(side_by_side, "hsqa-reader") if side_by_side > 1 else None
        return cls(meta["name"], session, tokenizer, meta, pool)

    def logits(self, question: str, texts: Sequence[str]) -> np.ndarray:
        """The reader's logit for each text as an answer to ``question`` (higher: answers it)."""
        read = self.pool.map if self.pool is not None and len(texts) > 1 else map
        return np.fromiter(read(lambda text: self.logit(question, text), texts), dtype=np.float64)

    def logit(self, question: str, text: str) -> float:
        """The reader's logit for one (question, text) pair, read alone."""
        pair = self.tokenizer.encode(question, text)
        feed = {
            "input_ids": np.array([pair.ids], dtype=np.int64),
            "attention_mask": np.array([pair.attention_mask], dtype=np.int64),
            "token_type_ids": np.array([pair.type_ids], dtype=np.int64),
        }
        return float(np.asarray(self.session.run(None, feed)[0]).reshape(-1)[0])
