"""``hsqa``: ask, search, compare and check quotations from a terminal.

Every command speaks the HTTP contract: to a running service with ``--url``, or else to the
same app run in this process over the local index (``HSQA_INDEX_DIR``). So the terminal shows
exactly what the API returns; ``--json`` prints that response for scripts.

    hsqa ask "What did Sadako Ogata say were the priorities for human security?"
    hsqa search "freedom from fear" --doc bosold-werthes-2005-human-security-in-practice
    hsqa compare "How is human security defined?"
    hsqa quote "protecting the vital core of all human lives" --url http://127.0.0.1:8000
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import httpx
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

EXIT_BAD_INPUT = 2
EXIT_UNAVAILABLE = 3


@contextmanager
def client(url: str | None) -> Iterator[httpx.Client]:
    """An HTTP client of the service at ``url``, or of the app run in this process."""
    if url:
        with httpx.Client(base_url=url.rstrip("/"), timeout=60) as remote:
            yield remote
        return
    from fastapi.testclient import TestClient

    from service.http.app import create_app

    # Starlette's TestClient is an httpx.Client that calls the app in this process.
    with TestClient(create_app(), raise_server_exceptions=False) as local:
        yield cast(httpx.Client, local)


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if args.doc:
        found["documents"] = args.doc
    if args.kind:
        found["kinds"] = args.kind
    for key in ("source", "date_from", "date_to"):
        if getattr(args, key):
            found[key] = getattr(args, key)
    return found


def request(http: httpx.Client, args: argparse.Namespace) -> httpx.Response:
    """The one request a command makes."""
    if args.command in ("ask", "search"):
        body: dict[str, Any] = {"question": args.text, "top_k": args.top_k}
        if filters := _filters(args):
            body["filters"] = filters
        return http.post("/ask", json=body)
    if args.command == "compare":
        return http.post(
            "/compare", json={"question": args.text, **({"documents": args.doc} if args.doc else {})}
        )
    return http.post("/quote", json={"text": args.text})


def _citation(c: dict[str, Any]) -> str:
    where = f"{c['title']}" + (f", {c['date']}" if c.get("date") else "")
    section = f" — {c['section']}" if c.get("section") else ""
    return f"{where}{section} [{c['document_id']} {c['start']}–{c['end']}]"


def show_answer(console: Console, body: dict[str, Any], passages_only: bool = False) -> None:
    answer = body.get("answer")
    if not passages_only:
        if answer:
            cited = body["passages"][answer["passage"]]["citation"]
            console.print(Panel(escape(answer["text"]), title=f"answer (probability {answer['score']:.2f})"))
            where = _citation({**cited, "start": answer["start"], "end": answer["end"]})
            console.print(f"from {escape(where)}", overflow="fold")
        else:
            console.print(Panel(escape(body.get("message") or "The texts do not say."), title="no answer"))
    if body.get("filters") and body["filters"].get("message"):
        console.print(f"[yellow]{escape(body['filters']['message'])}[/]")
    table = Table("#", "passage", show_lines=True)
    table.add_column("citation", overflow="fold")
    for i, p in enumerate(body["passages"], 1):
        text = p["text"] if len(p["text"]) <= 400 else p["text"][:400] + "…"
        table.add_row(str(i), escape(text), escape(_citation(p["citation"])))
    console.print(table)


def show_compare(console: Console, body: dict[str, Any]) -> None:
    table = Table("document", "answer", show_lines=True)
    for row in body["documents"]:
        doc = f"{row['title']}" + (f" ({row['date']})" if row.get("date") else "")
        answer = row.get("answer")
        table.add_row(escape(doc), escape(answer["text"]) if answer else "[dim]does not address this[/]")
    console.print(table)


def show_quote(console: Console, body: dict[str, Any]) -> None:
    verdicts = {"exact": "found verbatim", "near": "found nearly verbatim", "not_found": "not found"}
    console.print(f"[bold]{verdicts[body['verdict']]}[/]")
    for m in body["matches"]:
        where = f"{m['document_id']} {m['start']}–{m['end']}"
        console.print(f"• {escape(m['title'])} {escape(f'[{where}]')}, similarity {m['similarity']}")
        console.print(f"  {escape(m['context'])}")
        for d in m["differences"]:
            console.print(
                f"  [red]quoted:[/] {escape(d['quoted'] or '—')}  [green]text:[/] {escape(d['text'] or '—')}"
            )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="hsqa", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in [
        ("ask", "the answer and the passages it comes from"),
        ("search", "the ranked passages with their citations"),
        ("compare", "each document's answer to one question, side by side"),
        ("quote", "where a quotation occurs in the texts, verbatim or nearly"),
    ]:
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("text", help="the question" if name != "quote" else "the quotation")
        sub.add_argument("--url", help="a running service (default: the local index, in this process)")
        sub.add_argument("--json", action="store_true", help="print the API's JSON response")
        if name != "quote":
            sub.add_argument("--doc", action="append", help="only this document id (repeatable)")
        if name in ("ask", "search"):
            sub.add_argument("--top-k", type=int, default=5, help="how many passages (default 5)")
            sub.add_argument("--kind", action="append", help="only documents of this kind (repeatable)")
            sub.add_argument("--source", help="only documents whose author or publisher contains this")
            sub.add_argument("--from", dest="date_from", help="only documents dated from (YYYY[-MM[-DD]])")
            sub.add_argument("--to", dest="date_to", help="only documents dated up to (YYYY[-MM[-DD]])")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(soft_wrap=False)
    try:
        with client(args.url) as http:
            response = request(http, args)
    except httpx.HTTPError as exc:
        print(f"hsqa: cannot reach {args.url} ({exc}); start it with `make serve`", file=sys.stderr)
        return EXIT_UNAVAILABLE
    try:
        body = response.json()
    except ValueError:
        print(
            f"hsqa: {args.url or 'the local app'} answered {response.status_code} without JSON; "
            "is it this service?",
            file=sys.stderr,
        )
        return EXIT_UNAVAILABLE
    if response.status_code != 200:
        print(f"hsqa: {body.get('detail', response.text)}", file=sys.stderr)
        return EXIT_BAD_INPUT if 400 <= response.status_code < 500 else EXIT_UNAVAILABLE
    if args.json:
        print(json.dumps(body, ensure_ascii=False, indent=2))
    elif args.command == "compare":
        show_compare(console, body)
    elif args.command == "quote":
        show_quote(console, body)
    else:
        show_answer(console, body, passages_only=args.command == "search")
    return 0


if __name__ == "__main__":
    sys.exit(main())
