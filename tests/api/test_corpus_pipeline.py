"""Every real-world message of the corpus goes through the whole pipeline to a final state."""

from __future__ import annotations

import pytest

from tests.adapters.test_mime_corpus import corpus_messages, requires_corpus
from tests.api.conftest import Api
from tests.conftest import wait_until


@requires_corpus
def test_every_corpus_message_is_accepted_and_processed_to_done(api: Api) -> None:
    api.account("Example", email="example.com")
    api.account("Acme", email="test.lindsaar.net")
    paths = corpus_messages()
    ids = {api.send(path.read_bytes())["id"]: path.name for path in paths}
    wait_until(lambda: api.get("/api/v1/inbound-messages", params={"status": "queued"})["total"] == 0
               and api.get("/api/v1/inbound-messages", params={"status": "processing"})["total"] == 0,
               timeout=60)
    log = api.get("/api/v1/inbound-messages", params={"limit": 1000})["items"]
    states = {m["id"]: (m["status"], m["outcome"]) for m in log if m["id"] in ids}
    not_done = {ids[i]: s for i, s in states.items() if s[0] != "done"}
    assert not_done == {}
    outcomes = {outcome for _, outcome in states.values()}
    assert {"ticket_created", "forwarded_unrecognized", "bounce"} <= outcomes


pytestmark = pytest.mark.filterwarnings("ignore")
