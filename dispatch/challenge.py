"""The proof-of-work challenge of the resident page: find ``answer`` such that
SHA-256(``nonce:answer``) starts with ``bits`` zero bits (the browser searches, we check once)."""

from __future__ import annotations

import hashlib
import secrets

NONCE_HEX = 32
ANSWER_MAX = 20  # characters of the answer (a decimal counter in practice)


def new_nonce() -> str:
    return secrets.token_hex(NONCE_HEX // 2)


def leading_zero_bits(digest: bytes) -> int:
    n = 0
    for byte in digest:
        if byte == 0:
            n += 8
            continue
        return n + 8 - byte.bit_length()
    return n


def verify(nonce: str, answer: str, bits: int) -> bool:
    """Whether ``answer`` solves ``nonce`` at ``bits`` (cheap: one hash)."""
    if not answer or len(answer) > ANSWER_MAX or not answer.isascii():
        return False
    digest = hashlib.sha256(f"{nonce}:{answer}".encode()).digest()
    return leading_zero_bits(digest) >= bits


def solve(nonce: str, bits: int) -> str:
    """The first decimal answer (what the page's script does; tests and tools use it)."""
    i = 0
    while not verify(nonce, str(i), bits):
        i += 1
    return str(i)
