"""Generated images for media tests and benchmarks: document photos, scans and QR codes.

Deterministic for a given seed, so benchmark figures can be reproduced.
"""

from __future__ import annotations

import io
import math
import random
import zlib
from collections.abc import Callable
from statistics import NormalDist

import segno
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont, ImageOps

__all__ = [
    "DECODER_CASES",
    "case_image",
    "case_payloads",
    "document_lines",
    "document_photo",
    "encode",
    "gaussian_noise",
    "is_grey",
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


def gaussian_noise(size: tuple[int, int], sigma: float, rng: random.Random) -> Image.Image:
    """Grey noise around 128 with a normal spread of ``sigma``, drawn from ``rng``: the same
    for the same seed whatever ran before (Pillow's ``effect_noise`` draws from C's ``rand``,
    which every earlier call moves on)."""
    normal = NormalDist(128, sigma)
    table = [max(0, min(255, round(normal.inv_cdf((u + 0.5) / 256)))) for u in range(256)]
    return Image.frombytes("L", size, rng.randbytes(size[0] * size[1])).point(table)


def is_grey(data: bytes, tolerance: int = 2) -> bool:
    """Whether an encoded image holds a grey picture: one channel, or three that differ by no
    more than ``tolerance`` (WebP and the browser's canvas store grey as YUV or RGB)."""
    with Image.open(io.BytesIO(data)) as image:
        if image.mode in ("L", "1"):
            return True
        red, green, blue = image.convert("RGB").split()
    return all(
        ImageChops.difference(red, other).getextrema()[1] <= tolerance for other in (green, blue)
    )


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
    font_divisor: int = 60,
    text_bottom: float = 0.8,
) -> bytes:
    """A phone photo of a filled-in form on a table: uneven light, noise, stamp, signature.

    The text's height is the page's divided by ``font_divisor`` (60 is about 14 pt on A4, 85
    about 10 pt); lines go down to ``text_bottom`` of the page (below 0.7 they clear the stamp,
    the signature and the QR code). :func:`document_lines` gives the lines drawn.
    """
    rng = random.Random(seed)
    photo = Image.new("RGB", size, (92, 74, 60))  # the table
    page_box = _page_box(size)
    page = Image.new("RGB", (page_box[2] - page_box[0], page_box[3] - page_box[1]), (238, 234, 222))
    draw = ImageDraw.Draw(page)
    font, placed = _text_layout(page.height, font_divisor, text_bottom)
    for y, line in placed:
        draw.text((page.width // 14, y), line, fill=(28, 28, 36), font=font)
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
    noise = Image.merge("RGB", [gaussian_noise(size, 40 + 8 * i, rng) for i in range(3)])
    photo = Image.blend(photo, ImageChops.multiply(photo, noise), 0.18)
    photo = photo.filter(ImageFilter.GaussianBlur(0.5))
    options: dict[str, object] = {"quality": quality}
    if exif_orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        exif[0x010F] = "PhoneMaker"
        options["exif"] = exif.tobytes()
    return encode(photo, "JPEG", **options)


def _page_box(size: tuple[int, int]) -> tuple[int, int, int, int]:
    width, height = size
    return (int(width * 0.12), int(height * 0.04), int(width * 0.88), int(height * 0.97))


def _text_layout(
    page_height: int, font_divisor: int, text_bottom: float
) -> tuple[ImageFont.FreeTypeFont, list[tuple[int, str]]]:
    font = _font(max(18, page_height // font_divisor))
    placed: list[tuple[int, str]] = []
    y = page_height // 20
    for line in _LINES * 4:
        placed.append((y, line))
        y += int(font.size * 1.7)
        if y > page_height * text_bottom:
            break
    return font, placed


def document_lines(
    size: tuple[int, int] = (4000, 3000), *, font_divisor: int = 60, text_bottom: float = 0.8
) -> list[str]:
    """The lines of text :func:`document_photo` draws with the same arguments, top to bottom."""
    box = _page_box(size)
    return [line for _, line in _text_layout(box[3] - box[1], font_divisor, text_bottom)[1]]


def _on_page(qr: Image.Image, page: tuple[int, int], at: tuple[int, int]) -> Image.Image:
    canvas = Image.new("L", page, 235)
    canvas.paste(qr, at)
    return canvas


def _homography(src: list[tuple[float, float]], dst: list[tuple[float, float]]) -> list[float]:
    """The eight coefficients of the projective map taking each ``src`` point to its ``dst``
    point (Pillow's ``Transform.PERSPECTIVE`` wants output to input)."""
    rows: list[list[float]] = []
    for (x, y), (u, v) in zip(src, dst, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y, u])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y, v])
    for col in range(8):  # Gauss-Jordan elimination with partial pivoting
        pivot = max(range(col, 8), key=lambda r: abs(rows[r][col]))
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(8):
            if r != col:
                factor = rows[r][col] / rows[col][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[col], strict=True)]
    return [rows[i][8] / rows[i][i] for i in range(8)]


def _tilted(page: Image.Image, degrees: float) -> Image.Image:
    """``page`` photographed with the camera turned ``degrees`` about the vertical axis."""
    w, h = page.size
    angle, distance = math.radians(degrees), 1.1 * w

    def seen(x: float, y: float) -> tuple[float, float]:
        dx, dy = x - w / 2, y - h / 2
        z = distance + dx * math.sin(angle)
        return (w / 2 + distance * dx * math.cos(angle) / z, h / 2 + distance * dy / z)

    corners = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)]
    coefficients = _homography([seen(x, y) for x, y in corners], corners)
    return page.transform(
        page.size, Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BICUBIC,
        fillcolor=90,
    )  # fmt: skip


def _curved(page: Image.Image, radius: float) -> Image.Image:
    """``page`` bent round a cylinder of ``radius`` (a card curling in the hand), seen from
    the front: the sides are squeezed and sag."""
    w, h = page.size
    cx, strips = w / 2, 64
    mesh = []
    for i in range(strips):
        x0, x1 = w * i / strips, w * (i + 1) / strips

        def source(x: float) -> float:
            offset = max(-0.999, min(0.999, (x - cx) / radius))
            return cx + radius * math.asin(offset)

        def sag(x: float) -> float:
            return 0.04 * h * ((x - cx) / cx) ** 2

        a, b = source(x0), source(x1)
        mesh.append(
            (
                (int(x0), 0, int(x1), h),
                (a, -sag(x0), a, h - sag(x0), b, h - sag(x1), b, -sag(x1)),
            )
        )
    return page.transform(page.size, Image.Transform.MESH, mesh, Image.Resampling.BICUBIC,
                          fillcolor=90)  # fmt: skip


def _glare(page: Image.Image, at: tuple[int, int], radius: int, strength: int) -> Image.Image:
    """A lamp's reflection: a bright blot that washes out what lies under its centre."""
    spot = ImageOps.invert(Image.radial_gradient("L")).resize((2 * radius, 2 * radius))
    layer = Image.new("L", page.size, 0)
    layer.paste(spot.point(lambda v: v * strength // 255), (at[0] - radius, at[1] - radius))
    return ImageChops.screen(page, layer)


def _screen_photo(page: Image.Image, degrees: float, scale: float) -> Image.Image:
    """``page`` shown on a phone screen and photographed: a pixel grid, moiré, a grey black."""
    big = page.resize((page.width * 3, page.height * 3), Image.Resampling.NEAREST)
    lit = bytes((255, 255, 120)) * (big.width // 3)  # every third column is a gap
    gap = bytes((120,)) * len(lit)
    grid = Image.frombytes("L", (len(lit), big.height), (lit + lit + gap) * (big.height // 3))
    shown = ImageChops.multiply(big.crop((0, 0, *grid.size)), grid)
    tilted = shown.rotate(2.5, expand=True, fillcolor=30, resample=Image.Resampling.BILINEAR)
    seen = tilted.resize(
        (tilted.width * 9 // 20, tilted.height * 9 // 20), Image.Resampling.BILINEAR
    )
    return seen.point(lambda v: 35 + v * 185 // 255).filter(ImageFilter.GaussianBlur(0.6))


def _several(text: str) -> Image.Image:
    canvas = Image.new("L", (2400, 1700), 232)
    canvas.paste(qr_image(text, scale=6), (150, 200))
    canvas.paste(qr_image(SEVERAL_OTHERS[0], scale=5), (1300, 150))
    canvas.paste(qr_image(SEVERAL_OTHERS[1], scale=7), (1200, 950))
    return canvas


SEVERAL_OTHERS = (
    "https://luudong.example/tra-cuu/000.00.12.H40-261207-0042?t=Zk3q9c",
    "BIA-HO-SO|01KAYQ8M7T9W3B6N2R5X4C1D0E",
)
"""The other codes on the ``several_codes`` page (a receipt's and a cover sheet's)."""


def _case_builders(text: str) -> dict[str, Callable[[], bytes]]:
    def page(scale: int = 8, size: tuple[int, int] = (1600, 1200),
             at: tuple[int, int] = (500, 300)) -> Image.Image:  # fmt: skip
        return _on_page(qr_image(text, scale=scale), size, at)

    rng = random.Random(zlib.crc32(text.encode()))
    span = rng.randint(30, 52)
    faint = rng.randint(8, 20)

    def noisy(image: Image.Image, sigma: int) -> Image.Image:
        noise = gaussian_noise(image.size, sigma, rng)
        return ImageChops.add(image, noise, scale=1.0, offset=-128)

    return {
        "clean": lambda: encode(page(), "PNG"),
        "rotated_7": lambda: encode(
            page().rotate(7, expand=True, fillcolor=235), "JPEG", quality=90
        ),
        "rotated_90": lambda: encode(page().rotate(90, expand=True), "JPEG", quality=90),
        "blurred": lambda: encode(page().filter(ImageFilter.GaussianBlur(2.2)), "JPEG", quality=90),
        "heavy_jpeg": lambda: encode(page(), "JPEG", quality=12),
        "low_contrast": lambda: encode(
            page().point(lambda v: 110 + v * 40 // 255), "JPEG", quality=85
        ),
        "small_modules": lambda: encode(page(2, (2000, 1500), (900, 700)), "JPEG", quality=92),
        "a4_scan": lambda: encode(page(10, (2480, 3508), (1900, 150)), "JPEG", quality=85),
        # The harder field cases: each image draws its own severity from its text, so a run
        # over many texts spans a range, the same range every time.
        "perspective_30": lambda: encode(
            _tilted(page(rng.choice((4, 5)), (1600, 1200), (1000, 400)), rng.uniform(22, 30)),
            "JPEG",
            quality=88,
        ),
        "glare": lambda: encode(
            _glare(
                page(),
                (rng.randint(620, 760), rng.randint(380, 520)),
                rng.randint(90, 150),
                rng.randint(200, 250),
            ),
            "JPEG",
            quality=88,
        ),
        "low_light": lambda: encode(
            noisy(page(6).point(lambda v: 16 + v * span // 255), rng.randint(14, 24)).filter(
                ImageFilter.GaussianBlur(rng.uniform(0.8, 1.4))
            ),
            "JPEG",
            quality=70,
        ),
        "curved_card": lambda: encode(
            _curved(page(rng.choice((7, 8)), (1100, 760), (330, 110)), rng.uniform(330, 420)),
            "JPEG",
            quality=88,
        ),
        "screen_photo": lambda: encode(
            _screen_photo(
                page(5, (900, 700), (260, 160)), rng.uniform(1, 4), rng.uniform(0.38, 0.5)
            ),
            "JPEG",
            quality=85,
        ),
        "several_codes": lambda: encode(_several(text), "JPEG", quality=88),
        "faded": lambda: encode(  # a washed-out print: what zbar reads and zxing-cpp may not
            page(6).point(lambda v: 120 + v * faint // 255), "JPEG", quality=90
        ),
    }


DECODER_CASES = ("clean", "rotated_7", "rotated_90", "blurred", "heavy_jpeg", "low_contrast",
                 "small_modules", "a4_scan", "perspective_30", "glare", "low_light",
                 "curved_card", "screen_photo", "several_codes", "faded")  # fmt: skip


def case_image(case: str, text: str) -> bytes:
    """One of :data:`DECODER_CASES` carrying ``text``."""
    return _case_builders(text)[case]()


def case_payloads(case: str, text: str) -> list[str]:
    """Every text a decoder should read in ``case_image(case, text)``, sorted."""
    return sorted([text, *SEVERAL_OTHERS] if case == "several_codes" else [text])


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
