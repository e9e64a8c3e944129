"""Lưu Động media: image normalisation, QR decoding, CCCD parsing and the blob store.

Pure image work shared by the server and the field client; filled by the media pipeline work.
"""

__version__ = "0.1.0"
