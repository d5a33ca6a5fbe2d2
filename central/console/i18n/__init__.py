"""The console's rendering of central's one catalogue (``central.office.catalogue``: labels, codes,
messages, printed words) as page markup.

Labels follow the visitor's language (a cookie); codes and messages are shown Chinese first with
English beside it, as on the gate screen: ``<span class="zh">…</span> <span class="en">…</span>``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fastapi import Request
from markupsafe import Markup

from central.office.catalogue import (
    CODES,
    INPUT_ERROR,
    LANGUAGES,
    MESSAGES,
    PYDANTIC,
    WORDS,
    code_words,
    fill,
    message_words,
)

LANG_COOKIE = "cg_lang"
__all__ = [
    "CODES",
    "LANG_COOKIE",
    "MESSAGES",
    "PYDANTIC",
    "WORDS",
    "lang_of",
    "pydantic_detail",
    "translator",
]


def lang_of(request: Request) -> str:
    """'zh' unless the visitor chose English."""
    return "en" if request.cookies.get(LANG_COOKIE) == "en" else "zh"


def translator(lang: str) -> Callable[[str], Markup]:
    """``t(key)`` for a page's text: a label Chinese first with English beside it ("日报 Daily reports",
    the English in its own span), or in English alone for a visitor who chose English."""
    if lang == "en":
        return lambda key: Markup.escape(WORDS[key][1] if key in WORDS else key)
    return lambda key: pair(*WORDS[key]) if key in WORDS else Markup.escape(key)


def plain_translator(lang: str) -> Callable[[str], str]:
    """``tt(key)``: the same words as plain text, for where no markup goes (an attribute, an option,
    the title): "日报 Daily reports", or the English alone."""
    if lang == "en":
        return lambda key: WORDS[key][1] if key in WORDS else key
    return lambda key: " ".join(dict.fromkeys(WORDS[key])) if key in WORDS else key


def pair(zh: str, en: str) -> Markup:
    """Chinese first with English beside it (English left out when it says the same)."""
    if not en or en == zh:
        return Markup('<span class="zh">{}</span>').format(zh)
    return Markup('<span class="zh">{}</span> <span class="en">{}</span>').format(zh, en)


def code(group: str, value: object) -> Markup:
    """A code in both languages (an unknown code shows as itself)."""
    if value is None or value == "":
        return Markup("")
    words = code_words(group, value)
    return pair(*words) if words else Markup('<span class="code">{}</span>').format(value)


def code_text(group: str, value: object) -> str:
    """A code as plain text, Chinese first ('住户 Resident'), for places that take no markup (options)."""
    words = code_words(group, value)
    return " ".join(dict.fromkeys(words)) if words else str(value)


def message(text: str) -> Markup:
    """An office, form or import message in both languages."""
    words = message_words(text.removeprefix("Value error, "))
    return pair(*words) if words else pair(INPUT_ERROR, text)


def pydantic_message(error: Mapping[str, Any]) -> Markup:
    """One pydantic error in both languages: by its type, or its message for a rule's ValueError."""
    return pair(*pydantic_words(error))


def pydantic_words(error: Mapping[str, Any]) -> tuple[str, str]:
    """(zh, en) of one pydantic error (en '' when the words are already in both languages)."""
    if error["type"] in ("value_error", "json_invalid"):  # json_invalid: FastAPI's or unreadable_json's
        text = str(error["msg"]).removeprefix("Value error, ")
        return message_words(text) or (INPUT_ERROR, text)
    words = PYDANTIC.get(error["type"])
    if words is None:
        return INPUT_ERROR, str(error["msg"])
    ctx = {k: str(v) for k, v in (error.get("ctx") or {}).items()}
    zh_ctx = dict(ctx)
    if "expected" in ctx:  # pydantic's "'allow', 'deny' or 'refer'": each code in Chinese, no English "or"
        zh_ctx["expected"] = "、".join(_code_zh(c) for c in re.findall(r"'([^']*)'", ctx["expected"]))
    try:
        return words[0].format(**zh_ctx), words[1].format(**ctx)
    except (KeyError, IndexError):
        return words


def _code_zh(code: str) -> str:
    # a code of a choice in Chinese: the verdicts and reasons first (the log's filters), else any group
    for group in ("verdict", "reason", *CODES):
        words = CODES[group].get(code)
        if words:
            return words[0]
    return code


def pydantic_detail(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The API's 422 entries: each error with ``msg`` Chinese first and English beside it, and both
    apart (``msg_zh``, ``msg_en``), as a refused policy's."""
    out = []
    for error in errors:
        zh, en = pydantic_words(error)
        en = en or str(error["msg"]).removeprefix("Value error, ")
        entry = {**error, "msg": f"{zh} / {en}" if zh != en else en, "msg_zh": zh, "msg_en": en}
        out.append({k: _json_safe(v) for k, v in entry.items()})
    return out


def _json_safe(value: Any) -> Any:
    """``value`` with every NaN or ±Infinity in it as its JSON spelling ('NaN', '-Infinity'): Python's
    JSON reader takes them in a request, but no JSON answer can carry them, so echoing one back would
    turn the 422 into a 500. A loop, then the C codec: as deep as the request's JSON nests."""
    todo, finite = [value], True
    while todo and finite:
        item = todo.pop()
        if isinstance(item, float):
            finite = math.isfinite(item)
        elif isinstance(item, Mapping):
            todo += item.values()
        elif isinstance(item, list | tuple):
            todo += item
    return value if finite else json.loads(json.dumps(value, default=str), parse_constant=str)


def say(key: str, sep: str | None = None, **values: Any) -> Markup:
    """``say(key)``: a catalogue entry in both languages whichever the visitor chose (the pages that
    always speak both: the dashboard, the phone page, a refusal), ``{values}`` filled in, each language
    in its span; with ``sep`` as plain text, the two halves apart ("实时监控 · Live dashboard")."""
    zh, en = fill(WORDS[key], **values)
    if sep is None:
        return pair(zh, en)
    return Markup.escape(zh) if not en or en == zh else Markup.escape(zh) + sep + Markup.escape(en)


def words_of(*keys: str) -> dict[str, list[str]]:
    """Catalogue entries for a page's script (JSON): key -> [zh, en], ``{names}`` left to the script."""
    return {k: list(WORDS[k]) for k in keys}


def codes_of(*groups: str) -> dict[str, dict[str, list[str]]]:
    """Code groups for a page's script (JSON), from this catalogue."""
    return {g: {k: list(v) for k, v in CODES[g].items()} for g in groups}


def template_globals(lang: str) -> dict[str, Any]:
    """What every console template gets from the catalogue."""
    return {
        "t": translator(lang),
        "tt": plain_translator(lang),
        "lang": lang,
        "code": code,
        "code_text": code_text,
        "msg": message,
        "pair": pair,
        "codes_of": codes_of,
        "say": say,
        "words_of": words_of,
        "languages": LANGUAGES,
    }
