"""Thumbnails and the per-dossier PDF: deterministic and cached."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from media import DerivedCache, dossier_pdf, normalise, thumbnail
from tests.media.imagery import document_photo


def test_thumbnail__small_grayscale_and_deterministic() -> None:
    photo = document_photo(5, size=(1600, 1200))

    first, second = thumbnail(photo), thumbnail(photo)

    assert first == second
    image = Image.open(io.BytesIO(first))
    assert max(image.size) == 320
    assert image.mode == "L"


def test_dossier_pdf__pages_in_order_and_deterministic() -> None:
    pages = [
        normalise(document_photo(seed, size=(1200, 900)), mode).data
        for seed, mode in ((1, "document"), (2, "text"), (3, "document"))
    ]

    pdf = dossier_pdf(pages, title="TEST.07192-260302-0001")

    assert pdf == dossier_pdf(pages, title="TEST.07192-260302-0001")
    assert pdf.startswith(b"%PDF")
    assert (
        pdf.count(b"/Type /Page\n") == 3
        or pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 3
    )
    assert pdf != dossier_pdf(list(reversed(pages)), title="TEST.07192-260302-0001")


async def test_cache__makes_once_then_serves_the_stored_artifact(tmp_path: Path) -> None:
    cache = DerivedCache(tmp_path)
    calls: list[int] = []

    def make() -> bytes:
        calls.append(1)
        return b"artifact"

    key = DerivedCache.key("thumb", "a" * 64, "320")
    first = await cache.get_or_make("thumbnail", key, make)
    second = await cache.get_or_make("thumbnail", key, make)

    assert first == second == b"artifact"
    assert calls == [1]
