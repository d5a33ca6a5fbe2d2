"""The OpenAPI document as the API really answers: the error statuses every route may give, and the
media types of the routes that return files, so that clients and the schema tests can rely on it."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

# statuses any authenticated route may answer with {"detail": ...}: bad input the route itself finds,
# no or a bad token, a missing role, an unknown id, a conflict, an upload too large, throttling
ERRORS = {
    "400": "Bad request",
    "401": "Not authenticated",
    "403": "Not allowed for this role",
    "404": "Not found",
    "409": "Conflict with the current state",
    "413": "Upload too large",
    "429": "Too many attempts; see Retry-After",
}
# routes that answer a file or a stream instead of JSON, by how their path ends
MEDIA = {
    ".csv": ["text/csv"],
    ".pdf": ["application/pdf"],
    ".png": ["image/png"],
    ".{fmt}": ["application/pdf", "text/csv"],
    "/stream": ["text/event-stream"],
}
PAGES = "/p/{secret}"  # the phone pass page answers HTML, found or not


def _error_schema() -> dict[str, Any]:
    return {
        "title": "Error",
        "type": "object",
        "required": ["detail"],
        "properties": {"detail": {"anyOf": [{"type": "string"}, {"type": "array"}, {"type": "object"}]}},
    }


def documented(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document with the error responses and file media types filled in (cached)."""
    if app.openapi_schema:
        return app.openapi_schema
    doc = get_openapi(title=app.title, version=app.version, routes=app.routes, description=app.description)
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = _error_schema()
    if "HTTPValidationError" in schemas:
        # routes also answer 422 with a plain sentence (e.g. an unreadable import file)
        detail = schemas["HTTPValidationError"]["properties"]["detail"]
        schemas["HTTPValidationError"]["properties"]["detail"] = {"anyOf": [detail, {"type": "string"}]}
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in doc.get("paths", {}).items():
        media = next((types for end, types in MEDIA.items() if path.endswith(end)), None)
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for code, description in ERRORS.items():
                responses.setdefault(code, {"description": description, "content": error})
            if media and "200" in responses:
                responses["200"]["content"] = {m: {} for m in media}  # bytes or events: no JSON schema
            if path == PAGES:
                for response in responses.values():
                    response["content"] = {"text/html": {}}
    app.openapi_schema = doc
    return doc
