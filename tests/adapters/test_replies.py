"""The reply without its quoted history: the faster patterns give exactly what
mail-parser-reply gives with its own, on the corpus, the bench mix and every language's
attribution lines."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mailparser_reply.parser import EmailMessage

from adapters.mail import replies
from adapters.mail.documents import extract_document
from adapters.mail.headers import parse_message
from bench import mix
from tests.adapters.test_mime_corpus import corpus_messages

_LIBRARY = {"_header_regex": replies._TEMPLATE.HEADER_REGEX,
            "_disclaimers_regex": replies._TEMPLATE.DISCLAIMERS_REGEX,
            "_signature_regex": replies._TEMPLATE.SIGNATURE_REGEX}
SAMPLES = [
    "Thanks!\n\nOn Thu, Nov 26, 2026 at 9:00 AM Support <support@msp.example> wrote:\n> old",
    "Danke\n\nAm 26.11.2026 um 09:00 schrieb Support <s@msp.example>:\n> alt",
    "Merci\n\nLe 26 nov. 2026 à 09:00, Support a écrit :\n> vieux",
    "Gracias\n\nEl 26 nov 2026, Support escribió:\n> viejo",
    "Bedankt\n\nOp 26 nov. 2026 om 09:00 schreef Support:\n> oud",
    "Grazie\n\nIl giorno 26 nov 2026 Support ha scritto:\n> vecchio",
    "Tak\n\nDen 26. nov. 2026 kl. 09.00 skrev Support <s@msp.example>:\n> gammel",
    "Tack\n\nDen 26 nov. 2026 kl. 09:00 skrev Support <s@msp.example>:\n> gammal",
    "Dzięki\n\nDnia 26.11.2026 Support napisał(a):\n> stare",
    "New text\n\nFrom: Support\nSent: Thursday\nTo: Bob\nSubject: Re: printer\n\nold text",
    "Neu\n\nVon: Support\nGesendet: Donnerstag\nAn: Bob\nBetreff: Drucker\n\nalt",
    "Nyt\n\n-----Oprindelig meddelelse-----\nFra: Support\nSendt: torsdag\nTil: Bob\n\ngammelt",
    "Nyt tekst -----Oprindelig meddelelse-----\nFra: Support\nSendt: torsdag\nTil: Bob\n",
    "Top\n\n-----Original Message-----\nFrom: Support\nTo: Bob\n\nold",
    "Top\n> > On Mon, Support wrote:\n> > > older\n",
    "From: a header-like first line\nDate: another\nthe rest",
    "no quote at all, just text wrote: in the middle and FROM: there",
    "",
] + [f"Text, then {word} in the middle of a line" for word in (
    "wrote:", "SCHRIEB", "a écrit", "Escribió", "schreef", "scrisse", "skrev", "napisał",
    "-----  original")]


def _top_level_alternatives(pattern: str) -> list[str]:
    parts, depth, start, index, in_class = [], 0, 0, 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern[index + 1:index + 2] == "]":
                index += 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:index])
            start = index + 1
        index += 1
    return parts + [pattern[start:]]


def _texts() -> list[str]:
    raws = [p.read_bytes() for p in corpus_messages()] + mix.build(300, pool=300)
    return [extract_document(parse_message(raw)).text for raw in raws] + SAMPLES


def test_every_alternative_of_the_library_header_pattern_starts_where_it_is_tried() -> None:
    assert replies._TEMPLATE.HEADER_REGEX.groups > 1  # findall gives tuples, as HeaderPattern
    starts = ("^", "((?:(?:^|\\n|", "(^")
    for alternative in _top_level_alternatives(replies._TEMPLATE.HEADER_REGEX.pattern):
        assert alternative.startswith(starts), alternative[:60]
        if not alternative.startswith("^") and "Oprindelig" not in alternative:
            # an optional line start is only allowed before the Danish separator
            assert not alternative.startswith("((?:(?:^|\\n|\\n(?:> ?)*)?"), alternative[:60]


@pytest.mark.parametrize("text", SAMPLES)
def test_the_header_pattern_tried_at_line_starts_finds_what_the_library_pattern_finds(text: str) -> None:
    assert (replies._PATTERNS["_header_regex"].findall(text)
            == replies._TEMPLATE.HEADER_REGEX.findall(text))


def test_the_reply_and_the_quote_hint_are_the_library_s_on_corpus_mix_and_samples() -> None:
    compared = 0
    for text in _texts():
        slow = replies._QUOTE_HINT.search(text, 0, replies._SCAN)
        fast = replies._QUOTE_HINT_FAST.search(text, 0, replies._SCAN)
        found = replies.quote_hint(text)
        assert (slow and slow.span()) == (fast and fast.span()) == (found and found.span())
        head = text[: slow.end() + replies._MARGIN] if slow else text
        languages = list(replies._LANGUAGES)
        want = EmailMessage(text=head, languages=languages, **_LIBRARY).read().latest_reply
        got = EmailMessage(text=head, languages=languages, **replies._PATTERNS).read().latest_reply
        assert got == want
        compared += bool(slow)
    assert compared >= 100  # the mix's replies with quoted history, the samples, the corpus


def test_a_reply_keeps_only_the_new_text() -> None:
    assert replies.reply_part(SAMPLES[0]) == "Thanks!"
    assert replies.reply_part(SAMPLES[9]) == "New text"
    assert replies.reply_part(SAMPLES[11]) == "Nyt"


# Pieces of every alternative, and the characters where lowering and re's IGNORECASE part ways.
_PIECES = ["wrote:", "WROTE:", "schrieb", "a écrit", "A ÉCRIT", "escribió", "schreef", "scrisse",
           "skrev", "s\u212arev", "napisał", "NAPISAŁ", "-----", "------", "original", "ORIGINAL",
           "from", "Von", "de", "van", "da", "fra", "från", "od", ":", " ", "\t", "\n", "\r\n",
           ">", "_____", "__________", "x", "ſchrieb", "schrıeb", "İ", "ß", "é"]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=30))
def test_the_quote_hint_is_found_where_the_plain_search_finds_it(pieces: list[str]) -> None:
    text = "".join(pieces)
    slow = replies._QUOTE_HINT.search(text, 0, replies._SCAN)
    found = replies.quote_hint(text)
    assert (slow and (slow.span(), slow.group())) == (found and (found.span(), found.group()))


def test_a_hint_past_the_scanned_length_is_not_found_either_way() -> None:
    text = "x" * (replies._SCAN - 3) + "wrote:"
    assert replies._QUOTE_HINT.search(text, 0, replies._SCAN) is None
    assert replies.quote_hint(text) is None
