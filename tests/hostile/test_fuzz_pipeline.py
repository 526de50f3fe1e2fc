"""Property: whatever bytes a relay posts to /inbound/raw, the server never answers 5xx, and an
accepted message always reaches a final state in the processing log, never left queued or
processing. Through HTTP and the real worker (the `api` fixture), on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, given, settings

from tests.api.conftest import BASIC, Api
from tests.hostile.mutations import envelope_senders, messages, with_fresh_message_id

# A fixed, modest run: the same 60 messages every time (derandomize), no example database
# written into the work tree, no per-example deadline (each waits for the worker). For a longer
# hunt with fresh random messages: HOSTILE_FUZZ_EXAMPLES=2000 pytest tests/hostile -k fuzz
HUNT = int(os.environ.get("HOSTILE_FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    max_examples=HUNT or 60, deadline=None, derandomize=not HUNT, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)


def post_raw(api: Api, raw: bytes, envelope_from: str | None = None) -> Any:
    headers: dict[str, str | bytes] = {"Authorization": BASIC, "Content-Type": "message/rfc822"}
    if envelope_from is not None:
        headers["X-Envelope-From"] = envelope_from.encode("latin-1")  # as HTTP carries it
    return api.client.post("/inbound/raw", content=raw, headers=headers)


@FUZZ
@given(raw=messages(), envelope_from=envelope_senders())
def test_any_posted_bytes_end_in_a_final_state_and_never_a_server_error(
        customer_api: Api, raw: bytes, envelope_from: str | None) -> None:
    response = post_raw(customer_api, with_fresh_message_id(raw), envelope_from)
    assert response.status_code < 500, response.text
    if not raw.strip():
        assert response.status_code == 400  # nothing to store: a clear refusal
        return
    assert response.status_code == 200, response.text
    accepted = response.json()
    message = customer_api.processed(accepted["id"], timeout=20)
    assert message["status"] == "done", message["error"]
    assert message["outcome"], message
