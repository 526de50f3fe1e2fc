"""Charsets as mailers write them: the declared label's vendor superset, no escapes kept as text.

The messages are shaped like the ones found in the wild (issue 12): Outlook's ISO-2022-JP with
NEC row 13 characters, Shift_JIS and EUC-KR with the Microsoft extensions, ISO-8859-1 labels
on Windows-1252 text.
"""

from __future__ import annotations

import base64

from adapters.mail.documents import extract_document
from adapters.mail.headers import decode_words, parse_message, summarize
from adapters.mail.text import decode_bytes
from adapters.mail.view import message_view

ESC_B, ESC_ASCII = b"\x1b$B", b"\x1b(B"
# "№①㈱" in JIS X 0208 row 13 (the NEC special characters): 0x2D62, 0x2D21, 0x2D6A.
NEC_ROW_13 = ESC_B + b"\x2d\x62\x2d\x21\x2d\x6a" + ESC_ASCII
# "会議" (ordinary JIS X 0208, which Python's strict codec also reads).
KAIGI = "会議".encode("iso2022_jp")


def _outlook_japanese() -> bytes:
    subject = base64.b64encode(KAIGI + b" " + NEC_ROW_13).decode()
    return (b"From: =?iso-2022-jp?B?" + base64.b64encode("山田".encode("iso2022_jp")) + b"?= "
            b"<yamada@example.co.jp>\r\nTo: support@msp.example\r\n"
            b"Subject: =?iso-2022-jp?B?" + subject.encode() + b"?=\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=\"iso-2022-jp\"\r\n"
            b"Content-Transfer-Encoding: 7bit\r\nX-Mailer: Microsoft Outlook 16.0\r\n\r\n"
            + KAIGI + b" " + NEC_ROW_13 + b"\r\n")


def test_an_outlook_iso_2022_jp_subject_with_nec_characters_is_decoded() -> None:
    subject = summarize(_outlook_japanese()).subject
    assert subject == "会議 №①㈱"
    assert "\x1b" not in subject and "$B" not in subject


def test_an_outlook_iso_2022_jp_body_with_nec_characters_is_decoded() -> None:
    doc = extract_document(parse_message(_outlook_japanese()))
    assert doc.text.strip() == "会議 №①㈱"


def test_iso_2022_jp_text_under_a_7bit_label_keeps_no_escape_sequences() -> None:
    # Old Japanese mailers send ISO-2022-JP labelled us-ascii, or with no charset at all.
    for charset in ("us-ascii", None, "utf-8"):
        text = decode_bytes(KAIGI + b" " + NEC_ROW_13, charset)
        assert text == "会議 №①㈱", charset


def test_a_shift_jis_subject_and_body_with_nec_characters_are_read_as_cp932() -> None:
    subject = base64.b64encode("①会議室 №3".encode("cp932"))
    body = "お世話になっております。".encode("cp932") + "\r\n①会議室 №3 ㈱アクメ\r\n".encode("cp932")
    raw = (b"From: a@example.co.jp\r\nSubject: =?shift_jis?B?" + subject + b"?=\r\n"
           b"MIME-Version: 1.0\r\n"
           b"Content-Type: text/plain; charset=Shift_JIS\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
           + body)
    assert summarize(raw).subject == "①会議室 №3"
    assert extract_document(parse_message(raw)).text == body.decode("cp932")


def test_an_euc_kr_label_on_cp949_text_is_read_as_cp949() -> None:
    # "똠방각하": 똠 is one of the characters only the Microsoft extension (cp949) has.
    assert decode_words("=?euc-kr?B?" + base64.b64encode("똠방각하".encode("cp949")).decode()
                        + "?=") == "똠방각하"


def test_a_gb2312_label_on_gbk_text_is_read_as_gb18030() -> None:  # (already so: a guard)
    assert decode_bytes("镕基".encode("gbk"), "gb2312") == "镕基"


def test_an_iso_8859_1_label_on_windows_1252_text_gets_the_windows_characters() -> None:
    raw = (b"From: a@b.example\r\nSubject: =?iso-8859-1?Q?=93Rechnung=94_=80_50?=\r\n"
           b"Content-Type: text/plain; charset=iso-8859-1\r\n"
           b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
           b"Caf=E9 =96 it costs =8050 =85\r\n")
    assert summarize(raw).subject == "\u201cRechnung\u201d \u20ac 50"
    text = extract_document(parse_message(raw)).text.strip()
    assert text == "Caf\xe9 \u2013 it costs \u20ac50 \u2026"


def test_iso_8859_2_letters_stay_iso_8859_2_while_its_c1_range_is_windows_1250() -> None:
    # 0xB1 is "ą" in ISO-8859-2 (cp1250 has "±" there); 0x84/0x94 are cp1250's quotes.
    text = decode_bytes(b"\x84Dzie\xf1 dobry\x94 \xb1\xb6", "iso-8859-2")
    assert text == "\u201eDzień dobry\u201d ąś"


def test_every_jis_x_0208_cell_decodes_as_cp932_maps_it() -> None:
    # The fast path (Python's codec, then the Microsoft mappings) and the Shift_JIS path agree.
    for first in range(0x21, 0x7F):
        for second in range(0x21, 0x7F):
            cell = bytes((first, second))
            lead = ((first - 0x21) >> 1) + 0x81
            lead += 0x40 if lead > 0x9F else 0
            trail = second + (0x7E if not first & 1 else 0x1F if second < 0x60 else 0x20)
            expected = bytes((lead, trail)).decode("cp932", errors="replace")
            assert decode_bytes(ESC_B + cell + ESC_ASCII, "iso-2022-jp") == expected, cell


def test_half_width_katakana_and_jis_x_0212_are_decoded_too() -> None:
    assert decode_bytes("ｶﾀｶﾅ 丂".encode("iso2022_jp_ext") + "丂".encode("iso2022_jp_1"),
                        "iso-2022-jp") == "ｶﾀｶﾅ 丂丂"
    assert decode_bytes(b"x\x0e\x36\x0fy", "iso-2022-jp") == "xｶy"  # SO/SI, as in CP50222


def test_an_rfc_2231_filename_in_iso_2022_jp_with_nec_characters_is_decoded() -> None:
    name = "".join(f"%{byte:02X}" for byte in KAIGI + NEC_ROW_13)
    raw = (b"From: a@example.co.jp\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
           b"--b\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
           b"--b\r\nContent-Type: application/pdf\r\n"
           b"Content-Disposition: attachment; filename*=iso-2022-jp''" + name.encode() + b".pdf\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n")
    [attachment] = extract_document(parse_message(raw)).attachments
    assert attachment.filename == "会議№①㈱.pdf"


def test_raw_iso_2022_jp_in_a_header_is_decoded_not_shown_as_escape_remnants() -> None:
    # Older Japanese mailers put 7-bit ISO-2022-JP in headers without encoded words.
    raw = (b"From: " + "山田".encode("iso2022_jp") + b" <yamada@example.co.jp>\r\n"
           b"Subject: " + KAIGI + b" " + NEC_ROW_13 + b"\r\n\r\nx\r\n")
    assert summarize(raw).subject == "会議 №①㈱"
    view = message_view(parse_message(raw))
    assert (view.subject, view.from_name) == ("会議 №①㈱", "山田")


def test_8bit_text_mislabelled_iso_2022_jp_is_read_as_utf8_or_shift_jis() -> None:
    assert decode_bytes("会議は①番".encode(), "iso-2022-jp") == "会議は①番"
    assert decode_bytes("会議は①番".encode("cp932"), "iso-2022-jp") == "会議は①番"


def test_utf8_mislabelled_with_an_east_asian_charset_stays_utf8() -> None:
    # The permissive supersets (cp949, gb18030, cp932) would turn it into other characters.
    for charset in ("euc-kr", "ks_c_5601-1987", "gb2312", "gbk", "shift_jis", "big5"):
        assert decode_bytes("Grüße, 会議 ①".encode(), charset) == "Grüße, 会議 ①", charset
