"""Offline decisions: the same gatecore rules central applies, fed from the last GateConfig and
the local household-day ledger."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import logging
import threading
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from gate_agent.errors import ConfigError
from gate_agent.ledger import ConfigStore, LocalLedger
from gatecore.messages import GateConfig, ScanEvent
from gatecore.policy import (
    HOUSEHOLD_KINDS,
    AccessRequest,
    CampusPolicy,
    DayClaim,
    Decision,
    Facts,
    evaluate,
    read_pass,
)
from gatecore.reasons import Reason, Verdict
from gatecore.tokens import PassClaims, TokenError, parse_token, public_key_from_bytes

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LoadedConfig:
    """A GateConfig made ready for the rules: policy object and public keys."""

    config: GateConfig
    policy: CampusPolicy
    public_keys: dict[int, Ed25519PublicKey]
    revoked: frozenset[int]


def load_config(config: GateConfig) -> LoadedConfig:
    """Build the policy and keys; raise ConfigError saying what is wrong."""
    try:
        policy = CampusPolicy.from_dict(config.policy)
    except (TypeError, ValueError, KeyError) as exc:
        raise ConfigError(f"policy cannot be used: {exc}") from exc
    keys = {}
    for kid, b64 in config.public_keys.items():
        try:
            keys[int(kid)] = public_key_from_bytes(base64.b64decode(b64, validate=True))
        except (ValueError, binascii.Error) as exc:
            raise ConfigError(f"public key {kid!r} cannot be used: {exc}") from exc
    return LoadedConfig(config, policy, keys, frozenset(config.revoked))


class OfflineDecider:
    """Decides when central is out of reach; also remembers online household claims."""

    def __init__(self, configs: ConfigStore, ledger: LocalLedger) -> None:
        self._configs = configs
        self._ledger = ledger
        self._lock = threading.Lock()
        self._current: LoadedConfig | None = None
        stored = configs.load()
        if stored is not None:
            try:
                self._current = load_config(stored)
            except ConfigError as exc:
                logger.error("stored gate config ignored: %s", exc)

    @property
    def policy_version(self) -> int:
        """The version of the policy in force at this gate (0: none)."""
        current = self._current
        return current.policy.version if current else 0

    def update(self, config: GateConfig, payload: bytes) -> None:
        """Adopt and persist a new config; raise ConfigError (keeping the old one) when unusable."""
        loaded = load_config(config)
        self._configs.save(payload)
        with self._lock:
            self._current = loaded
        logger.info(
            "gate config adopted: policy version %s, %d keys, %d revoked",
            loaded.policy.version,
            len(loaded.public_keys),
            len(loaded.revoked),
        )

    def decide(self, event: ScanEvent) -> Decision:
        """The offline verdict for a scan; an allow claims the household's day in the local ledger."""
        current = self._current
        if current is None:
            r = Reason.OFFLINE_NO_CONFIG
            return Decision(Verdict.REFER, r, (r,), 0, detail=_celsius(event))
        request = AccessRequest.from_scan(event)
        claims = read_pass(event.qr, current.public_keys, event.gate_time)
        facts = self._facts(current, claims, request)
        decision = evaluate(request, claims, facts, current.policy)
        if decision.claim is not None:
            winner = self._ledger.claim(decision.claim)
            if winner.person_id != decision.claim.person_id:  # someone else got the day first
                decision = evaluate(
                    request, claims, dataclasses.replace(facts, day_holder=winner), current.policy
                )
        return decision

    def _facts(self, current: LoadedConfig, claims: PassClaims | TokenError, request: AccessRequest) -> Facts:
        holder = None
        revoked = False
        if isinstance(claims, PassClaims):
            revoked = claims.pass_id in current.revoked
            if claims.household_id:
                holder = self._ledger.holder(
                    claims.household_id, current.policy.local_date(request.scanned_at)
                )
        return Facts(revoked=revoked, gate_open=current.config.gate_open, day_holder=holder, offline=True)

    def remember_online_allow(self, event: ScanEvent, reason: Reason) -> None:
        """Central allowed a household pass: note the day locally so an outage later still knows it."""
        current = self._current
        if current is None or reason is not Reason.OK or not current.policy.household_quota:
            return  # OK_COMMUTER and overrides do not take the household's day
        try:
            claims = parse_token(event.qr, current.public_keys)
        except TokenError:
            return
        if claims.kind in HOUSEHOLD_KINDS and claims.household_id:
            day = current.policy.local_date(event.gate_time)
            self._ledger.claim(DayClaim(claims.household_id, day, claims.person_id))


def _celsius(event: ScanEvent) -> dict[str, float]:
    c = event.temperature.celsius
    return {} if c is None else {"celsius": c}
