"""Serve the app: ``python -m service [--index DIR] [--host H] [--port P] [--workers N]``
(also installed as ``hsqa-serve``); ``--ray [ADDRESS] [--replicas N | --min-replicas N
--max-replicas M]`` serves the same app on Ray Serve (``service.http.ray_serve``)."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

import uvicorn

from service.config import Settings


def main(argv: list[str] | None = None) -> None:
    defaults = Settings()
    parser = argparse.ArgumentParser(description="Serve the human security QA service.")
    parser.add_argument(
        "--index", type=Path, default=defaults.index_dir, help="index folder (HSQA_INDEX_DIR)"
    )
    parser.add_argument("--host", default=defaults.host, help="listen address (HSQA_HOST)")
    parser.add_argument("--port", type=int, default=defaults.port, help="listen port (HSQA_PORT)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    cluster = parser.add_argument_group("Ray Serve (pip install 'hsqa[cluster]')")
    cluster.add_argument(
        "--ray",
        nargs="?",
        const="local",
        metavar="ADDRESS",
        help="serve with Ray Serve: no ADDRESS starts a local Ray; 'auto' or host:port joins a cluster "
        "(the index folder must be on a path every node sees)",
    )
    cluster.add_argument("--replicas", type=int, help="a fixed number of replicas (default 1)")
    cluster.add_argument(
        "--min-replicas", type=int, help="autoscale on ongoing requests between --min- and --max-replicas"
    )
    cluster.add_argument("--max-replicas", type=int)
    args = parser.parse_args(argv)
    # Workers are separate processes that build their own app from the environment.
    os.environ["HSQA_INDEX_DIR"] = str(args.index.resolve())
    # One JSON line per request comes from service.http.telemetry; uvicorn's own access log would
    # repeat it and print query strings, which hold users' questions.
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.ray:
        from service.http.ray_serve import Scale, run

        autoscale = args.min_replicas is not None or args.max_replicas is not None
        scale = (
            Scale(None, args.min_replicas or 1, args.max_replicas or args.min_replicas or 1)
            if autoscale
            else Scale(args.replicas or 1)
        )
        run(Settings(index_dir=args.index.resolve()), args.ray, args.host, args.port, scale)
        return
    uvicorn.run(
        "service.http.app:create_app",
        factory=True,
        access_log=False,
        host=args.host,
        port=args.port,
        workers=args.workers,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
