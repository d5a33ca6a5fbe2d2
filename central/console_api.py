"""Every console and registry route under one router, included once by ``central.api.create_app``."""

from __future__ import annotations

from fastapi import APIRouter

from central import (
    auth,
    console_approvals,
    console_passes,
    console_registry,
    console_web,
    console_web_flow,
    imports_api,
    phonepass,
)

router = APIRouter()
router.include_router(auth.router)
router.include_router(console_registry.router)
router.include_router(console_approvals.router)
router.include_router(console_passes.router)
router.include_router(imports_api.router)
router.include_router(phonepass.router)
router.include_router(console_web.router)
router.include_router(console_web_flow.router)
