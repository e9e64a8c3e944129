"""QR decoding: correct Vietnamese text, and robust to the images field teams take."""

from __future__ import annotations

import pytest

from media import decode_qr
from media.qr import decode_text
from tests.media.imagery import DECODER_CASES, case_image, encode, qr_image, vietnamese_strings

CCCD = "022095001234|123456789|Trần Hữu Đạt|12041995|Nam|Thôn Bắc Vàn, Cô Tô|01072021"


@pytest.mark.parametrize("eci", [False, True], ids=["no-eci", "utf8-eci"])
def test_decode__hundreds_of_short_vietnamese_names_round_trip(eci: bool) -> None:
    names = vietnamese_strings(200, seed=11 if eci else 5)

    decoded = [decode_qr(encode(qr_image(name, scale=4, eci=eci), "PNG")) for name in names]

    wrong = [(n, d[0].text if d else None) for n, d in zip(names, decoded, strict=True)
             if not d or d[0].text != n]  # fmt: skip
    assert wrong == []
    assert {d[0].encoding for d in decoded} == {"utf-8"}


@pytest.mark.parametrize("case", DECODER_CASES)
def test_decode__reads_each_kind_of_field_image(case: str) -> None:
    results = decode_qr(case_image(case, CCCD))

    assert [r.text for r in results] == [CCCD]
    assert results[0].symbology == "QRCODE"
    _, _, width, height = results[0].rect
    assert width > 0
    assert height > 0


def test_decode__image_without_a_code_gives_nothing() -> None:
    from PIL import Image

    assert decode_qr(encode(Image.new("L", (600, 400), 240), "PNG")) == []


def test_decode_text__non_utf8_bytes_fall_back_and_say_so() -> None:
    assert decode_text("Trần".encode()) == ("Trần", "utf-8")
    # Windows-1258 has no precomposed "ấ": it is "â" then the combining acute (0xEC).
    text, encoding = decode_text("Lê Văn Tuâ".encode("cp1258") + b"\xecn")
    assert encoding == "cp1258"
    assert text == "Lê Văn Tuấn"
