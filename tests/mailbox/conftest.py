"""A real IMAP and POP3 server for the pollers' tests: Debian's Dovecot, started on free
loopback ports with a throwaway configuration in a temp dir (the one of
../shared/reference/dovecot-test-server.md). CI installs it (.ci/run); without the binary these
tests are skipped, saying so."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from imapclient import IMAPClient

from tests.conftest import free_port

USER, PASSWORD = "support@msp.example", "imap-test-secret"
SECOND_USER = "sales@msp.example"  # a second mailbox, same password
DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.access("/usr/sbin/dovecot",
                                                                        os.X_OK) else None)

CONFIG = """\
base_dir = {d}/run
state_dir = {d}/run
protocols = imap pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# A refused login answers at once, so the tests' deliberate failures do not wait: no failure
# delay (default 2 s) and no auth penalty (Dovecot's Authentication/Penalty: mode 0 turns it off).
auth_failure_delay = 0
log_path = {d}/dovecot.log
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 1
mail_location = maildir:{d}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={d}/mail/%u
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {pop3}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
"""


@dataclass
class Dovecot:
    directory: Path
    imap_port: int
    pop3_port: int
    user: str = USER
    password: str = PASSWORD

    def start(self) -> None:
        assert DOVECOT is not None
        # It daemonizes: with our pipes it would keep them open, so it gets none.
        subprocess.run([DOVECOT, "-c", str(self.directory / "dovecot.conf")], check=True,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=30)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.imap_port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"dovecot did not listen: {self.log()}")

    def stop(self) -> None:
        """Like a server going away: SIGTERM, and SIGKILL for what is left after half a second.
        Dovecot's own shutdown takes about 2.5 s (its log process lingers), over 20 times a
        suite, and an IMAP process holding a client in IDLE outlives its master by about 30 s,
        still answering (the restart test saw it); the log is read only when a test fails, and
        by then it has been written."""
        pid_file = self.directory / "run" / "master.pid"
        if not pid_file.exists():
            return
        pid = int(pid_file.read_text().split()[0])
        processes = [*_children(pid), pid]  # taken first: they are orphaned once it exits
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline and any(_alive(p) for p in processes):
            time.sleep(0.02)
        for process in processes:
            if _alive(process) and _is_dovecot(process):  # not a pid reused meanwhile
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(_alive(p) for p in processes):
            time.sleep(0.02)
        # A killed master leaves its pid file, and its pid may live on as a zombie nobody reaps
        # (a container's init may not): the next start would take it for a running Dovecot.
        pid_file.unlink(missing_ok=True)

    def log(self) -> str:
        path = self.directory / "dovecot.log"
        return path.read_text()[-3000:] if path.exists() else ""

    def client(self, user: str | None = None) -> IMAPClient:
        client = IMAPClient("127.0.0.1", port=self.imap_port, ssl=False, timeout=30)
        client.login(user or self.user, self.password)
        return client

    def append(self, *messages: bytes, folder: str = "INBOX", user: str | None = None) -> None:
        client = self.client(user)
        try:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            for raw in messages:
                client.append(folder, raw)
        finally:
            client.logout()

    def recreate(self, folder: str) -> None:
        """Delete the folder and create it again: a new UIDVALIDITY (RFC 9051 §2.3.1.1)."""
        client = self.client()
        try:
            client.delete_folder(folder)
            client.create_folder(folder)
        finally:
            client.logout()

    def flags(self, folder: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
        client = self.client()
        try:
            client.select_folder(folder, readonly=True)
            return {uid: tuple(flags) for uid, flags in client.get_flags(
                client.search(["ALL"])).items()}
        finally:
            client.logout()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed master stays a zombie until its parent (init here) reaps it.
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:  # gone meanwhile (reading a vanishing /proc entry: ESRCH)
        return False


def _is_dovecot(pid: int) -> bool:
    try:
        # the master is /usr/sbin/dovecot, its children name themselves dovecot/<service>
        return b"dovecot" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
    except OSError:
        return False


def _children(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


# Dovecot's oauth2 passdb (Dovecot 2.3: PasswordDatabase/oauth2): XOAUTH2 and OAUTHBEARER
# logins whose token the introspection endpoint (RFC 7662, a form POST) says is active and
# belongs to the user; password logins still go to the passwd-file passdb.
OAUTH2_PASSDB = """\
auth_mechanisms = plain login xoauth2 oauthbearer
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {d}/dovecot-oauth2.conf.ext
}}
"""
OAUTH2_CONF = """\
introspection_mode = post
introspection_url = {url}
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
"""


@contextmanager
def running_dovecot(introspection_url: str | None = None) -> Iterator[Dovecot]:
    if DOVECOT is None:
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd dovecot-pop3d; "
                    ".ci/run does it)")
    # Not pytest's tmp_path: Dovecot's mail processes run as the dovecot user and must reach
    # the mail folder, and pytest's base temp dir is readable by its owner only.
    directory = Path(tempfile.mkdtemp(prefix="dovecot-"))
    os.chmod(directory, 0o755)
    (directory / "mail").mkdir()
    (directory / "run").mkdir()
    shutil.chown(directory / "mail", "dovecot", "dovecot")
    (directory / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n"
                                      f"{SECOND_USER}:{{PLAIN}}{PASSWORD}\n")
    server = Dovecot(directory, free_port(), free_port())
    config = CONFIG.format(d=directory, imap=server.imap_port, pop3=server.pop3_port)
    if introspection_url is not None:
        config = config.replace("auth_mechanisms = plain login\n",
                                OAUTH2_PASSDB.format(d=directory))
        (directory / "dovecot-oauth2.conf.ext").write_text(
            OAUTH2_CONF.format(url=introspection_url))
    (directory / "dovecot.conf").write_text(config)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    with running_dovecot() as server:
        yield server
