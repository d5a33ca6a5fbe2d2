"""Every console and registry route under one router, included once by ``central.api.create_app``."""

from __future__ import annotations

from fastapi import APIRouter

from central import auth

router = APIRouter()
router.include_router(auth.router)
