"""QR decoding: correct Vietnamese text, and robust to the images field teams take."""

from __future__ import annotations

import time

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


def test_decode__reads_the_same_however_busy_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two-pixel modules read only at full resolution, after the half-scale step has failed.
    With a clock that leaps ten seconds at every look (a machine under heavy load), the answer
    is the same: the cascade is bounded by the pixels it scans, not by time."""
    data = case_image("small_modules", CCCD)
    calm = decode_qr(data)
    ticks = iter(range(0, 10**9, 10))
    monkeypatch.setattr(time, "perf_counter", lambda: float(next(ticks)))
    monkeypatch.setattr(time, "monotonic", lambda: float(next(ticks)))

    busy = decode_qr(data)

    assert [r.text for r in calm] == [CCCD]
    assert [(r.text, r.variant) for r in busy] == [(r.text, r.variant) for r in calm]
    assert calm[0].variant != "reduced", "the case needs a later step of the cascade"
