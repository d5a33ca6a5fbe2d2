"""The office's domain errors: what a service refused and why, for the API and the console alike.

Office functions raise these and know nothing of HTTP; the API maps each kind to one status code
(``central.app``) and the console shows the message beside the form.

- :class:`OfficeError` - base (a :class:`central.CentralError`)
  - :class:`NotFound` - the named thing does not exist (404)
  - :class:`Conflict` - it exists already, or its state forbids the change (409)
  - :class:`Invalid` - well-formed, but against a rule of the registry (422)
  - :class:`Forbidden` - this user may not do this (403)
"""

from __future__ import annotations

from datetime import date
from typing import TypeVar

from sqlmodel import Session, SQLModel

from central import CentralError
from gatecore.tokens import EARLIEST, LATEST

T = TypeVar("T", bound=SQLModel)


class OfficeError(CentralError):
    """A refused office request; ``message`` is what the person reads."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def detail(self) -> object:
        """What the API answers as ``detail`` (the message; a kind may give a structure)."""
        return self.message


class NotFound(OfficeError):
    """The named thing does not exist."""

    status = 404


class Conflict(OfficeError):
    """It exists already, or its state forbids the change."""

    status = 409


class Invalid(OfficeError):
    """Well-formed, but against a rule of the registry."""

    status = 422


class Forbidden(OfficeError):
    """This user may not do this."""

    status = 403


def must_get(session: Session, model: type[T], key: object, what: str) -> T:
    """The row with primary key ``key``, or :class:`NotFound` naming what was not found."""
    row = session.get(model, key)
    if row is None:
        raise NotFound(f"{what} {key} not found")
    return row


FIRST_DAY, LAST_DAY = EARLIEST.date(), LATEST.date()  # the days a pass token can carry


def day_problem(name: str, value: date) -> str | None:
    """Why a registry date is refused (year 1, 1900, 9999 are typing slips, not approvals), or None:
    a date must lie within what a pass can carry, as a pass's own window must."""
    if FIRST_DAY <= value <= LAST_DAY:
        return None
    return f"{name} {value.isoformat()} must lie between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}"


def plausible_days(**days: date | None) -> None:
    """:class:`Invalid` naming the first date given out of range (None: not given)."""
    for name, value in days.items():
        problem = day_problem(name, value) if value is not None else None
        if problem:
            raise Invalid(problem)
