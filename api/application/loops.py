"""Background loops: run a unit of work until it reports nothing to do, then wait for a wake-up."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class BackgroundLoop:
    def __init__(self, name: str, step: Callable[[], int], *, idle_seconds: float,
                 error_backoff: float = 2.0) -> None:
        self.name = name
        self._step = step
        self._idle_seconds = idle_seconds
        self._error_backoff = error_backoff
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        if self._thread is not None:
            self._stop.set()
            self._wake.set()
            self._thread.join(timeout=timeout)
            self._thread = None

    def _run(self) -> None:
        name_os_thread(self.name)
        while not self._stop.is_set():
            self._wake.clear()
            try:
                busy = self._step()
            except Exception:  # keep going: the database may be back in a moment
                log.exception("%s: step failed; retrying in %.0f s", self.name, self._error_backoff)
                self._stop.wait(self._error_backoff)
                continue
            if not busy:
                self._wake.wait(self._idle_seconds)


def name_os_thread(name: str) -> None:
    """Show the thread's name to the OS too (top -H, /proc/<pid>/task/*/comm), on Linux."""
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME
    except (OSError, AttributeError):
        pass
