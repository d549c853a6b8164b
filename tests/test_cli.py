"""``hsqa`` in a terminal: the same answers as the API, readable or as JSON, from the local
index or from a running service."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service.http.cli import EXIT_BAD_INPUT, EXIT_UNAVAILABLE, main
from tooling.localserver import free_port, running_service, wait_ready

HSQA = Path(sys.executable).parent / "hsqa"
OGATA = "What priorities did Sadako Ogata name for human security?"


@pytest.fixture(scope="module")
def live_url(built_index: Path) -> Iterator[str]:
    with running_service(built_index) as (url, server):
        wait_ready(url, server)
        yield url


@pytest.fixture()
def local_index(built_index: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HSQA_INDEX_DIR", str(built_index))
    monkeypatch.setenv("COLUMNS", "200")  # a wide terminal: table cells on one line each
    return built_index


def test_the_installed_command_prints_the_services_own_json(live_url: str) -> None:
    done = subprocess.run(
        [str(HSQA), "ask", OGATA, "--url", live_url, "--json"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    served = httpx.post(f"{live_url}/ask", json={"question": OGATA, "top_k": 5}).json()
    assert printed["answer"] == served["answer"] and printed["answer"] is not None
    assert [p["citation"] for p in printed["passages"]] == [p["citation"] for p in served["passages"]]


def test_ask_from_the_local_index_prints_the_answer_and_its_citations(
    local_index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ask", OGATA]) == 0
    shown = capsys.readouterr().out
    assert "answer (probability" in shown and "mofa-2000-international-symposium" in shown
    assert (
        main(["search", "freedom from fear", "--doc", "bosold-werthes-2005-human-security-in-practice"]) == 0
    )
    assert "no answer" not in capsys.readouterr().out


def test_compare_and_quote_print_a_table_and_a_verdict(
    local_index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compare", "What did Lloyd Axworthy promote?"]) == 0
    assert capsys.readouterr().out.count("does not address this") == 4
    assert main(["quote", "a commonly accepted definition (for academic purposes)"]) == 0
    assert "found verbatim" in capsys.readouterr().out


def test_bad_input_exits_2_with_the_services_reason(
    live_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["ask", "human security", "--url", live_url, "--from", "2010", "--to", "2000"]) == EXIT_BAD_INPUT
    )
    assert "after to" in capsys.readouterr().err


def test_an_unreachable_service_exits_3_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    assert main(["quote", "anything", "--url", url]) == EXIT_UNAVAILABLE
    assert url in capsys.readouterr().err
