"""Every console and registry route under one router, included once by ``central.api.create_app``.

The registry API routers get the CSRF check too: a browser holding a console cookie could otherwise
be made to call them from another site (bearer-token clients are exempt, see ``central.csrf``).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from central import (
    auth,
    console_approvals,
    console_passes,
    console_registry,
    console_web,
    console_web_changes,
    console_web_entries,
    console_web_flow,
    console_web_registry,
    console_web_users,
    csrf,
    imports_api,
    phonepass,
)

CSRF = [Depends(csrf.protect)]

router = APIRouter()
router.include_router(auth.router)
router.include_router(console_registry.router, dependencies=CSRF)
router.include_router(console_approvals.router, dependencies=CSRF)
router.include_router(console_passes.router, dependencies=CSRF)
router.include_router(imports_api.router, dependencies=CSRF)
router.include_router(phonepass.router, dependencies=CSRF)
router.include_router(console_web.public)
router.include_router(console_web.router)
router.include_router(console_web_flow.router)
router.include_router(console_web_registry.router)
router.include_router(console_web_entries.router)
router.include_router(console_web_users.router)
router.include_router(console_web_changes.router)
