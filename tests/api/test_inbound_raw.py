"""POST /inbound/raw: credentials, sizes, media types; 200 only once stored."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.entrypoints.web import create_app
from tests.api.conftest import BASIC, Api, make_settings
from tests.conftest import SmtpSink
from tests.mail import email as make_email


def nothing_stored(api: Api) -> bool:
    return api.get("/api/v1/inbound-messages")["total"] == 0


@pytest.mark.parametrize("authorization", [
    None, "Basic " + base64.b64encode(b"inbound:wrong").decode(),
    "Basic " + base64.b64encode(b"someone:inbound-secret").decode(), "Bearer test-api-key",
    "Basic !!!notbase64",
])
def test_bad_or_missing_credentials_are_refused_and_nothing_is_stored(api: Api, authorization: str | None) -> None:
    headers = {"Content-Type": "message/rfc822"}
    if authorization:
        headers["Authorization"] = authorization
    response = api.client.post("/inbound/raw", content=make_email(), headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Basic")
    assert nothing_stored(api)


def test_a_message_over_the_size_limit_is_refused_with_413(tmp_path: Path, smtp: SmtpSink,
                                                          database_url: str) -> None:
    app = create_app(make_settings(tmp_path, smtp, database_url=database_url, max_message_bytes=10_000))
    with TestClient(app) as client:
        api = Api(client)
        big = make_email(body="x" * 20_000)
        response = client.post("/inbound/raw", content=big,
                               headers={"Authorization": BASIC, "Content-Type": "message/rfc822"})
        assert response.status_code == 413
        chunked = client.post("/inbound/raw", content=iter([big[:6000], big[6000:]]),
                              headers={"Authorization": BASIC, "Content-Type": "message/rfc822"})
        assert chunked.status_code == 413
        assert nothing_stored(api)
        assert api.send(make_email(body="small"))["status"] == "queued"


def test_other_media_types_are_refused_with_415(api: Api) -> None:
    response = api.client.post("/inbound/raw", content=b"x",
                               headers={"Authorization": BASIC, "Content-Type": "application/json"})
    assert response.status_code == 415
    assert nothing_stored(api)


def test_an_empty_body_is_a_400(api: Api) -> None:
    response = api.client.post("/inbound/raw", content=b"",
                               headers={"Authorization": BASIC, "Content-Type": "message/rfc822"})
    assert response.status_code == 400


def test_the_stored_message_is_served_back_byte_for_byte_with_its_envelope(api: Api) -> None:
    raw = make_email().replace(b"\n", b"\r\n") + b"\xff\xfe trailing bytes"
    accepted = api.send(raw, envelope_from="bounce+1@acme.example")
    assert accepted["status"] == "queued"
    served = api.client.get(f"/api/v1/inbound-messages/{accepted['id']}/raw", headers=api.headers)
    assert served.content == raw
    assert served.headers["content-type"].startswith("message/rfc822")
    message = api.get(f"/api/v1/inbound-messages/{accepted['id']}")
    assert message["envelope_from"] == "bounce+1@acme.example"
    assert message["size"] == len(raw)


def test_garbage_is_still_accepted_and_reaches_a_final_state(api: Api) -> None:
    message = api.deliver(b"\x00\x01\x02 this is not a mail at all \xff" * 10)
    assert message["status"] == "done"
    assert message["outcome"] == "forwarded_unrecognized"


def test_the_envelope_recipient_separates_copies_of_one_message(api: Api) -> None:
    raw = make_email()
    headers = {"Authorization": BASIC, "Content-Type": "message/rfc822"}
    first = api.client.post("/inbound/raw", content=raw, headers={**headers, "X-Envelope-To": "support@msp.example"})
    second = api.client.post("/inbound/raw", content=raw, headers={**headers, "X-Envelope-To": "sales@msp.example"})
    assert first.json()["status"] == second.json()["status"] == "queued"


def test_the_endpoint_refuses_and_accepts_as_documented(tmp_path: Path, smtp: SmtpSink,
                                                        database_url: str) -> None:
    settings = make_settings(tmp_path, smtp, database_url=database_url, max_message_bytes=5_000)
    with TestClient(create_app(settings)) as client:
        post = lambda body, **headers: client.post("/inbound/raw", content=body, headers={  # noqa: E731
            "Authorization": BASIC, "Content-Type": "message/rfc822", **headers})
        assert post(make_email(), Authorization="Basic eDp5").status_code == 401
        assert post(make_email(), **{"Content-Type": "text/html"}).status_code == 415
        assert post(b"x" * 6_000).status_code == 413
        assert post(b"   ").status_code == 400
        first = post(make_email(message_id="<same@x>"), **{"X-Envelope-From": "<>"}).json()
        assert first["status"] == "queued"
        assert post(make_email(message_id="<same@x>")).json() == {
            "id": first["id"] + 1, "status": "duplicate", "duplicate_of": first["id"]}
        logged = Api(client).get(f"/api/v1/inbound-messages/{first['id']}")
        assert logged["envelope_from"] == ""
