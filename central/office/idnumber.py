"""ID numbers: one form to compare them in, one rule for what may be registered, one stored hash.

The import and the API check an ID number alike; only its hash (and its last four characters) is
stored, so the same person typed twice — in full-width digits, with a lower-case x — is found.
"""

from __future__ import annotations

import hashlib
import re

from central.models.base import code_form

_RESIDENT_ID = re.compile(r"\d{17}[\dX]|\d{15}")  # the 18-character card, and the old 15-digit one
_PASSPORT = re.compile(r"[A-Z0-9]{5,12}")  # foreign teachers and students: a passport number


def id_number_problem(form: str) -> str | None:
    """Why an ID number (in :func:`~central.models.base.code_form`: full-width digits as ASCII,
    no spaces, upper-case X) cannot be registered, or None; import and API alike.
    A passport is at most 12 characters: anything longer is an ID card mistyped."""
    if _RESIDENT_ID.fullmatch(form) or _PASSPORT.fullmatch(form):
        return None
    return "ID number must be an ID card's 18 (or 15) characters or a passport's 5 to 12 letters and digits"


def id_hash(id_number: str) -> str:
    """The stored form of an ID-card number: a SHA-256 of the normalised number."""
    return hashlib.sha256(code_form(id_number).encode()).hexdigest()


def id_last4(id_number: str) -> str:
    """The last four characters kept beside the hash, in the normalised form the searches and the
    results import compare ("１２３ｘ" typed on a Chinese keyboard is "123X")."""
    return code_form(id_number)[-4:]
