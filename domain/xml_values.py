"""Field values of XML records: text to typed values, or the error naming field and value."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from domain.addresses import address_key
from domain.model import MAX_ID
from domain.xml_fields import (
    ADDRESS,
    ADDRESS_OR_DOMAIN,
    CHOICE,
    DATE,
    DATETIME,
    DECIMAL,
    ID,
    INT,
    FieldSpec,
)
from domain.xml_model import XmlCode, XmlError, shown


def convert(spec: FieldSpec, text: str) -> object | XmlError:
    """The typed value of one field, or the error naming the field and the bad value."""
    bad = f"{spec.code}: {shown(text)!r} is not"
    if "\x00" in text:
        return XmlError(XmlCode.BAD_VALUE, f"{spec.code} holds a NUL character")
    if spec.type == ID:
        number = record_id_of(text)
        return number if number is not None else XmlError(
            XmlCode.BAD_VALUE, f"{bad} a record id (a whole number above 0)")
    if spec.type == INT:
        if not (text.isascii() and text.isdigit()) or len(text) > 4 or int(text) > 1000:
            return XmlError(XmlCode.BAD_VALUE, f"{bad} a whole number from 0 to 1000")
        return int(text)
    if spec.type in (ADDRESS, ADDRESS_OR_DOMAIN):
        key = address_key(text) if len(text) <= spec.max_length else None
        domain_ok = spec.type == ADDRESS_OR_DOMAIN and key is not None and "." in key
        if key is None or ("@" not in key and not domain_ok):
            what = "an email address" + (" or a bare domain" if spec.type != ADDRESS else "")
            return XmlError(XmlCode.BAD_VALUE, f"{bad} {what}")
        return key if spec.type == ADDRESS else text
    if spec.type == DECIMAL:
        return _decimal(text, bad)
    if spec.type == DATE:
        try:
            return date.fromisoformat(text)
        except ValueError:
            return XmlError(XmlCode.BAD_VALUE, f"{bad} a date (YYYY-MM-DD)")
    if spec.type == DATETIME:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return XmlError(XmlCode.BAD_VALUE, f"{bad} a date and time (ISO 8601)")
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    if spec.type == CHOICE:
        key = " ".join(text.lower().split())
        if key not in spec.choices:
            return XmlError(XmlCode.BAD_VALUE, f"{bad} one of: {spec.meaning}")
        return spec.choices[key]
    if len(text) > spec.max_length:
        return XmlError(XmlCode.BAD_VALUE,
                        f"{spec.code} is {len(text)} characters long; at most {spec.max_length}")
    return text


def _decimal(text: str, bad: str) -> str | XmlError:
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or abs(number) >= 10**12:
        return XmlError(XmlCode.BAD_VALUE, f"{bad} a number (for example 1.5)")
    if number.as_tuple().exponent < -4:  # type: ignore[operator]
        return XmlError(XmlCode.BAD_VALUE, f"{bad} a number with at most 4 decimals")
    # Kept as text: money and hours must not pass through binary floating point.
    return format(number, "f")  # as written ("95.00"), without exponent notation ("1E+3")


def record_id_of(text: str) -> int | None:
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
