"""Central's one catalogue of every word a person reads: each entry (zh, en), Chinese first with the
English beside it. Office code (cards, reports, the phone page, refusals) and the console's pages
(``central.console.i18n`` renders them as markup) read the same entries, so a word is written once.

- ``words``: the console's labels (``WORDS``) and the sentences a page says after a write (``DONE``);
- ``pages``: the words of pages that speak both languages whatever the visitor chose (the dashboard,
  the fever banner, the phone page, a refusal), in ``WORDS`` too;
- ``codes``: codes by group (pass kinds, states, verdicts, roles…) and pydantic's error types;
- ``messages``: the English messages the office, the forms and the import give, with their Chinese;
- ``printed``: the words of paper (cards, the daily report) and of the phone page's rules.
"""

from __future__ import annotations

import re

from central.office.catalogue.codes import CODES, PYDANTIC, Words
from central.office.catalogue.messages import INPUT_ERROR, MESSAGES
from central.office.catalogue.printed import both, fill
from central.office.catalogue.words import DONE, LANGUAGES, WORDS

_CJK = re.compile(r"[\u3400-\u9fff]")
__all__ = [
    "CODES",
    "DONE",
    "INPUT_ERROR",
    "LANGUAGES",
    "MESSAGES",
    "PYDANTIC",
    "WORDS",
    "Words",
    "both",
    "code_words",
    "fill",
    "message_pair",
    "message_words",
]


def code_words(group: str, value: object) -> tuple[str, str] | None:
    """(zh, en) of a code, or None when the catalogue lacks it."""
    return CODES.get(group, {}).get(str(value))


def message_words(text: str) -> tuple[str, str] | None:
    """(zh, en) of an office, form or import message, or None when the catalogue lacks it."""
    if _CJK.search(text) and not any(p.match(text) for p, _ in MESSAGES):
        return text, ""  # already in Chinese (bilingual messages of the rules)
    for pattern, zh in MESSAGES:
        if m := pattern.match(text):
            return zh.format(**{k: _value(k, v or "") for k, v in m.groupdict().items()}), text
    return None


def message_pair(text: str) -> Words:
    """(zh, en) of a message: its Chinese from the catalogue, else "输入有误" (wrong input) beside it."""
    return message_words(text) or (INPUT_ERROR, text)


def _value(group: str, value: str) -> str:
    """A value inside a message, in Chinese: a group named after a code group (``field``, ``kind``,
    ``incident``; ``incident_to`` for a second one) reads each of its comma-separated codes from that
    group; any other, an entity or a role (or a list of them); else the value itself."""
    codes = CODES.get(group) or CODES.get(group.rsplit("_", 1)[0])
    # a list is read part by part; a single value is quoted as it came ("Asia/Shanghai " is no zone)
    parts = [p.strip() for p in value.split(",")] if "," in value else [value]
    out = []
    for part in parts:
        words = (
            codes.get(part)
            if codes
            else CODES["entity"].get(part.replace(" ", "_")) or CODES["role"].get(part)
        )
        out.append(words[0] if words else part)
    return "、".join(out) if len(parts) > 1 else out[0]
