"""Validation of every blob, and normalisation for the uplink."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from media import (
    CorruptImageError,
    MediaTypeMismatchError,
    TooLargeError,
    TooManyPixelsError,
    UnsupportedMediaTypeError,
    decode_qr,
    normalise,
    validate_image,
)
from schemas.media import NORMALISE
from tests.media.imagery import document_lines, document_photo, encode, is_grey
from tests.media.ocr import character_accuracy, clean_text

TRACKING = "https://luudong.example/tra-cuu/DEMO.07192-260302-0001?t=abc"


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def photo() -> bytes:
    return document_photo(3, qr_text=TRACKING)


def test_validate__accepts_a_photo_and_reports_its_facts(photo: bytes) -> None:
    facts = validate_image(photo, "image/jpeg")

    assert (facts.media_type, facts.format, facts.width, facts.height) == (
        "image/jpeg",
        "JPEG",
        4000,
        3000,
    )
    assert facts.size == len(photo)


def test_validate__bomb_png_is_refused_from_its_header() -> None:
    bomb = png_claiming(50_000, 50_000)

    with pytest.raises(TooManyPixelsError, match="pixels"):
        validate_image(bomb, "image/png")
    assert len(bomb) < 200


def test_validate__pixel_limit_is_the_services_not_pillows() -> None:
    with pytest.raises(TooManyPixelsError):
        validate_image(png_claiming(8000, 8000), "image/png", max_pixels=40_000_000)


def test_validate__truncated_png_is_corrupt() -> None:
    whole = encode(Image.new("L", (400, 300), 128), "PNG")

    with pytest.raises(CorruptImageError):
        validate_image(whole[: len(whole) // 2], "image/png")


def test_validate__corrupt_jpeg_is_corrupt(photo: bytes) -> None:
    damaged = photo[:2000] + bytes(len(photo) // 3)

    with pytest.raises(CorruptImageError):
        validate_image(damaged, "image/jpeg")


@pytest.mark.parametrize("progressive", [False, True])
@pytest.mark.parametrize("kept", [0.5, 0.95])
def test_validate__a_jpeg_cut_short_is_corrupt_even_from_a_file_at_reduced_scale(
    photo: bytes, tmp_path: Path, progressive: bool, kept: float
) -> None:
    """The reduced-scale decode still reads every entropy-coded byte: a cut anywhere shows."""
    with Image.open(io.BytesIO(photo)) as image:
        whole = encode(image.convert("L"), "JPEG", quality=80, progressive=progressive)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole[: int(len(whole) * kept)])
    good = tmp_path / "good.jpg"
    good.write_bytes(whole)

    assert validate_image(good, "image/jpeg").width == 4000
    with pytest.raises(CorruptImageError):
        validate_image(cut, "image/jpeg")


@pytest.mark.parametrize("kept", [0.1, 0.6, 0.98])
@pytest.mark.parametrize("container", ["as cut", "sizes rewritten to hide the cut"])
def test_validate__a_webp_cut_short_is_corrupt_even_from_a_file_at_reduced_scale(
    photo: bytes, tmp_path: Path, kept: float, container: str
) -> None:
    """A page as the clients send it, cut. With its RIFF and VP8 sizes rewritten to match the
    cut, the container looks whole and only decoding every macroblock finds the cut."""
    whole = normalise(photo).data
    size = int(len(whole) * kept)
    cut = bytearray(whole[:size])
    if container != "as cut":
        cut[4:8] = struct.pack("<I", size - 8)
        cut[16:20] = struct.pack("<I", size - 20)
    damaged = tmp_path / "cut.webp"
    damaged.write_bytes(bytes(cut))
    good = tmp_path / "good.webp"
    good.write_bytes(whole)

    assert validate_image(good, "image/webp").width == NORMALISE.long_side["document"]
    assert validate_image(whole, "image/webp").size == len(whole)
    with pytest.raises(CorruptImageError):
        validate_image(damaged, "image/webp")
    with pytest.raises(CorruptImageError):
        validate_image(bytes(cut), "image/webp")


def test_validate__an_animated_webp_is_not_a_scan() -> None:
    """Only its first frame would be checked and shown to the clerk."""
    frames = [Image.new("L", (64, 64), level) for level in (0, 255)]
    out = io.BytesIO()
    frames[0].save(out, "WEBP", save_all=True, append_images=frames[1:])
    single = encode(frames[0], "WEBP")

    with pytest.raises(UnsupportedMediaTypeError, match="animated"):
        validate_image(out.getvalue(), "image/webp")
    assert validate_image(single, "image/webp").width == 64


def test_validate__declared_type_must_match_the_bytes(photo: bytes) -> None:
    with pytest.raises(MediaTypeMismatchError, match="declared image/png"):
        validate_image(photo, "image/png")


@pytest.mark.parametrize("declared", ["image/gif", "application/pdf", "text/html", ""])
def test_validate__unaccepted_types_are_refused(photo: bytes, declared: str) -> None:
    with pytest.raises(UnsupportedMediaTypeError):
        validate_image(photo, declared)


def test_validate__oversize_is_refused_before_anything_else(photo: bytes) -> None:
    with pytest.raises(TooLargeError):
        validate_image(photo, "image/jpeg", max_bytes=len(photo) - 1)


def test_normalise__is_deterministic(photo: bytes) -> None:
    assert normalise(photo).data == normalise(photo).data
    assert normalise(photo, "text").data == normalise(photo, "text").data


def test_normalise__document_is_grayscale_webp_at_document_resolution(photo: bytes) -> None:
    result = normalise(photo)

    image = Image.open(io.BytesIO(result.data))
    assert image.format == "WEBP"
    assert (result.facts.media_type, result.facts.format) == ("image/webp", "WEBP")
    assert max(image.size) == NORMALISE.long_side["document"]
    assert is_grey(result.data)
    assert result.facts.size == len(result.data)
    assert validate_image(result.data, "image/webp").width == image.width


def test_normalise__id_card_is_grayscale_progressive_jpeg(photo: bytes) -> None:
    image = Image.open(io.BytesIO(normalise(photo, "id_card").data))

    assert (image.format, image.mode) == ("JPEG", "L")
    assert max(image.size) == NORMALISE.long_side["id_card"]
    assert image.info.get("progressive") or image.info.get("progression")


@pytest.mark.parametrize("mode", ["document", "text"])
def test_normalise__a_ten_point_form_reads_as_well_as_the_raw_photo(mode: str) -> None:
    """Tesseract reads the Vietnamese text of a 12-megapixel photo of a form, then of its
    normalised page: the page loses at most one point of character accuracy (the measure and
    the bytes it saves are in ``bench/legibility.py``)."""
    truth = clean_text(" ".join(document_lines(font_divisor=85, text_bottom=0.68)))
    raw = document_photo(2, qr_text=TRACKING, font_divisor=85, text_bottom=0.68)

    before = character_accuracy(Image.open(io.BytesIO(raw)), truth)
    after = character_accuracy(Image.open(io.BytesIO(normalise(raw, mode).data)), truth)  # type: ignore[arg-type]

    assert before > 0.98, "the raw photo itself must read"
    assert before - after <= 0.01


def test_normalise__applies_exif_orientation_and_strips_metadata() -> None:
    rotated = document_photo(4, size=(1600, 1200), exif_orientation=6)

    result = normalise(rotated)

    image = Image.open(io.BytesIO(result.data))
    assert image.size == (1200, 1600), "orientation 6 means the camera was turned 90°"
    assert len(image.getexif()) == 0
    assert "icc_profile" not in image.info


def test_normalise__text_mode_is_bilevel_and_never_dithered() -> None:
    flat = Image.new("L", (800, 600), 150)  # a flat mid-gray page: no ink anywhere
    result = normalise(encode(flat, "PNG"), "text")

    image = Image.open(io.BytesIO(result.data))
    assert image.mode == "1"
    assert image.getcolors() == [(800 * 600, 255)], "dithering would scatter black pixels"


@pytest.mark.parametrize("mode", ["document", "text", "id_card"])
def test_normalise__keeps_the_qr_code_readable(photo: bytes, mode: str) -> None:
    result = normalise(photo, mode)  # type: ignore[arg-type]

    assert [r.text for r in decode_qr(result.data)] == [TRACKING]


def test_normalise__refuses_what_validation_refuses() -> None:
    with pytest.raises(TooManyPixelsError):
        normalise(png_claiming(50_000, 50_000))
    with pytest.raises(UnsupportedMediaTypeError):
        normalise(b"GIF89a not really")
