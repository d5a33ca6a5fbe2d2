"""Importing the testing site's nucleic-acid results on behalf of the office (journalled, no HTTP)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from central.models.registry import Campus
from central.models.users import User
from central.office import nucleic
from central.office.changes import record_change
from central.office.errors import must_get
from central.office.imports import ImportFileError
from central.office.zones import campus_zone


def run_test_import(
    session: Session, *, actor: User, filename: str, data: bytes, dry_run: bool, campus_id: int | None
) -> dict[str, Any]:
    """The import's report; ``refused`` when the file or a row was refused. The caller commits if applied."""
    if campus_id is not None:
        must_get(session, Campus, campus_id, "campus")
    tz = campus_zone(session, campus_id).key  # the clock the testing page shows them in again
    try:
        report = nucleic.import_results(
            session, filename, data, dry_run=dry_run, by=actor.username, now=datetime.now(UTC), tz=tz
        )
    except ImportFileError as exc:
        return {"detail": str(exc), "errors": [], "applied": False, "refused": True}
    if report.applied:
        record_change(
            session, actor, "import", "nucleic_test", "-", results=report.results_new, file=filename
        )
    return {**asdict(report), "refused": bool(report.errors) and not dry_run}
