"""Typed media errors. Each carries a stable ``code`` the API maps to a 4xx problem."""

from __future__ import annotations

__all__ = [
    "BlobNotFoundError",
    "CccdError",
    "ChecksumMismatchError",
    "CorruptImageError",
    "MediaError",
    "MediaTypeMismatchError",
    "TooLargeError",
    "TooManyPixelsError",
    "UnsupportedMediaTypeError",
]


class MediaError(Exception):
    """Base of every media failure."""

    code = "media_error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class UnsupportedMediaTypeError(MediaError):
    """A declared or detected type the service does not accept."""

    code = "unsupported_media_type"


class MediaTypeMismatchError(MediaError):
    """The bytes are not what the declared media type says."""

    code = "media_type_mismatch"


class TooLargeError(MediaError):
    """More bytes than the limit."""

    code = "blob_too_large"


class TooManyPixelsError(MediaError):
    """More pixels than the limit, read from the header before decoding (decompression bomb)."""

    code = "image_too_many_pixels"


class CorruptImageError(MediaError):
    """The image does not decode completely (truncated or damaged)."""

    code = "image_corrupt"


class ChecksumMismatchError(MediaError):
    """The content's sha256 is not the one announced."""

    code = "checksum_mismatch"


class BlobNotFoundError(MediaError):
    """No blob with that hash in the store."""

    code = "blob_not_found"


class CccdError(MediaError):
    """A citizen ID card QR payload that is malformed or inconsistent.

    ``rule`` names the check that failed, the same name the field app gives
    (``tests/media/cccd_cases.json`` holds the cases both sides pass).
    """

    code = "cccd_invalid"

    def __init__(self, detail: str, rule: str = "format") -> None:
        super().__init__(detail)
        self.rule = rule
