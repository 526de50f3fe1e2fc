"""The benchmark's message mix: realistic support mail, 2-240 KB, built with the standard library.

Replies with quoted history (35%), HTML mail with inline images (30%), mail with attachments
(35%); 5% from unknown senders, the rest from customers of the seeded accounts.

Generating a message with `email.message.EmailMessage` costs several milliseconds, so the
contents are built once per run (`templates`) with placeholders in the top-level header for
the sender's account, the ticket number and a serial; `build` fills them in for each batch.
Every batch then has the same contents whatever the number of accounts (the 1,000 and the
1,000,000 account runs compare like with like) and its own Message-IDs (a later batch against
the same database is never taken for duplicates).
"""

from __future__ import annotations

import functools
import random
from email.message import EmailMessage

WORDS = ("printer server outlook vpn password reset license backup firewall laptop network "
         "error update install screen email access account drive share restart slow crash "
         "please could you help urgent thanks regards today morning office client").split()
ACCOUNT, TICKET, SERIAL = b"XACCOUNTX", b"XTICKETX", b"XSERIALX"


def _text(rng: random.Random, words: int) -> str:
    lines, line = [], []
    for _ in range(words):
        line.append(rng.choice(WORDS))
        if len(line) >= 12:
            lines.append(" ".join(line).capitalize() + ".")
            line = []
    return "\n".join(lines + [" ".join(line)])


def _quoted_history(rng: random.Random, size: int) -> str:
    history = _text(rng, size // 6)
    return "\n".join("> " + line for line in history.splitlines())


def _template(rng: random.Random) -> tuple[bytes, bytes]:
    """(top-level header with placeholders, the rest of the message)."""
    kind = rng.random()
    domain = f"customer{ACCOUNT.decode()}.example"
    sender = f"user{rng.randrange(50)}@{domain}"
    if kind < 0.05:
        domain = f"unknown{SERIAL.decode()}.example"
        sender = f"someone@{domain}"
    msg = EmailMessage()
    msg["From"] = f"User {rng.randrange(1000)} <{sender}>"
    msg["To"] = "support@msp.example"
    msg["Message-ID"] = f"<bench-{SERIAL.decode()}-{rng.getrandbits(32):x}@{domain}>"
    msg["Date"] = "Fri, 27 Nov 2026 10:00:00 +0000"
    body = "Hello support,\n\n" + _text(rng, rng.randint(40, 300)) + "\n\nRegards\nUser\n"
    if kind < 0.35:  # a reply to an open ticket, with quoted history
        msg["Subject"] = f"Re: [Ticket #{TICKET.decode()}] {rng.choice(WORDS)} problem"
        msg["In-Reply-To"] = f"<ack.{TICKET.decode()}@msp.example>"
        body += "\nOn Thu, Nov 26, 2026 at 9:00 AM Support <support@msp.example> wrote:\n"
        body += _quoted_history(rng, rng.randint(1_000, 20_000))
        msg.set_content(body)
    elif kind < 0.65:  # HTML with inline images
        msg["Subject"] = f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} issue"
        msg.set_content(body)
        html = ("<html><body><p>" + body.replace("\n", "<br>")
                + '</p><img src="cid:shot1"></body></html>')
        msg.add_alternative(html, subtype="html")
        html_part = msg.get_payload()[1]
        for n in range(rng.randint(1, 2)):
            image = rng.randbytes(rng.randint(3_000, 25_000))
            html_part.add_related(image, maintype="image", subtype="png", cid=f"<shot{n + 1}>")
    else:  # attachments
        msg["Subject"] = f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} request"
        msg.set_content(body)
        sizes = [rng.randint(1_000, 30_000) for _ in range(rng.randint(1, 2))]
        if rng.random() < 0.08:  # now and then a bigger document or screenshot
            sizes.append(rng.randint(80_000, 140_000))
        for n, size in enumerate(sizes):
            msg.add_attachment(rng.randbytes(size), maintype="application", subtype="pdf",
                               filename=f"file{n}.pdf")
    raw = msg.as_bytes()
    end = raw.index(b"\n\n")  # placeholders are only ever filled in the top-level header
    return raw[:end], raw[end:]


@functools.lru_cache(maxsize=4)
def templates(count: int, seed: int = 7) -> tuple[tuple[bytes, bytes], ...]:
    rng = random.Random(seed)
    return tuple(_template(rng) for _ in range(count))


def build(count: int, *, accounts: int = 1000, tickets: int = 1000, seed: int = 7,
          first: int = 0, pool: int | None = None) -> list[bytes]:
    """Messages with serials `first` .. `first + count - 1`, senders spread over accounts
    customer0 .. customer{accounts-1}, replies over tickets 1 .. `tickets`. Contents come
    from a pool of `pool` templates (default `count`; pass the same pool to reuse it)."""
    if accounts < 1 or tickets < 1:
        raise ValueError("the mix needs at least one account and one ticket")
    contents = templates(max(pool or count, count), seed)
    ids = random.Random(f"ids:{seed}:{first}")
    messages = []
    for serial in range(first, first + count):
        header, rest = contents[serial - first]
        account = ids.randrange(accounts)
        number = ids.randrange(1, tickets + 1)
        header = (header.replace(ACCOUNT, str(account).encode())
                  .replace(TICKET, f"{number:07d}".encode())
                  .replace(SERIAL, str(serial).encode()))
        messages.append(header + rest)
    return messages


class Batches:
    """Consecutive batches for one database: each with its own Message-IDs, all with contents
    from the same pool. Two databases given the same sequence of batch sizes get the same
    contents batch for batch (only the accounts and tickets differ)."""

    def __init__(self, accounts: int, tickets: int, pool: int) -> None:
        self.accounts, self.tickets, self.pool, self.serial = accounts, tickets, pool, 0

    def next(self, count: int) -> list[bytes]:
        count = min(count, self.pool)
        messages = build(count, accounts=self.accounts, tickets=self.tickets,
                         first=self.serial, pool=self.pool)
        self.serial += count
        return messages
