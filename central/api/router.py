"""Every console and registry route under one router, included once by ``central.app.create_app``.

The registry API routers get the CSRF check too: a browser holding a console cookie could otherwise
be made to call them from another site (bearer-token clients are exempt, see ``central.api.csrf``).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from central.api import auth, csrf
from central.api.routes import approvals as console_approvals
from central.api.routes import imports as imports_api
from central.api.routes import nucleic as nucleic_api
from central.api.routes import passes as console_passes
from central.api.routes import phonepass
from central.api.routes import registry as console_registry
from central.console import changes as console_web_changes
from central.console import entries as console_web_entries
from central.console import flow as console_web_flow
from central.console import nucleic as console_web_nucleic
from central.console import registry_pages as console_web_registry
from central.console import users as console_web_users
from central.console import web as console_web

CSRF = [Depends(csrf.protect)]

router = APIRouter()
router.include_router(auth.router)
router.include_router(console_registry.router, dependencies=CSRF)
router.include_router(console_approvals.router, dependencies=CSRF)
router.include_router(console_passes.router, dependencies=CSRF)
router.include_router(imports_api.router, dependencies=CSRF)
router.include_router(nucleic_api.router, dependencies=CSRF)
router.include_router(phonepass.router, dependencies=CSRF)
router.include_router(console_web.public)
router.include_router(console_web.router)
router.include_router(console_web_flow.router)
router.include_router(console_web_nucleic.router)
router.include_router(console_web_registry.router)
router.include_router(console_web_entries.router)
router.include_router(console_web_users.router)
router.include_router(console_web_changes.router)
