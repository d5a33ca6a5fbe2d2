"""The one font of every printed page (cards, sheets, reports): a TrueType CJK font, embedded as a subset.

Readers without a Chinese font then still show the holder's name, and Latin letters come from the
same font (no unembedded Helvetica, whose substitutes break the spacing). WenQuanYi Micro Hei has
TrueType outlines, which reportlab can subset; Noto Sans CJK's are CFF, which it cannot embed.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from central import CentralError

FONT = "CampusCJK"
CANDIDATES = (  # (file, index in the collection); Debian's fonts-wqy-microhei, fonts-wqy-zenhei
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
)


class FontMissing(CentralError):
    """No embeddable CJK font is installed (deploy/system-deps.sh installs one)."""


def pdf_font() -> str:
    """The registered font's name, registering it on first use."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return FONT
    for path, index in CANDIDATES:
        if Path(path).exists():
            pdfmetrics.registerFont(TTFont(FONT, path, subfontIndex=index))
            return FONT
    raise FontMissing("no embeddable CJK TrueType font: install fonts-wqy-microhei")


PLACEHOLDER = "□"  # printed for a character the font cannot draw: a visible gap, never a silent one


def drawable(text: str) -> str:
    """``text`` as the embedded font prints it: a character the font has no outline for (an emoji, a
    rare ideograph, a pinyin tone letter WenQuanYi maps to an empty glyph) becomes ``PLACEHOLDER``, so
    a name never prints with a blank where a letter was; spaces stay, and invisible marks the font
    lacks (a variation selector, a zero-width joiner) are left out."""
    return "".join(_drawn(ch) for ch in text)


def _drawn(ch: str) -> str:
    if ch.isspace() or _outlines().get(ord(ch), False):
        return ch
    return "" if unicodedata.category(ch) in {"Cf", "Cc", "Mn", "Me"} else PLACEHOLDER


@cache
def _outlines() -> dict[int, bool]:
    """Code point -> whether the font's glyph for it has an outline (the glyph's data is not empty)."""
    face = pdfmetrics.getFont(pdf_font()).face
    pos = face.glyphPos
    return {code: pos[glyph + 1] > pos[glyph] for code, glyph in face.charToGlyph.items()}
