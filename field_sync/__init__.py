"""Lưu Động field client: durable offline outbox, resumable uploader, change-feed puller."""

__version__ = "0.1.0"
