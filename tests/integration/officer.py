"""A security officer's console page in a headless browser, signed in by a session cookie: the
browser tests that look at campus clocks open it in Tokyo, neither campus's zone nor UTC."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from playwright.sync_api import Browser, Page
from sqlmodel import Session

from central.api.auth import SESSION_COOKIE, issue_session
from central.app import CentralHandle
from central.models.users import Role
from central.office.users import create_user


@contextmanager
def officer_page(central: CentralHandle, browser: Browser, username: str, **options: Any) -> Iterator[Page]:
    """A new security officer ``username``'s page, in a zh-CN browser in Tokyo (``options``: more
    browser context options, e.g. a viewport)."""
    assert central.app is not None and central.api_url is not None
    with Session(central.engine) as s:
        user = create_user(s, username, "pw-123456", [Role.SECURITY])
        s.commit()
        cookie = issue_session(central.app, user)
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Tokyo", **options)
    context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": central.api_url}])
    try:
        yield context.new_page()
    finally:
        context.close()
