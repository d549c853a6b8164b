"""Contract fuzzing: schemathesis generates requests from the service's own OpenAPI schema,
valid and invalid; every response must be a non-5xx that conforms to the schema."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings


@pytest.fixture(scope="module")
def api_schema(client: TestClient):  # type: ignore[no-untyped-def]
    # `client` has run the app's lifespan, so the model and index are loaded on app.state.
    return schemathesis.openapi.from_asgi("/openapi.json", client.app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=40, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
def test_every_operation_conforms_and_never_fails(case) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate()
