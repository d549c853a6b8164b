"""The fast query path: the same model run by onnxruntime instead of torch.

Embedding the question dominates the cost of /ask; onnxruntime does it in about half the time
of torch on these CPUs, with the same vectors. The model is exported once, at index time, into
``index/onnx/`` and kept only if its vectors match sentence-transformers' (cosine ≥ 0.9999 on
probe texts); otherwise, or for a model whose pipeline is not transformer → mean pooling →
normalise, the service keeps using torch. With the export present the service never loads
torch at all, which also makes it start faster.
"""

from __future__ import annotations

import json
import logging
import shutil
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
from tqdm import tqdm

from service.models.embedding import Embedder, resolve_model_path

log = logging.getLogger("hsqa.onnx")

ONNX_DIR = "onnx"
#: Texts per onnxruntime call: with length-sorted batches, 8 beat 16 and 32 on passages by
#: 10-30% here (less padding per call); one question is a batch of one anyway.
BATCH = 8
INT8_FILE = "model_int8.onnx"
MIN_COSINE = 0.9999
PROBES = [
    "What three priorities did Sadako Ogata name for human security?",
    "How do I boil an egg?",
    "x",
    "Ünïcödé, emoji 🧭 and Arabic الأمن الإنساني",
    "The Commission on Human Security was established in January 2001. " * 30,  # past the window
]


def _mean_pooling_pipeline(embedder: Embedder) -> bool:
    modules = [type(m).__name__ for m in embedder.model]
    if modules[:2] != ["Transformer", "Pooling"] or modules[2:] not in ([], ["Normalize"]):
        return False
    pooling = embedder.model[1]
    # sentence-transformers 6 names the mode; older versions had one flag per mode.
    return getattr(pooling, "pooling_mode", None) == "mean" or bool(
        getattr(pooling, "pooling_mode_mean_tokens", False)
    )


def export(embedder: Embedder, dest: Path) -> bool:
    """Export ``embedder``'s model to ``dest`` and verify it; False (nothing kept) if the model
    cannot be exported faithfully."""
    import torch

    if not _mean_pooling_pipeline(embedder):
        log.info("not exporting %s to ONNX: its pipeline is not mean pooling", embedder.model_id)
        return False
    # sentence-transformers types the first module's model loosely (a Tensor or a Module).
    transformer = cast(torch.nn.Module, embedder.model[0].auto_model).eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = transformer

        def forward(
            self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
        ) -> torch.Tensor:
            out = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state

    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    sample = embedder.model.tokenizer(PROBES[:2], padding=True, return_tensors="pt")
    axes = {0: "batch", 1: "tokens"}
    try:
        # The tracer warns about Python control flow in the model; the probe check below is
        # what decides whether the export is faithful.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                LastHiddenState(),
                (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
                str(tmp / "model.onnx"),
                input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["last_hidden_state"],
                dynamic_axes={
                    "input_ids": axes,
                    "attention_mask": axes,
                    "token_type_ids": axes,
                    "last_hidden_state": axes,
                },
                opset_version=17,
                dynamo=False,
            )
        shutil.copy(Path(resolve_model_path(embedder.model_id)) / "tokenizer.json", tmp / "tokenizer.json")
        meta = {
            "model": embedder.model_id,
            "dimension": embedder.dimension,
            "max_seq_length": embedder.max_seq_length,
        }
        (tmp / "onnx.json").write_text(json.dumps(meta))
        reference = embedder.encode(PROBES)
        cosine = float(np.min(np.sum(OnnxEmbedder(tmp).encode(PROBES) * reference, axis=1)))
    except Exception as exc:  # noqa: BLE001 - any export failure means: keep using torch
        log.warning("ONNX export of %s failed (%s); queries will use torch", embedder.model_id, exc)
        shutil.rmtree(tmp, ignore_errors=True)
        return False
    if cosine < MIN_COSINE:
        log.warning(
            "ONNX export of %s differs from torch (min cosine %.6f); not used", embedder.model_id, cosine
        )
        shutil.rmtree(tmp, ignore_errors=True)
        return False
    meta = {**meta, "min_probe_cosine": cosine, **_quantize(tmp, reference)}
    (tmp / "onnx.json").write_text(json.dumps(meta))
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    return True


def _quantize(folder: Path, reference: np.ndarray) -> dict[str, object]:
    """A dynamically quantised (int8 weights) copy for the ``query_int8`` option: ~1.7x faster
    per question, but its vectors differ (cosine ~0.97 to fp32), so it is off by default and
    must pass the evaluation harness before anyone turns it on. ``reference``: torch's vectors
    of ``PROBES``."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    try:
        quantize_dynamic(str(folder / "model.onnx"), str(folder / INT8_FILE), weight_type=QuantType.QInt8)
        cosine = float(
            np.min(np.sum(OnnxEmbedder(folder, model_file=INT8_FILE).encode(PROBES) * reference, axis=1))
        )
    except Exception as exc:  # noqa: BLE001 - the int8 copy is optional
        log.warning("no int8 copy of the ONNX export (%s)", exc)
        (folder / INT8_FILE).unlink(missing_ok=True)
        return {}
    return {"int8": {"file": INT8_FILE, "min_probe_cosine": cosine}}


def exported_for(index_dir: Path, model: str) -> Path | None:
    """The export in ``index_dir`` for ``model``, if there is a verified one."""
    folder = index_dir / ONNX_DIR
    try:
        meta = json.loads((folder / "onnx.json").read_text())
    except (OSError, ValueError):
        return None
    return folder if meta.get("model") == model and "min_probe_cosine" in meta else None


def session(model: Path, threads: int = 1) -> Any:
    """An onnxruntime session on the CPU, as every model of the service runs."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Threads that spin while idle steal the cores other requests need.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])


class OnnxEmbedder:
    """The same interface as ``Embedder``, backed by onnxruntime and the fast tokenizer."""

    def __init__(
        self, folder: Path, batch_size: int = BATCH, threads: int = 1, model_file: str = "model.onnx"
    ) -> None:
        from tokenizers import Tokenizer

        meta = json.loads((folder / "onnx.json").read_text())
        self.model_id: str = meta["model"]
        self.dimension: int = meta["dimension"]
        self.max_seq_length: int = meta["max_seq_length"]
        self.batch_size = batch_size
        self.runtime = "onnx" if model_file == "model.onnx" else "onnx-int8"
        self._session = session(folder / model_file, threads)
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(self.max_seq_length)
        self._tokenizer.enable_padding()

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Unit-length float32 vectors, one row per text. Texts are batched shortest first so a
        batch pads to similar lengths (about 1.3x faster than torch on passages, measured)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        starts = range(0, len(texts), self.batch_size)
        for i in tqdm(starts, desc="embedding", unit="batch", disable=not progress):
            rows = order[i : i + self.batch_size]
            out[rows] = self._embed([texts[r] for r in rows])
        return out

    def _embed(self, texts: list[str]) -> np.ndarray:
        batch = self._tokenizer.encode_batch(texts)
        ids = np.array([b.ids for b in batch], dtype=np.int64)
        mask = np.array([b.attention_mask for b in batch], dtype=np.int64)
        types = np.array([b.type_ids for b in batch], dtype=np.int64)
        hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[
            0
        ]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]
