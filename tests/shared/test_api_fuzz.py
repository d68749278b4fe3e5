"""schemathesis against both OpenAPI schemas, on real uvicorn servers: valid and invalid requests
for every operation (a few examples each, so it stays under a minute), logged in. What must hold:
no server error, and every status that comes back is one the schema documents for that
operation."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.openapi import from_dict

from tests.conftest import TEST_API_KEY, live_server

ADMIN_PASSWORD = "admin-password-123"
EXAMPLES = 6  # per operation and mode: enough to hit each error path, small enough for CI
# Operations that end the fuzzer's own login (it would test 401s only from then on).
SELF_ENDING = {
    ("POST", "/api/auth/logout"),
    ("POST", "/api/auth/password"),
    ("POST", "/api/users/{username}/password"),
    ("PATCH", "/api/users/{username}"),
    ("DELETE", "/api/auth/sessions/{session_id}"),
}


def fuzz(app_schema: dict, base_url: str, headers: dict[str, str]) -> tuple[Counter, list[str]]:
    """Requests per status, and the problems found (server errors, undocumented statuses)."""
    schema = from_dict(app_schema)
    statuses: Counter = Counter()
    problems: list[str] = []
    with requests.Session() as session:  # one keep-alive connection, as a proxy holds it

        def exercise(operation, mode: GenerationMode) -> None:
            label = f"{operation.method.upper()} {operation.path}"
            documented = {str(code) for code in operation.definition.raw["responses"]}

            @settings(
                max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case) -> None:
                response = case.call(base_url=base_url, headers=headers, session=session)
                code = response.status_code
                statuses[code] += 1
                if code >= 500 and code != 503:
                    problems.append(f"{label}: {code} {response.text[:200]}")
                elif str(code) not in documented:
                    problems.append(f"{label}: {code} is not documented {sorted(documented)}")

            try:
                run()
            except Unsatisfiable:  # nothing to make invalid (no parameters, no body)
                assert mode is GenerationMode.NEGATIVE, label

        for result in schema.get_all_operations():
            operation = result.ok()
            if (operation.method.upper(), operation.path) not in SELF_ENDING:
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                    exercise(operation, mode)
    return statuses, problems


@pytest.fixture
def quiet_access_log():
    import logging

    logger = logging.getLogger("uvicorn.access")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)


async def test_webui_api_under_schemathesis(test_settings, quiet_access_log):
    from semantik.webui import accounts
    from semantik.webui.app import create_app
    from semantik.webui.db import open_database

    # No vecpipe behind it (503 where one is needed): the fuzzer exercises webui's own code.
    settings = test_settings.model_copy(update={"vecpipe_url": "http://127.0.0.1:9"})
    app = create_app(settings)
    async with live_server(app) as url:
        conn = open_database(settings.database_path)
        try:
            accounts.create_user(conn, "admin", ADMIN_PASSWORD, is_admin=True)
        finally:
            conn.close()
        async with httpx.AsyncClient(base_url=url) as client:
            tokens = (await client.post(
                "/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
            )).json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        statuses, problems = await asyncio.to_thread(fuzz, app.openapi(), url, headers)
    server_errors = sum(n for code, n in statuses.items() if code >= 500 and code != 503)
    print(f"webui: {sum(statuses.values())} requests, statuses {dict(sorted(statuses.items()))}, "
          f"{server_errors} server errors, {len(problems)} problems")
    assert problems == []
    assert statuses[200] and statuses[422]


async def test_vecpipe_api_under_schemathesis(vecpipe_app, quiet_access_log):
    async with live_server(vecpipe_app) as url:
        headers = {"X-API-Key": TEST_API_KEY}
        async with httpx.AsyncClient(base_url=url, headers=headers) as client:
            await client.post("/collections", json={"name": "fuzz"})
        statuses, problems = await asyncio.to_thread(fuzz, vecpipe_app.openapi(), url, headers)
    server_errors = sum(n for code, n in statuses.items() if code >= 500 and code != 503)
    print(f"vecpipe: {sum(statuses.values())} requests, statuses {dict(sorted(statuses.items()))}, "
          f"{server_errors} server errors, {len(problems)} problems")
    assert problems == []
    assert statuses[200] and statuses[422]
