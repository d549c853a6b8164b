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
"""

from __future__ import annotations

from collections.abc import Sequence
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


@dataclass(frozen=True)
class AnswerReader:
    """A loaded reader; inference only, one instance serves all requests."""

    name: str
    session: Any  # onnxruntime.InferenceSession
    tokenizer: Any  # tokenizers.Tokenizer
    meta: dict[str, Any]

    @classmethod
    def load(cls, folder: Path = BUNDLED_READER, threads: int = 1) -> AnswerReader:
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
        tokenizer.enable_padding()
        return cls(meta["name"], session, tokenizer, meta)

    def logits(self, question: str, texts: Sequence[str]) -> np.ndarray:
        """The reader's logit for each text as an answer to ``question`` (higher: answers it)."""
        if not texts:
            return np.zeros(0)
        batch = self.tokenizer.encode_batch([(question, text) for text in texts])
        feed = {
            "input_ids": np.array([b.ids for b in batch], dtype=np.int64),
            "attention_mask": np.array([b.attention_mask for b in batch], dtype=np.int64),
            "token_type_ids": np.array([b.type_ids for b in batch], dtype=np.int64),
        }
        return np.asarray(self.session.run(None, feed)[0], dtype=np.float64).reshape(-1)
