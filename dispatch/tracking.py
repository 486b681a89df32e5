"""Tracking codes (扫码说事): 60 random bits as 12 Crockford base32 characters, read in groups.

``4KX9-T2QM-7RBD``: no I, L, O or U, so nothing reads two ways; a resident reading it back over
the phone may say O for 0 or I/L for 1 and :func:`normalise` still finds it.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
LENGTH = 12  # characters: 12 × 5 = 60 bits from secrets
BITS = LENGTH * 5
GROUP = 4
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    """A fresh code in canonical form (12 characters, no dashes)."""
    n = secrets.randbits(BITS)
    return "".join(ALPHABET[(n >> (5 * i)) & 31] for i in range(LENGTH - 1, -1, -1))


def normalise(text: str | None) -> str | None:
    """The canonical code for what a person typed or said (case, dashes, spaces, O/0, I/L/1
    forgiven), or None when it cannot be one."""
    if not text:
        return None
    s = "".join(ch for ch in str(text).upper() if ch not in " -_\u3000").translate(_READ_AS)
    if len(s) != LENGTH or any(ch not in ALPHABET for ch in s):
        return None
    return s


def display(code: str) -> str:
    """``4KX9T2QM7RBD`` → ``4KX9-T2QM-7RBD``."""
    return "-".join(code[i:i + GROUP] for i in range(0, len(code), GROUP))
