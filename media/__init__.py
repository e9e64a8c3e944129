"""Lưu Động media: image validation and normalisation, QR decoding, CCCD parsing, blob store.

Pure image work shared by the server and the field client. The public interface:

- :func:`normalise` - a scan made document-grade and compact for the uplink;
- :func:`decode_qr` - QR codes and barcodes, with correct Vietnamese text;
- :func:`parse_cccd` - the citizen ID card QR payload, checked, or :class:`CccdError`;
- :func:`validate_image` - every check a blob must pass on the server, or a :class:`MediaError`;
- :class:`BlobStore` and :class:`LocalBlobStore` - the content-addressed store;
- :func:`thumbnail`, :func:`dossier_pdf`, :class:`DerivedCache` - derived artifacts.
"""

from media.cccd import parse_cccd
from media.derive import DerivedCache, dossier_pdf, thumbnail, viewable
from media.errors import (
    BlobNotFoundError,
    CccdError,
    ChecksumMismatchError,
    CorruptImageError,
    MediaError,
    MediaTypeMismatchError,
    TooLargeError,
    TooManyPixelsError,
    UnsupportedMediaTypeError,
)
from media.images import ACCEPTED_TYPES, ImageFacts, Normalised, normalise, validate_image
from media.qr import QrResult, decode_qr
from media.store import BlobInfo, BlobStore, LocalBlobStore

__version__ = "0.1.0"

__all__ = [
    "ACCEPTED_TYPES",
    "BlobInfo",
    "BlobNotFoundError",
    "BlobStore",
    "CccdError",
    "ChecksumMismatchError",
    "CorruptImageError",
    "DerivedCache",
    "ImageFacts",
    "LocalBlobStore",
    "MediaError",
    "MediaTypeMismatchError",
    "Normalised",
    "QrResult",
    "TooLargeError",
    "TooManyPixelsError",
    "UnsupportedMediaTypeError",
    "decode_qr",
    "dossier_pdf",
    "normalise",
    "parse_cccd",
    "thumbnail",
    "validate_image",
    "viewable",
]
