"""Scans: what stored blobs are (image checks and QR reads, remembered by hash) and serving a
dossier's pages to its commune's staff, audited."""
