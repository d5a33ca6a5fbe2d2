"""Base45 (RFC 9285): binary to the QR alphanumeric alphabet, which packs best in a QR code."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}


def b45encode(data: bytes) -> str:
    """Encode bytes as base45 text."""
    out = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        n, c = divmod(n, 45)
        e, d = divmod(n, 45)
        out += [ALPHABET[c], ALPHABET[d], ALPHABET[e]]
    if len(data) % 2:
        d, c = divmod(data[-1], 45)
        out += [ALPHABET[c], ALPHABET[d]]
    return "".join(out)


def b45decode(text: str) -> bytes:
    """Decode base45 text; raise ValueError on a bad character, length or value."""
    if len(text) % 3 == 1:
        raise ValueError(f"base45 length {len(text)} leaves a dangling character")
    try:
        digits = [_INDEX[c] for c in text]
    except KeyError as exc:
        raise ValueError(f"character {exc.args[0]!r} is not base45") from None
    out = bytearray()
    full = len(digits) - len(digits) % 3
    for i in range(0, full, 3):
        n = digits[i] + digits[i + 1] * 45 + digits[i + 2] * 2025
        if n > 0xFFFF:
            raise ValueError("base45 triple out of range")
        out += n.to_bytes(2, "big")
    if full < len(digits):
        n = digits[full] + digits[full + 1] * 45
        if n > 0xFF:
            raise ValueError("base45 pair out of range")
        out.append(n)
    return bytes(out)
