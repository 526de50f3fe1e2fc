"""Header reading at ingest runs in the web process, outside the reader's time limit: hostile
headers must be read in time linear in their size. Each of these took from minutes to hours
before (quadratic regular expressions, recursion in the stdlib address parser)."""

from __future__ import annotations

import multiprocessing

import pytest

from adapters.mail.headers import summarize
from tests.hostile import odd_messages as odd

HOSTILE = [odd.encoded_word_flood, odd.from_without_at, odd.nested_comments_in_from,
           odd.encoded_word_filename, odd.huge_header_count]


def _summaries(names: list[str]) -> list[tuple[str | None, str]]:
    results = []
    for name in names:
        summary = summarize(getattr(odd, name)())
        results.append((summary.from_address, summary.subject[:20]))
    return results


def test_hostile_headers_are_summarized_in_seconds_not_hours() -> None:
    # In a child process that is killed if it overruns: a regression fails here, it does not
    # hang the suite (a quadratic regex holds the GIL). The old code needed > 20 min for the
    # first message alone; the new one about 0.2 s for all five on this machine.
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        pending = pool.apply_async(_summaries, ([b.__name__ for b in HOSTILE],))
        try:
            results = pending.get(timeout=60)
        except multiprocessing.TimeoutError:
            pytest.fail("summarizing the hostile headers took over 60 s")
    assert results == [
        (odd.CUSTOMER, "=?a?q?x=?a?q?x=?a?q?"),
        (None, "no at"),
        (odd.CUSTOMER, "nested comments"),
        (odd.CUSTOMER, "hostile filename"),
        (odd.CUSTOMER, "twenty thousand head"),
    ]
