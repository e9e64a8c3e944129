"""QR decoding: correct Vietnamese text, and robust to the images field teams take."""

from __future__ import annotations

import io
import time

import pytest
import zxingcpp
from PIL import Image

from media import decode_qr
from media.qr import decode_text
from tests.media.imagery import (
    DECODER_CASES,
    case_image,
    case_payloads,
    encode,
    qr_image,
    vietnamese_strings,
)

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

    assert sorted(r.text for r in results) == case_payloads(case, CCCD)
    assert {r.symbology for r in results} == {"QRCODE"}
    for result in results:
        _, _, width, height = result.rect
        assert width > 0
        assert height > 0


@pytest.mark.parametrize("case", DECODER_CASES)
def test_decode__reads_everything_zxing_cpp_reads(case: str) -> None:
    """The reference a user would pick instead: on every image it reads, so does the cascade
    (``bench/qr_decoders.py`` measures the same on more images, with times)."""
    payloads = [f"{n:03d}095001234||{name}|12041995|Nam|Cô Tô|01072021"
                for n, name in enumerate(vietnamese_strings(4, seed=21))]  # fmt: skip
    missed = []
    for payload in payloads:
        data = case_image(case, payload)
        expected = case_payloads(case, payload)
        zxing = sorted(
            r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(data)).convert("L"))
        )
        ours = sorted(r.text for r in decode_qr(data))
        if zxing == expected and ours != expected:
            missed.append(payload)

    assert missed == []


def test_decode__a_washed_out_print_zxing_cpp_misses_is_read_by_a_later_step() -> None:
    texts = [f"{n:03d}095001234||Lê Thị Thảo|01011990|Nữ|Cô Tô|01072021" for n in range(12)]
    images = [case_image("faded", text) for text in texts]
    zxing_missed = [
        (text, data)
        for text, data in zip(texts, images, strict=True)
        if not zxingcpp.read_barcodes(Image.open(io.BytesIO(data)).convert("L"))
    ]
    assert zxing_missed, "the case should hold prints too faint for zxing-cpp"

    for text, data in zxing_missed:
        results = decode_qr(data)
        assert [r.text for r in results] == [text]
        assert results[0].variant != "zxing"


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
    """A washed-out print is read only after zxing-cpp's step has failed. With a clock that
    leaps ten seconds at every look (a machine under heavy load), the answer is the same: the
    cascade is bounded by the pixels it scans, not by time."""
    text = next(t for t in (f"{n:03d}|Đỗ Văn Hiếu" for n in range(40))
                if decode_qr(case_image("faded", t))[0].variant != "zxing")  # fmt: skip
    data = case_image("faded", text)
    calm = decode_qr(data)
    ticks = iter(range(0, 10**9, 10))
    monkeypatch.setattr(time, "perf_counter", lambda: float(next(ticks)))
    monkeypatch.setattr(time, "monotonic", lambda: float(next(ticks)))

    busy = decode_qr(data)

    assert [r.text for r in calm] == [text]
    assert [(r.text, r.variant) for r in busy] == [(r.text, r.variant) for r in calm]
