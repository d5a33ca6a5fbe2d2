"""Offline decisions: the same gatecore rules and sequence central applies, fed from the last
GateConfig (its registry facts, see gatecore.gatefacts) and the local household-day ledger."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import logging
import threading
from dataclasses import dataclass
from datetime import tzinfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from gate_agent.errors import ConfigError
from gate_agent.ledger import ConfigStore, LocalLedger
from gatecore.campus import policy_problems
from gatecore.gatefacts import GateRegistry
from gatecore.messages import DecisionMessage, GateConfig, ScanEvent
from gatecore.policy import (
    REGISTRY_KINDS,
    AccessRequest,
    CampusPolicy,
    Decision,
    Facts,
    day_claim,
    decide,
    override,
    read_pass,
    verified_claims,
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
    registry: GateRegistry | None  # None: a version 1 config, without the registry facts


def load_config(config: GateConfig) -> LoadedConfig:
    """Build the policy and keys; raise ConfigError saying what is wrong."""
    try:
        policy = CampusPolicy.from_dict(config.policy)
        # the office refuses these too; a gate must not apply what slipped past it (or was forged)
        problems = [english for _, _, english in policy_problems(policy)]
    except (TypeError, ValueError, KeyError) as exc:
        raise ConfigError(f"policy cannot be used: {exc}") from exc
    if problems:
        raise ConfigError(f"policy cannot be used: {'; '.join(problems)}")
    keys = {}
    for kid, b64 in config.public_keys.items():
        try:
            keys[int(kid)] = public_key_from_bytes(base64.b64decode(b64, validate=True))
        except (ValueError, binascii.Error) as exc:
            raise ConfigError(f"public key {kid!r} cannot be used: {exc}") from exc
    try:
        registry = GateRegistry.from_dict(config.registry) if config.registry is not None else None
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    return LoadedConfig(config, policy, keys, frozenset(config.revoked), registry)


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

    @property
    def zone(self) -> tzinfo | None:
        """The campus's time zone, for the times the gate shows (None before any config: the device's)."""
        current = self._current
        return current.policy.zone if current else None

    def update(self, config: GateConfig, payload: bytes) -> None:
        """Adopt and persist a new config; raise ConfigError (keeping the old one) when unusable."""
        current = self._current
        if current is not None and current.config == config:
            # the retained copy again (on every reconnect, and from each worker's start): nothing new
            logger.debug("gate config unchanged: policy version %s", current.policy.version)
            return
        loaded = load_config(config)
        self._configs.save(payload)
        with self._lock:
            self._current = loaded
        logger.info(
            "gate config adopted: policy version %s, %d keys, %d revoked, registry facts %s",
            loaded.policy.version,
            len(loaded.public_keys),
            len(loaded.revoked),
            loaded.registry.as_of.isoformat() if loaded.registry else "none (version 1 config)",
        )

    def decide(self, event: ScanEvent) -> Decision:
        """The offline verdict for a scan (or a guard's override of one): the same sequence central
        runs, claiming the household's day in the local ledger for every admission."""
        current = self._current
        guard = event.override.verdict if event.override is not None else None
        if current is None:
            r = Reason.OFFLINE_NO_CONFIG
            d = Decision(Verdict.REFER, r, (r,), 0, detail=_celsius(event))
            # without keys the pass cannot be read: the guard's word stands, no day can be named
            return d if guard is None else override(d, allow=guard is Verdict.ALLOW)
        request = AccessRequest.from_scan(event)
        claims = read_pass(event.qr, current.public_keys, event.gate_time)
        facts = self._facts(current, claims, request)
        return decide(request, claims, facts, current.policy, claim=self._ledger.claim, guard=guard).decision

    def _facts(self, current: LoadedConfig, claims: PassClaims | TokenError, request: AccessRequest) -> Facts:
        verified = verified_claims(claims)
        if verified is None:
            return Facts(gate_open=current.config.gate_open, offline=True, unchecked=REGISTRY_KINDS)
        claims = verified
        day = current.policy.local_date(request.scanned_at)
        holder = self._ledger.holder(claims.household_id, day) if claims.household_id else None
        revoked = claims.pass_id in current.revoked
        if current.registry is None:  # an old config: the kinds that need records are referred
            return Facts(
                revoked=revoked,
                gate_open=current.config.gate_open,
                day_holder=holder,
                offline=True,
                unchecked=REGISTRY_KINDS,
            )
        return current.registry.facts(
            claims, revoked=revoked, gate_open=current.config.gate_open, day=day, day_holder=holder
        )

    def remember_online_allow(self, event: ScanEvent, msg: DecisionMessage) -> None:
        """Central admitted a pass: note the household's day locally (the same rule central used to
        claim it, on the day central claimed: its clock at ``msg.decided_at``, not the scan's gate
        time, which a scan at 23:59:59 or a clock off by a minute puts on another day) so that an
        outage later still knows it."""
        current = self._current
        if current is None:
            return
        try:
            claims = parse_token(event.qr, current.public_keys)
        except TokenError:
            return
        request = AccessRequest.from_scan(event, msg.decided_at)
        facts = dataclasses.replace(
            self._facts(current, claims, request), commuter=msg.reason is Reason.OK_COMMUTER
        )
        claim = day_claim(
            claims, facts, current.policy, current.policy.local_date(msg.decided_at), admitted=True
        )
        if claim is not None:
            self._ledger.claim(claim)


def _celsius(event: ScanEvent) -> dict[str, float]:
    c = event.temperature.celsius
    return {} if c is None else {"celsius": c}
