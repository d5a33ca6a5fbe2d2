"""The one font of every printed page (cards, sheets, reports): a TrueType CJK font, embedded as a subset.

Readers without a Chinese font then still show the holder's name, and Latin letters come from the
same font (no unembedded Helvetica, whose substitutes break the spacing). WenQuanYi Micro Hei has
TrueType outlines, which reportlab can subset; Noto Sans CJK's are CFF, which it cannot embed.
"""

from __future__ import annotations

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
