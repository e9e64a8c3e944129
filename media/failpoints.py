"""Named points where a test makes this process die at once, as a power cut would.

``LUUDONG_FAILPOINTS=upload.before_store,store.after_rename`` (read when the process starts)
arms the named points; an armed point sends the process SIGKILL: no cleanup, no flush, no
answer. Unarmed, a point costs one set lookup. The fault tests use them to kill the server at
every step of an upload's completion (``tests/field_sync/test_completion_kills.py``).
"""

from __future__ import annotations

import os
import signal

__all__ = ["POINTS", "failpoint"]

POINTS = {
    "upload.before_offset": "the last bytes are written and fsynced, the offset not recorded",
    "upload.before_store": "the offset says complete, the blob is not in the store yet",
    "store.before_rename": "the blob is in a fsynced temporary file, not renamed into place",
    "store.after_rename": "the blob is in place, the upload has not removed its part file",
}
"""Every point, with the moment it stands for."""

_ARMED = frozenset(p for p in os.environ.get("LUUDONG_FAILPOINTS", "").split(",") if p)


def failpoint(name: str) -> None:
    """Die here if ``name`` is armed."""
    if name in _ARMED:
        os.kill(os.getpid(), signal.SIGKILL)
