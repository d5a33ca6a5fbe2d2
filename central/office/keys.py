"""The signing keys: Ed25519 private keys as PEM files in data_dir/keys, public keys in the database.

Several central workers against one database must share the keys directory (or the same files
from a secret store): each worker verifies every pass, whichever worker signed it.

Rotation (``campusgate keys rotate``): a new key signs from then on; the older ones are retired
with a ``verify_until`` (the latest expiry of any pass then on file), so every pass printed before
keeps working until it expires, and the key drops out of verification and gate configs after that.
Running processes learn a rotation without a restart (:meth:`KeyRing.learn`, called when the
registry's revision moves): they verify the new key at once, and sign with it once its file is in
their keys directory.
"""

from __future__ import annotations

import base64
import logging
import os
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from central import CentralError
from central.models.base import utc
from central.models.db import session_scope
from central.models.registry import Pass, SigningKey
from central.settings import CentralSettings
from gatecore.tokens import PassClaims, PassForm, PassKind, issue_token, public_key_from_bytes

logger = logging.getLogger(__name__)

_KEY_FILE = re.compile(r"^kid-(\d+)\.pem$")
PHONE_CODE_LIFETIME = timedelta(seconds=60)  # re-signed every 30 s, so a screenshot soon expires


class KeyRingError(CentralError):
    """The keys on disk and the keys registered in the database disagree, or none can sign."""


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


class KeyRing:
    """Private keys from disk (the newest signs), public keys from disk and database (all verify)."""

    def __init__(self, private_keys: dict[int, Ed25519PrivateKey], keys_dir: Path | None = None) -> None:
        if not private_keys:
            raise KeyRingError("a key ring needs at least one private key")
        self._private = dict(private_keys)
        self._public = {kid: k.public_key() for kid, k in private_keys.items()}
        self._verify_until: dict[int, datetime] = {}  # retired keys: when their last pass expires
        self.signing_kid = max(private_keys)
        self.keys_dir = keys_dir  # where a rotation's new private key appears
        self.version = 0  # moved whenever the keys learnt change (the gates' configs carry them)

    @classmethod
    def open(cls, keys_dir: Path) -> KeyRing:
        """Load ``kid-N.pem`` files from ``keys_dir``, creating ``kid-1.pem`` on first start."""
        keys_dir.mkdir(parents=True, exist_ok=True)
        keys: dict[int, Ed25519PrivateKey] = {}
        for path in sorted(keys_dir.iterdir()):
            match = _KEY_FILE.match(path.name)
            if match:
                keys[int(match.group(1))] = _load(path)
        if not keys:
            keys[1] = _create(keys_dir, 1)
        return cls(keys, keys_dir)

    def rotate(self, keys_dir: Path) -> int:
        """Create the next key; it signs from now on, the older ones still verify."""
        kid = max(self._private) + 1
        self._private[kid] = _create(keys_dir, kid)
        self._public[kid] = self._private[kid].public_key()
        self.signing_kid = kid
        return kid

    def register(self, session: Session, *, at: datetime | None = None) -> None:
        """Record our public keys in SigningKey and learn the ones other workers registered."""
        known = {row.kid: row for row in session.exec(select(SigningKey))}
        for kid, public in self._public.items():
            encoded = base64.b64encode(_raw_public(public)).decode()
            row = known.get(kid)
            if row is None:
                session.add(SigningKey(kid=kid, public_key=encoded, created_at=at or datetime.now(UTC)))
                logger.info("registered signing key %s", kid)
            elif row.public_key != encoded:
                raise KeyRingError(f"key id {kid} on disk differs from the one registered in the database")
        session.flush()
        self._learn(known.values())

    def learn(self, session: Session) -> bool:
        """Learn keys another process registered or retired (a rotation) without a restart: verify a
        new key at once, sign with it once its private file is in our keys directory, and drop a
        retired key after its ``verify_until``. Whether anything changed."""
        return self._learn(session.exec(select(SigningKey)).all())

    def _learn(self, rows: Iterable[SigningKey]) -> bool:
        # a damaged row or key file must not stop the decisions: it is logged, the rest is learnt
        public, until = dict(self._public), dict(self._verify_until)
        for row in rows:
            try:
                if row.kid not in public:
                    public[row.kid] = public_key_from_bytes(base64.b64decode(row.public_key))
            except (ValueError, TypeError) as exc:
                logger.error("signing key %s in the database is unreadable, not used: %s", row.kid, exc)
                continue
            if row.verify_until is not None:
                until[row.kid] = utc(row.verify_until)
        newest = max(public)
        if newest > self.signing_kid and newest not in self._private and self.keys_dir is not None:
            path = self.keys_dir / f"kid-{newest}.pem"
            try:
                key = _load(path) if path.exists() else None
            except (OSError, ValueError, KeyRingError) as exc:
                logger.error(
                    "signing key file %s unreadable; still signing with key %s: %s",
                    path,
                    self.signing_kid,
                    exc,
                )
                key = None
            if key is not None and _raw_public(key.public_key()) == _raw_public(public[newest]):
                self._private[newest] = key
        changed = public.keys() != self._public.keys() or until != self._verify_until
        # whole dicts replaced, never edited in place: other threads read them without a lock
        self._public, self._verify_until = public, until
        if max(self._private) != self.signing_kid:
            self.signing_kid, changed = max(self._private), True
            logger.info("signing with key %s from now on", self.signing_kid)
        if changed:
            self.version += 1
            logger.info("signing keys learnt: %s", ", ".join(str(k) for k in sorted(public)))
        return changed

    def public_keys(self, now: datetime | None = None) -> dict[int, Ed25519PublicKey]:
        """Every key that may have signed a pass still in use, by key id (retired keys until every
        pass they signed has expired)."""
        at = now or datetime.now(UTC)
        return {
            kid: key
            for kid, key in self._public.items()
            if kid == self.signing_kid or kid not in self._verify_until or self._verify_until[kid] > at
        }

    def public_keys_b64(self, now: datetime | None = None) -> dict[str, str]:
        """The public keys as the config topic carries them: key id -> base64 raw key."""
        return {
            str(kid): base64.b64encode(_raw_public(k)).decode()
            for kid, k in sorted(self.public_keys(now).items())
        }

    def issue(self, pass_row: Pass, *, now: datetime | None = None) -> str:
        """The QR text for a pass; a phone code is valid for a minute from ``now``."""
        if pass_row.id is None:
            raise ValueError("the pass must be saved before it is signed")
        form = PassForm[pass_row.form]
        valid_from, valid_until = utc(pass_row.valid_from), utc(pass_row.valid_until)
        if form is PassForm.PHONE:
            if now is None:
                raise ValueError("a phone code is signed for a moment: pass now=")
            valid_from = max(valid_from, utc(now))
            valid_until = min(valid_until, utc(now) + PHONE_CODE_LIFETIME)
        claims = PassClaims(
            key_id=self.signing_kid,
            kind=PassKind[pass_row.kind],
            form=form,
            campus_id=pass_row.campus_id,
            pass_id=pass_row.id,
            household_id=pass_row.household_id or 0,
            person_id=pass_row.person_id,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        return issue_token(claims, self._private[self.signing_kid])


def rotate_keys(
    settings: CentralSettings, engine: Engine, *, now: datetime | None = None
) -> tuple[int, datetime]:
    """Create the next signing key and retire the older ones: (new key id, when the old keys' last
    pass expires). Running central processes learn it when the registry's revision moves."""
    at = now or datetime.now(UTC)
    keyring = open_keyring(settings, engine)
    with session_scope(engine) as session:
        latest = session.exec(select(func.max(col(Pass.valid_until)))).one()
        # a phone code signed just now lives a minute; a card lives as long as its pass
        until = max(utc(latest) if latest else at, at + PHONE_CODE_LIFETIME)
        kid = keyring.rotate(settings.keys_dir)
        keyring.register(session, at=at)
        for row in session.exec(select(SigningKey).where(SigningKey.kid != kid)):
            if row.retired_at is None:
                row.retired_at, row.verify_until = at, until
                session.add(row)
    logger.info("signing key %s created; older keys verify until %s", kid, until.isoformat())
    return kid, until


def open_keyring(settings: CentralSettings, engine: Engine) -> KeyRing:
    """The key ring from ``settings.data_dir/keys``, registered in the database."""
    keyring = KeyRing.open(settings.keys_dir)
    with session_scope(engine) as session:
        keyring.register(session)
    return keyring


def _load(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyRingError(f"{path} is not an Ed25519 private key")
    return key


def _create(keys_dir: Path, kid: int) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path = keys_dir / f"kid-{kid}.pem"
    # O_EXCL: two workers starting at once on a shared directory must not overwrite each other's key
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _load(path)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    logger.info("created signing key %s in %s", kid, keys_dir)
    return key
