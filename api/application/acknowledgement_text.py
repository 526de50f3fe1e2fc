"""An acknowledgement's words: the templates of the settings filled in, in the MSP's voice.

What a stranger chose (the subject, the display name) is quoted bounded and on one line
(forward_text.clean): an acknowledgement must not carry a 998-character subject, or a line
break that a template would turn into text of the sender's choosing. The signed reply reference
is a footer line under any template (domain/reply_reference.py), so replies that lose subject
and headers still thread.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from api.application.forward_text import NAME_LIMIT, clean
from api.application.runtime_settings import Values
from api.application.settings import ACK_PLACEHOLDERS
from domain.errors import InvalidInput
from domain.reply_reference import subaddress

SUBJECT_LIMIT = 120  # characters of the sender's subject an acknowledgement quotes


@dataclass(frozen=True, slots=True)
class AcknowledgementText:
    subject: str
    body: str
    html: str | None = None


@dataclass(frozen=True, slots=True)
class Templates:
    subject: str
    body: str
    html: str | None = None

    @classmethod
    def of(cls, values: Values) -> Templates:
        return cls(values.acknowledgement_subject, values.acknowledgement_body,
                   values.acknowledgement_html_body)


def footer(reference: str) -> str:
    return f"Reference: {reference} (please keep this line when you reply)"


def render(templates: Templates, *, team: str, sender_name: str, subject: str, number: str,
           reference: str | None) -> AcknowledgementText:
    name = clean(sender_name, NAME_LIMIT)
    quoted = clean(subject, SUBJECT_LIMIT)
    fields = {"name": f" {name}" if name else "", "number": number, "team": team,
              "subject": quoted}
    try:
        title = clean(templates.subject.format(**{**fields, "subject": quoted or "(no subject)"}),
                      400)
        body = templates.body.format(**fields)
        markup = templates.html.format(**{k: html.escape(v) for k, v in fields.items()}) \
            if templates.html else None
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        raise InvalidInput(f"the template has an unknown placeholder or a stray brace: {exc}; "
                           f"use {', '.join('{' + k + '}' for k in ACK_PLACEHOLDERS)}") from None
    if reference:
        line = footer(reference)
        body = body.rstrip("\n") + f"\n\n{line}\n"
        if markup is not None:
            tag = f'<p style="color:#777;font-size:smaller">{html.escape(line)}</p>'
            at = markup.lower().rfind("</body>")
            markup = markup[:at] + tag + markup[at:] if at >= 0 else markup + tag
    return AcknowledgementText(title, body, markup)


@dataclass(frozen=True, slots=True)
class AcknowledgementPreview:
    from_name: str
    from_address: str
    to: str
    reply_to: str | None
    subject: str
    text: str
    html: str | None


def preview(values: Values, *, sender_name: str, sender_address: str, subject: str,
            ticket_id: int, reference: str | None, templates: Templates) -> AcknowledgementPreview:
    """The acknowledgement a sample sender would get, with the templates given (the settings'
    own, or ones not saved yet): what the console and POST .../acknowledgement-preview show."""
    text = render(templates, team=values.from_name, sender_name=sender_name, subject=subject,
                  number=f"{ticket_id:07d}", reference=reference)
    reply_to = subaddress(values.public_address, reference) \
        if reference and values.reply_subaddress else None
    return AcknowledgementPreview(values.from_name, values.effective_from_address, sender_address,
                                  reply_to, text.subject, text.body, text.html)
