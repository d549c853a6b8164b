"""What the service tells its operator: one JSON log line per request and Prometheus metrics.

A single pure ASGI middleware does both (and adds the common security headers), so each
request pays for one wrapper, not three. Routes are labelled by their template
(``/documents/{document_id}``), never by the raw path, so label sets stay bounded. Question
text is logged only when ``HSQA_LOG_QUESTIONS=true``.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import parse_qs

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import Message, Receive, Scope, Send

log = logging.getLogger("hsqa.access")

# Sent with every response; the pages add a strict Content-Security-Policy of their own.
COMMON_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)


class Metrics:
    """One registry per app, so that several apps in one process (tests) never collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "hsqa_requests_total",
            "HTTP requests by route, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "hsqa_request_duration_seconds",
            "Time to answer a request, by route.",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.documents = Gauge(
            "hsqa_index_documents", "Documents in the loaded index.", registry=self.registry
        )
        self.chunks = Gauge("hsqa_index_chunks", "Passages in the loaded index.", registry=self.registry)
        self.built = Gauge(
            "hsqa_index_build_timestamp_seconds",
            "When the loaded index was built (Unix time).",
            registry=self.registry,
        )
        self.question_batch = Histogram(
            "hsqa_question_batch_size",
            "Questions embedded together in one model call (service.http.batching).",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
            registry=self.registry,
        )
        self.ready = Gauge(
            "hsqa_ready", "1 when an index is loaded and searches are served.", registry=self.registry
        )


def _route(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "<unmatched>"


def _question(scope: Scope, body: bytes) -> str | None:
    if scope["path"] == "/ask" and body:
        try:
            value = json.loads(body).get("question")
            return value if isinstance(value, str) else None
        except (ValueError, AttributeError):
            return None
    q = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("q")
    return q[0] if q else None


class Telemetry:
    def __init__(self, app: Any, metrics: Metrics, log_questions: bool = False) -> None:
        self.app = app
        self.metrics = metrics
        self.log_questions = log_questions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        body = bytearray()

        async def recording_receive() -> Message:
            message = await receive()
            if self.log_questions and message["type"] == "http.request" and len(body) < 65536:
                body.extend(message.get("body", b""))
            return message

        async def wrapped_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers.extend(h for h in COMMON_HEADERS if h[0] not in present)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, recording_receive, wrapped_send)
        finally:
            elapsed = time.perf_counter() - start
            route = _route(scope)
            self.metrics.requests.labels(route, scope["method"], str(status)).inc()
            self.metrics.latency.labels(route).observe(elapsed)
            record: dict[str, Any] = {
                "method": scope["method"],
                "route": route,
                "path": scope["path"],
                "status": status,
                "ms": round(elapsed * 1000, 2),
            }
            if self.log_questions:
                record["question"] = _question(scope, bytes(body))
            log.info(json.dumps(record, ensure_ascii=False))
