"""Fixtures for hostile input: the whole app (tests/api/conftest.py) with one known customer."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, api  # noqa: F401  (the fixture, re-exported for this package)
from tests.conftest import wait_until

CUSTOMER_DOMAIN = "acme.example"


@pytest.fixture
def customer_api(api: Api) -> Api:  # noqa: F811
    """The app with an account that owns acme.example, so readable senders become tickets."""
    api.account("Acme", email=CUSTOMER_DOMAIN)
    return api


def final_states(api: Api, ids: list[int], timeout: float = 30.0) -> dict[int, dict[str, Any]]:
    """Wait until every message has a final state (done/failed); return them by id."""
    wanted = set(ids)

    def all_final() -> dict[int, dict[str, Any]] | None:
        items = api.get("/api/v1/inbound-messages", params={"limit": 1000})["items"]
        found = {m["id"]: m for m in items if m["id"] in wanted}
        if len(found) == len(wanted) and all(m["status"] in ("done", "failed") for m in found.values()):
            return found
        return None

    return wait_until(all_final, timeout)  # type: ignore[return-value]
