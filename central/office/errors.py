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

from typing import TypeVar

from sqlmodel import Session, SQLModel

from central import CentralError

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
