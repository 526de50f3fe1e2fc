"""The admin console's account: a generated password printed once and kept only as a hash,
signed sessions that cannot be forged, CSRF tokens bound to a session, the sign-in limit."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from pydantic import SecretStr

from api.application.admin import AdminConsole, ConsoleSession, SignInLimiter, load_admin
from domain.errors import TooManyAttempts, Unauthorized


def settings(data_dir: Path, **values: object) -> SimpleNamespace:
    base = {"admin_username": "admin", "admin_password": None, "admin_session_key": None,
            "data_dir": data_dir}
    return SimpleNamespace(**{**base, **values})


def test_a_generated_password_is_printed_once_and_only_its_hash_is_stored(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    console = load_admin(settings(tmp_path))
    printed = capsys.readouterr().out
    password = printed.split("(/admin): ")[1].split()[0]
    stored = (tmp_path / "admin-password.argon2").read_text()
    assert password not in stored and stored.startswith("$argon2")
    assert (tmp_path / "admin-password.argon2").stat().st_mode & 0o077 == 0
    assert console.session(console.sign_in("admin", password, client="c")).username == "admin"
    again = load_admin(settings(tmp_path))  # the next start: nothing printed, same password
    assert capsys.readouterr().out == ""
    assert again.session(again.sign_in("admin", password, client="c")) is not None


def test_the_environments_password_signs_in_and_no_other() -> None:
    console = AdminConsole("admin", lambda: __import__("argon2").PasswordHasher().hash("pw"),
                           "key")
    assert console.sign_in("admin", "pw", client="c")
    with pytest.raises(Unauthorized):
        console.sign_in("admin", "PW", client="c")
    with pytest.raises(Unauthorized):
        console.sign_in("administrator", "pw", client="c")


def test_the_configured_password_and_session_key_are_used(tmp_path: Path) -> None:
    one = load_admin(settings(tmp_path, admin_password=SecretStr("pw"),
                              admin_session_key=SecretStr("shared")))
    other = load_admin(settings(tmp_path / "elsewhere", admin_password=SecretStr("pw"),
                                admin_session_key=SecretStr("shared")))
    cookie = one.sign_in("admin", "pw", client="c")
    assert other.session(cookie) is not None  # another web process with the same key
    assert not (tmp_path / "admin-password.argon2").exists()


def test_a_tampered_or_foreign_session_is_not_a_session() -> None:
    console = AdminConsole("admin", lambda: "unused", "key-one")
    cookie = console.issue(ConsoleSession("nonce", "admin"))
    assert console.session(cookie) == ConsoleSession("nonce", "admin")
    assert console.session(cookie[:-2] + "xx") is None
    assert AdminConsole("admin", lambda: "unused", "key-two").session(cookie) is None
    assert AdminConsole("renamed", lambda: "unused", "key-one").session(cookie) is None
    assert console.session("") is None and console.session(None) is None


def test_a_csrf_token_belongs_to_its_session() -> None:
    console = AdminConsole("admin", lambda: "unused", "key")
    mine, theirs = ConsoleSession("n1", "admin"), ConsoleSession("n2", "admin")
    assert console.csrf_valid(mine, console.csrf_token(mine))
    assert not console.csrf_valid(mine, console.csrf_token(theirs))
    assert not console.csrf_valid(mine, None) and not console.csrf_valid(None, "x")


def test_failures_are_limited_per_key_and_forgotten_after_the_window() -> None:
    now = [0.0]
    limiter = SignInLimiter(allowed=3, window_seconds=60, clock=lambda: now[0])
    for _ in range(3):
        limiter.failed([("user", "admin"), ("client", "1.2.3.4")])
    assert limiter.blocked([("user", "admin")])
    assert limiter.blocked([("client", "1.2.3.4")])
    assert not limiter.blocked([("user", "other"), ("client", "5.6.7.8")])
    now[0] = 61.0
    assert not limiter.blocked([("user", "admin"), ("client", "1.2.3.4")])


def test_a_blocked_user_is_refused_even_with_the_right_password() -> None:
    console = AdminConsole("admin", lambda: __import__("argon2").PasswordHasher().hash("pw"),
                           "key", limiter=SignInLimiter(allowed=2))
    for client in ("a", "b"):  # from two addresses: the user name's count still adds up
        with pytest.raises(Unauthorized):
            console.sign_in("admin", "nope", client=client)
    with pytest.raises(TooManyAttempts):
        console.sign_in("Admin ", "pw", client="c")


def test_a_signed_out_session_is_refused_and_others_are_not() -> None:
    console = AdminConsole("admin", lambda: "unused", "key")
    mine, other = ConsoleSession("n1", "admin"), ConsoleSession("n2", "admin")
    cookie, other_cookie = console.issue(mine), console.issue(other)
    console.sign_out(mine)
    assert console.session(cookie) is None
    assert console.session(other_cookie) == other
