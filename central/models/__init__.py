"""The tables: importing this package registers every table, so create_all and migrations see all of them.

``registry`` (campuses, policies, gates, households, people, approvals, passes, keys), ``journal``
(household days, the entry log, alerts, dead letters, gate state), ``users``, ``changes``,
``health`` (nucleic-acid test results), ``incidents`` (fever incidents and their steps), ``reports``
(daily reports, when they are due), ``revision`` (the registry's change counter, moved by every flush
that writes a registry row).
"""

from central.models import changes, health, incidents, journal, registry, reports, revision, users  # noqa: F401

__all__ = ["changes", "health", "incidents", "journal", "registry", "reports", "revision", "users"]
