"""The pass token carried in the QR code: Ed25519-signed, base45, no personal data.

Text form: ``CG1:`` + base45(body || signature). See docs/pass-format.md for the byte layout.
Gates hold only public keys, so they verify offline.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from gatecore import CoreError
from gatecore.base45 import b45decode, b45encode
from gatecore.reasons import Reason

PREFIX_FAMILY = "CG"
FORMAT_VERSION = 1
PREFIX = f"{PREFIX_FAMILY}{FORMAT_VERSION}:"
_BODY = struct.Struct(">BHBBHIIIII")  # version, kid, kind, form, campus, pass, household, person, from, until
SIGNATURE_LEN = 64
TOKEN_BYTES = _BODY.size + SIGNATURE_LEN
# the window a token can carry: unsigned 32-bit seconds since 1970
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime.fromtimestamp(2**32 - 1, UTC)
CLOCK_TOLERANCE_S = 30  # a gate clock a little behind must not refuse a pass issued just now


class PassKind(enum.IntEnum):
    """Who a pass is for; decides which rules apply."""

    RESIDENT = 1
    TENANT = 2
    STAFF = 3
    STUDENT = 4
    FOREIGN_TEACHER = 5
    INTL_STUDENT = 6
    CONTRACTOR = 7
    VISITOR = 8
    VEHICLE = 9


class PassForm(enum.IntEnum):
    """Printed card (weeks) or a phone code re-signed every 30 s (one minute)."""

    CARD = 0
    PHONE = 1


class TokenError(CoreError):
    """A QR text is not an acceptable pass token; ``reason`` says exactly why."""

    def __init__(self, reason: Reason, message: str, claims: PassClaims | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        # set when the signature verified but the time did not: the rules may still need whose pass it is
        self.claims = claims


@dataclass(frozen=True, slots=True)
class PassClaims:
    """What a verified token asserts. No names: the registry holds those."""

    key_id: int
    kind: PassKind
    form: PassForm
    campus_id: int
    pass_id: int
    household_id: int  # 0: not in a household
    person_id: int  # for a vehicle pass: the vehicle id
    valid_from: datetime
    valid_until: datetime


def _ts(dt: datetime) -> int:
    if dt.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    return int(dt.timestamp())


def issue_token(claims: PassClaims, private_key: Ed25519PrivateKey) -> str:
    """Sign claims and return the QR text."""
    body = _BODY.pack(
        FORMAT_VERSION,
        claims.key_id,
        int(claims.kind),
        int(claims.form),
        claims.campus_id,
        claims.pass_id,
        claims.household_id,
        claims.person_id,
        _ts(claims.valid_from),
        _ts(claims.valid_until),
    )
    signature = private_key.sign(PREFIX.encode() + body)
    return PREFIX + b45encode(body + signature)


_READ: dict[str, tuple[bytes, PassClaims]] = {}  # QR text -> (the key it verified under, its claims)
_READ_MAX = 50_000  # a large campus's cards; beyond it, start again


def parse_token(text: str, public_keys: Mapping[int, Ed25519PublicKey]) -> PassClaims:
    """Check form and signature (not time); raise TokenError with the precise reason.

    The same card is shown every day: a text that verified under a key is remembered with its claims
    and, while that key is still among ``public_keys``, not decoded and verified again (a forged or
    damaged text is checked every time and never remembered).
    """
    known = _READ.get(text)
    if known is not None:
        raw_key, claims = known
        key = public_keys.get(claims.key_id)
        if key is not None and key.public_bytes_raw() == raw_key:
            return claims
    claims = _parse(text, public_keys)
    if len(_READ) >= _READ_MAX:
        _READ.clear()
    _READ[text] = (public_keys[claims.key_id].public_bytes_raw(), claims)
    return claims


def _decoded(text: str) -> bytes:
    """A version-1 token's bytes (body and signature), not yet verified; TokenError saying why not."""
    text = text.strip()
    if not text.startswith(PREFIX_FAMILY) or ":" not in text[:8]:
        raise TokenError(Reason.QR_FOREIGN, "QR text is not a campusgate pass")
    head, _, payload = text.partition(":")
    if head != PREFIX[:-1]:
        raise TokenError(Reason.TOKEN_BAD_VERSION, f"unsupported token prefix {head!r}")
    try:
        raw = b45decode(payload)
    except ValueError as exc:
        raise TokenError(Reason.TOKEN_TRUNCATED, f"token payload is damaged: {exc}") from None
    if len(raw) != TOKEN_BYTES:
        raise TokenError(Reason.TOKEN_TRUNCATED, f"token is {len(raw)} bytes, expected {TOKEN_BYTES}")
    return raw


def _parse(text: str, public_keys: Mapping[int, Ed25519PublicKey]) -> PassClaims:
    raw = _decoded(text)
    body, signature = raw[: _BODY.size], raw[_BODY.size :]
    version, kid, kind, form, campus, pass_id, household, person, t0, t1 = _BODY.unpack(body)
    if version != FORMAT_VERSION:
        raise TokenError(Reason.TOKEN_BAD_VERSION, f"body format {version} is not supported")
    key = public_keys.get(kid)
    if key is None:
        raise TokenError(Reason.TOKEN_UNKNOWN_KEY, f"key id {kid} is not known to this gate")
    try:
        key.verify(signature, PREFIX.encode() + body)
    except InvalidSignature:
        raise TokenError(Reason.TOKEN_BAD_SIGNATURE, "signature does not match") from None
    try:
        return PassClaims(
            key_id=kid,
            kind=PassKind(kind),
            form=PassForm(form),
            campus_id=campus,
            pass_id=pass_id,
            household_id=household,
            person_id=person,
            valid_from=datetime.fromtimestamp(t0, UTC),
            valid_until=datetime.fromtimestamp(t1, UTC),
        )
    except ValueError as exc:  # a validly signed token with an enum we do not know
        raise TokenError(Reason.TOKEN_BAD_VERSION, f"unknown field value: {exc}") from None


def named_pass(text: str) -> int | None:
    """The pass id a version-1 token's body names, unverified: to tell two copies of one event apart,
    never to decide. None when the text is no readable version-1 token."""
    try:
        raw = _decoded(text)
    except TokenError:
        return None
    pass_id: int = _BODY.unpack(raw[: _BODY.size])[5]
    return pass_id


def verify_token(text: str, public_keys: Mapping[int, Ed25519PublicKey], now: datetime) -> PassClaims:
    """Parse, check the signature and the validity window at ``now``."""
    claims = parse_token(text, public_keys)
    t = _ts(now)
    # a visitor's pass validity is the approved visit window: say so in the visitor's terms
    visitor = claims.kind is PassKind.VISITOR
    if t + CLOCK_TOLERANCE_S < _ts(claims.valid_from):
        reason = Reason.VISITOR_OUTSIDE_WINDOW if visitor else Reason.PASS_NOT_YET_VALID
        raise TokenError(reason, f"valid from {claims.valid_from.isoformat()}", claims)
    if t >= _ts(claims.valid_until):
        reason = Reason.VISITOR_OUTSIDE_WINDOW if visitor else Reason.PASS_EXPIRED
        raise TokenError(reason, f"expired at {claims.valid_until.isoformat()}", claims)
    return claims


def public_key_from_bytes(raw: bytes) -> Ed25519PublicKey:
    """Load a raw 32-byte Ed25519 public key (as carried on the config topic)."""
    return Ed25519PublicKey.from_public_bytes(raw)
