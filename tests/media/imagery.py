"""Generated images for media tests and benchmarks: document photos, scans and QR codes.

Deterministic for a given seed, so benchmark figures can be reproduced.
"""

from __future__ import annotations

import io
import random

import segno
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

__all__ = [
    "DECODER_CASES",
    "case_image",
    "document_photo",
    "encode",
    "qr_image",
    "vietnamese_strings",
]

_LINES = [
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "TỜ KHAI ĐĂNG KÝ KHAI SINH",
    "Kính gửi: Ủy ban nhân dân đặc khu Cô Tô",
    "Họ, chữ đệm, tên người yêu cầu: Trần Hữu Đạt",
    "Nơi cư trú: Thôn Bắc Vàn, đặc khu Cô Tô, tỉnh Quảng Ninh",
    "Giấy tờ tùy thân: Căn cước số 022095001234",
    "Quan hệ với người được khai sinh: Cha",
    "Đề nghị cơ quan đăng ký khai sinh cho người dưới đây:",
    "Họ, chữ đệm, tên: Trần Minh Anh    Giới tính: Nữ",
    "Ngày, tháng, năm sinh: 12/03/2026  Nơi sinh: Trạm y tế Cô Tô",
    "Tôi cam đoan nội dung đề nghị đăng ký khai sinh trên đây là đúng sự thật.",
]


def _font(size: int) -> ImageFont.FreeTypeFont:
    """DejaVu Sans (it has the Vietnamese letters) when installed, else Pillow's own font."""
    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default(size=size)


def qr_image(text: str, *, scale: int = 6, eci: bool = False, border: int = 4) -> Image.Image:
    """A QR code of ``text`` (UTF-8 byte mode) as a grayscale image."""
    code = segno.make(text, encoding="utf-8", eci=eci, micro=False, error="m")
    out = io.BytesIO()
    code.save(out, kind="png", scale=scale, border=border)
    return Image.open(io.BytesIO(out.getvalue())).convert("L")


def encode(image: Image.Image, kind: str = "JPEG", **options: object) -> bytes:
    """``image`` encoded as bytes."""
    out = io.BytesIO()
    image.save(out, kind, **options)
    return out.getvalue()


def document_photo(
    seed: int = 0,
    *,
    size: tuple[int, int] = (4000, 3000),
    qr_text: str | None = None,
    qr_scale: int = 12,
    quality: int = 95,
    exif_orientation: int | None = None,
) -> bytes:
    """A phone photo of a filled-in form on a table: uneven light, noise, stamp, signature."""
    rng = random.Random(seed)
    width, height = size
    photo = Image.new("RGB", size, (92, 74, 60))  # the table
    page_box = (int(width * 0.12), int(height * 0.04), int(width * 0.88), int(height * 0.97))
    page = Image.new("RGB", (page_box[2] - page_box[0], page_box[3] - page_box[1]), (238, 234, 222))
    draw = ImageDraw.Draw(page)
    font = _font(max(18, page.height // 60))
    y = page.height // 20
    for line in _LINES * 3:
        draw.text((page.width // 14, y), line, fill=(28, 28, 36), font=font)
        y += int(font.size * 1.7)
        if y > page.height * 0.8:
            break
    cx, cy, r = int(page.width * 0.72), int(page.height * 0.86), page.height // 14
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(200, 30, 40), width=max(3, r // 12))
    draw.text((cx - r // 2, cy - font.size // 2), "UBND", fill=(200, 30, 40), font=font)
    points = [(int(page.width * 0.2) + i * 9, int(page.height * 0.88) + rng.randint(-25, 25))
              for i in range(60)]  # fmt: skip
    draw.line(points, fill=(20, 30, 120), width=4, joint="curve")
    if qr_text is not None:
        qr = qr_image(qr_text, scale=qr_scale).convert("RGB")
        page.paste(qr, (int(page.width * 0.08), int(page.height * 0.80) - qr.height // 2))
    photo.paste(page.rotate(rng.uniform(-1.5, 1.5), expand=False, fillcolor=(92, 74, 60)),
                page_box[:2])  # fmt: skip
    light = Image.linear_gradient("L").resize(size).point(lambda v: 190 + v // 4)
    photo = ImageChops.multiply(photo, Image.merge("RGB", (light, light, light)))
    # Sensor noise, per channel, as a phone camera leaves it at indoor light.
    noise = Image.merge("RGB", [Image.effect_noise(size, 40 + 8 * i) for i in range(3)])
    photo = Image.blend(photo, ImageChops.multiply(photo, noise), 0.18)
    photo = photo.filter(ImageFilter.GaussianBlur(0.5))
    options: dict[str, object] = {"quality": quality}
    if exif_orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        exif[0x010F] = "PhoneMaker"
        options["exif"] = exif.tobytes()
    return encode(photo, "JPEG", **options)


def _on_page(qr: Image.Image, page: tuple[int, int], at: tuple[int, int]) -> Image.Image:
    canvas = Image.new("L", page, 235)
    canvas.paste(qr, at)
    return canvas


def _case_images(text: str) -> dict[str, bytes]:
    qr = qr_image(text, scale=8)
    page = _on_page(qr, (1600, 1200), (500, 300))
    small = _on_page(qr_image(text, scale=2), (2000, 1500), (900, 700))
    a4 = _on_page(qr_image(text, scale=10), (2480, 3508), (1900, 150))
    low = page.point(lambda v: 110 + v * 40 // 255)
    return {
        "clean": encode(page, "PNG"),
        "rotated_7": encode(page.rotate(7, expand=True, fillcolor=235), "JPEG", quality=90),
        "rotated_90": encode(page.rotate(90, expand=True), "JPEG", quality=90),
        "blurred": encode(page.filter(ImageFilter.GaussianBlur(2.2)), "JPEG", quality=90),
        "heavy_jpeg": encode(page, "JPEG", quality=12),
        "low_contrast": encode(low, "JPEG", quality=85),
        "small_modules": encode(small, "JPEG", quality=92),
        "a4_scan": encode(a4, "JPEG", quality=85),
    }


DECODER_CASES = ("clean", "rotated_7", "rotated_90", "blurred", "heavy_jpeg", "low_contrast",
                 "small_modules", "a4_scan")  # fmt: skip


def case_image(case: str, text: str) -> bytes:
    """One of :data:`DECODER_CASES` carrying ``text``."""
    return _case_images(text)[case]


_SYLLABLES = [
    "Trần",
    "Nguyễn",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Hữu",
    "Văn",
    "Thị",
    "Minh",
    "Đức",
    "Ánh",
    "Hằng",
    "Đạt",
    "Quỳnh",
    "Thư",
    "Dũng",
    "Khánh",
    "Phương",
    "Hiếu",
    "Ngọc",
    "Yến",
    "Thảo",
    "Tuấn",
    "Nghĩa",
    "Ưng",
    "Ðinh",
    "Mỹ",
    "Linh",
    "Giang",
    "Sơn",
    "Thuỷ",
    "Xuân",
    "Đông",
]


def vietnamese_strings(count: int, seed: int = 7) -> list[str]:
    """Short Vietnamese names, the payloads zbar's encoding guess garbles most."""
    rng = random.Random(seed)
    return [
        " ".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(count)
    ]
