"""campusgate's central service: the MQTT worker that decides, the SQL storage, the REST API.

The rules live in :mod:`gatecore`; central is I/O at the edges: it gathers facts from the
database, calls :func:`gatecore.policy.evaluate`, claims the household day atomically, appends
to the hash-chained entry log and publishes the answer.

Exceptions (all subclass :class:`CentralError`):

- :class:`central.office.keys.KeyRingError` - the signing keys on disk and in the database disagree.
"""


class CentralError(Exception):
    """Base class of every error raised by central."""
