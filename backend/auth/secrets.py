"""Password hashing (argon2id) and random tokens stored only as keyed hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["TokenKind", "hash_password", "hash_token", "new_token", "verify_password"]

# argon2-cffi's defaults follow RFC 9106's second recommended profile (argon2id, 64 MiB).
_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    # Verified when the username is unknown, so both answers cost the same time.
    return _hasher.hash(secrets.token_urlsafe(16))


class TokenKind:
    """Prefixes that say what a bearer token is, so a leaked one is recognisable in a scan."""

    session = "lds_"
    api = "ldp_"
    device = "ldd_"


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (salted; the password is not recoverable)."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; takes the same time when there is no user (``None``)."""
    try:
        return (
            _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def new_token(kind: str) -> str:
    """A fresh 256-bit random token with its kind prefix."""
    return kind + secrets.token_urlsafe(32)


def hash_token(secret_key: str, token: str) -> str:
    """The keyed SHA-256 of a token: what the database stores and looks up.

    Tokens carry 256 random bits, so a fast hash is enough (no guessing to slow down); the key
    means a copy of the database alone does not let anyone test candidate tokens.
    """
    return hmac.new(secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()
