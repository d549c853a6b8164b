"""Load shedding: beyond a set number of requests in flight, answer 503 at once.

A server that queues every request without bound answers a burst late for everyone: at 128
clients the median reached 700 ms and nothing pushed back. With a bound, the requests it
accepts are served about as fast as at the bound, and the rest learn at once, with
``Retry-After``, that they should come back, instead of waiting and timing out.

Probes (``/health``, ``/ready``, ``/metrics``) and static files are never shed: an operator
must be able to see an overloaded server.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

#: Paths never shed (prefixes).
UNSHED = ("/health", "/ready", "/metrics", "/static")
RETRY_AFTER_SECONDS = 1


class LoadShedder:
    """ASGI middleware: at most ``limit`` HTTP requests in flight in this process."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.in_flight = 0  # one event loop per process: no lock needed
        self.shed = 0  # requests refused since start (for metrics and tests)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(UNSHED):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            self.shed += 1
            await self._refuse(send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {
                "status": 503,
                "detail": f"the service is at capacity ({self.limit} requests in flight); "
                f"retry after {RETRY_AFTER_SECONDS} s",
                "errors": [],
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
