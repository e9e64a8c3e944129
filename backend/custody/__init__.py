"""Blob custody: which commune holds which blob."""
