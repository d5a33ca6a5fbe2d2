"""Printable pass cards: a single card or an A4 sheet as PDF (reportlab, an embedded CJK subset), or a PNG.

Chinese first with English beside it. The font is embedded (``office.pdffont``): a reader without a
Chinese font still prints the holder's name. A card prints the last valid day, not the exclusive end.
Every text is fitted to the room its row has (``layout``): a long name shrinks, then wraps to a second
row, then is cut with "…", so it never runs over the QR code or the next card on a sheet; a
character the font cannot draw prints as "□", not as a blank.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from sqlmodel import Session

from central.models.registry import Campus, Household, Pass, Person, Vehicle
from central.office.catalogue import CODES, both
from central.office.catalogue.printed import CARD
from central.office.keys import KeyRing
from central.office.pdffont import drawable, pdf_font
from central.office.windows import day_start
from central.office.zones import zone_of

CARD_W, CARD_H = 85.6 * mm, 54 * mm  # ISO/IEC 7810 ID-1, a bank card
_PNG_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)


@dataclass(frozen=True, slots=True)
class PassCard:
    """What is printed on one card."""

    serial: str
    campus_zh: str
    campus_en: str
    household: str
    holder: str
    kind: str
    valid_from: datetime
    valid_until: datetime
    timezone: str
    qr: str

    def rows(self) -> list[tuple[str, str]]:
        """The card's rows as (key of ``CARD``, value), values Chinese first with English beside."""
        zh, en = CODES["kind"].get(self.kind, (self.kind, self.kind))
        tz = ZoneInfo(self.timezone)
        start, end = printed_from(self.valid_from, tz), printed_until(self.valid_until, tz)
        return [
            ("campus", f"{self.campus_zh} {self.campus_en}"),
            ("household", self.household or "—"),
            ("name", self.holder),
            ("kind", f"{zh} {en}"),
            ("valid", f"{start} – {end}"),
            ("serial", self.serial),
        ]


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)  # naive: UTC, the database's base


def last_day(valid_until: datetime, tz: ZoneInfo) -> date:
    """The last local day a pass is valid on (``valid_until`` is the exclusive end, a midnight)."""
    return (_aware(valid_until) - timedelta(microseconds=1)).astimezone(tz).date()


def printed_from(valid_from: datetime, tz: ZoneInfo) -> str:
    """The start of a pass as a person reads it: its first day, with the time when not at midnight."""
    if at_local_midnight(valid_from, tz):
        return _aware(valid_from).astimezone(tz).date().isoformat()
    return _clock(valid_from, tz)


def printed_until(valid_until: datetime, tz: ZoneInfo) -> str:
    """The end of a pass as a person reads it: its last valid day when it ends at a local midnight (as
    the console issues passes), else the local date and time it ends ("2026-12-31 08:00"), never a
    day the pass stops working part-way through."""
    if at_local_midnight(valid_until, tz):
        return last_day(valid_until, tz).isoformat()
    return _clock(valid_until, tz)


def at_local_midnight(at: datetime, tz: ZoneInfo) -> bool:
    """Whether ``at`` is the start of a local day in ``tz``: its midnight, or 01:00 where the clocks go
    forward at midnight (Chile, Lebanon, Cuba); a pass ending then is valid through its whole last day."""
    return day_start(_aware(at).astimezone(tz).date(), tz) == _aware(at)


def _clock(at: datetime, tz: ZoneInfo) -> str:
    return f"{_aware(at).astimezone(tz):%Y-%m-%d %H:%M}"


def serial_of(pass_row: Pass) -> str:
    """The printed serial number of a pass."""
    return f"CG-{pass_row.campus_id:02d}-{pass_row.id:06d}"


def card_for(session: Session, keyring: KeyRing, pass_row: Pass) -> PassCard:
    """The card of a saved card-form pass, with its freshly signed QR text."""
    campus = session.get(Campus, pass_row.campus_id)
    household = session.get(Household, pass_row.household_id) if pass_row.household_id else None
    if pass_row.kind == "VEHICLE":
        vehicle = session.get(Vehicle, pass_row.person_id)
        holder = vehicle.plate if vehicle else "?"
    else:
        person = session.get(Person, pass_row.person_id)
        holder = person.name if person else "?"
    return PassCard(
        serial=serial_of(pass_row),
        campus_zh=campus.name_zh if campus else "",
        campus_en=campus.name_en if campus else "",
        household=household.label if household else "",
        holder=holder,
        kind=pass_row.kind,
        valid_from=pass_row.valid_from,
        valid_until=pass_row.valid_until,
        timezone=zone_of(campus).key,  # the clock the pages show its window in too
        qr=keyring.issue(pass_row),
    )


def qr_png(text: str, *, scale: int = 8) -> bytes:
    """The QR code of ``text`` as PNG bytes (error correction M, quiet zone 4)."""
    buf = io.BytesIO()
    segno.make_qr(text, error="m").save(buf, kind="png", scale=scale, border=4)
    return buf.getvalue()


# the card's geometry, in points from its bottom-left corner
PAD = 4 * mm  # text's distance from the card's left and right edges
QR_SIDE, QR_PAD = 30 * mm, 2 * mm  # the code (its quiet zone is the gap to the text beside it)
TITLE_SIZE, TEXT_SIZE = 9.0, 6.2
MIN_SIZE = 4.5  # a long name shrinks to this before it wraps: still legible to a guard
FIRST_ROW, ROW = CARD_H - 12 * mm, 4.2 * mm  # the first row's baseline, and the step between rows
# a name may take two rows, nothing else more than one: seven rows stay above the card's bottom
NAME_ROWS = 2

Measure = Callable[[str, float], float]  # the width in points of a text at a size in points


@dataclass(frozen=True, slots=True)
class Placed:
    """A text on a card: left end and baseline (points from the card's bottom-left corner), its size
    in points, and how far right it may run (``right``, what the layout fitted it to)."""

    x: float
    y: float
    size: float
    text: str
    right: float


def _right_of(baseline: float) -> float:
    """How far right a row may run: the card's margin above the QR code, the code's left edge beside it."""
    beside = baseline - 0.3 * TEXT_SIZE < QR_PAD + QR_SIDE  # its descenders reach the code's top
    return CARD_W - QR_PAD - QR_SIDE if beside else CARD_W - PAD


def layout(card: PassCard, measure: Measure, clean: Callable[[str], str] = str) -> list[Placed]:
    """Where each text of ``card`` goes: the title, then each row's label and its value, fitted to the
    width the row has (``measure``: the font's widths; ``clean``: what the font cannot draw, replaced)."""
    out = [Placed(PAD, CARD_H - 6 * mm, TITLE_SIZE, clean(both(CARD["title"])), CARD_W - PAD)]
    y = FIRST_ROW
    for key, value in card.rows():
        label = f"{both(CARD[key])}: "
        x = PAD + measure(label, TEXT_SIZE)
        out.append(Placed(PAD, y, TEXT_SIZE, label, x))
        rows = NAME_ROWS if key == "name" else 1
        size, pieces = fit(clean(value), [_right_of(y - i * ROW) - x for i in range(rows)], measure)
        for piece in pieces:
            out.append(Placed(x, y, size, piece, _right_of(y)))
            y -= ROW
    return out


def fit(text: str, widths: Sequence[float], measure: Measure) -> tuple[float, list[str]]:
    """``text`` set to fit: on one line of ``widths[0]`` at the largest size from ``TEXT_SIZE`` down to
    ``MIN_SIZE``; else at ``MIN_SIZE`` over up to ``len(widths)`` lines, each as wide as its width, the
    last cut with "…" when the text runs on. Never wider than its line."""
    size = TEXT_SIZE
    while size > MIN_SIZE and measure(text, size) > widths[0]:
        size = max(MIN_SIZE, size - 0.1)
    pieces, rest = [], text
    for width in widths[:-1]:
        if measure(rest, size) <= width:
            break
        head = _line(rest, width, size, measure)
        pieces.append(head.rstrip())
        rest = rest[len(head) :].lstrip()
    if rest or not pieces:
        pieces.append(_cut(rest, widths[len(pieces)], size, measure))
    return size, pieces


def _line(text: str, width: float, size: float, measure: Measure) -> str:
    """The longest start of ``text`` that fits ``width`` (at least one character), broken at a space
    rather than inside a Latin word; Chinese breaks anywhere."""
    n = 1
    while n < len(text) and measure(text[: n + 1], size) <= width:
        n += 1
    head, following = text[:n], text[n:]
    if following and not following[0].isspace() and (head[-1] + following[0]).isascii():
        space = head.rfind(" ")
        if space > 0:
            return head[: space + 1]
    return head


def _cut(text: str, width: float, size: float, measure: Measure) -> str:
    """``text``, or as much of it as fits ``width`` followed by "…"."""
    if measure(text, size) <= width:
        return text
    n = len(text)
    while n > 0 and measure(text[:n].rstrip() + "…", size) > width:
        n -= 1
    return text[:n].rstrip() + "…"


def _draw_card(canvas: Canvas, card: PassCard, x: float, y: float) -> None:
    canvas.setLineWidth(0.5)
    canvas.roundRect(x, y, CARD_W, CARD_H, 3 * mm)
    font = pdf_font()
    for text in layout(card, lambda s, size: pdfmetrics.stringWidth(s, font, size), drawable):
        canvas.setFont(font, text.size)
        canvas.drawString(x + text.x, y + text.y, text.text)
    canvas.drawImage(
        ImageReader(io.BytesIO(qr_png(card.qr))),
        x + CARD_W - QR_SIDE - QR_PAD,
        y + QR_PAD,
        QR_SIDE,
        QR_SIDE,
    )


def render_pdf(cards: list[PassCard], *, sheet: bool = False) -> bytes:
    """A PDF: one card per card-sized page, or (``sheet``) ten cards per A4 page."""
    buf = io.BytesIO()
    if not sheet:
        canvas = Canvas(buf, pagesize=(CARD_W, CARD_H), invariant=True, initialFontName=pdf_font())
        for card in cards:
            _draw_card(canvas, card, 0, 0)
            canvas.showPage()
    else:
        canvas = Canvas(buf, pagesize=A4, invariant=True, initialFontName=pdf_font())
        left, top, gap = 15 * mm, A4[1] - 15 * mm - CARD_H, 4 * mm
        for i, card in enumerate(cards):
            slot = i % 10
            if i and slot == 0:
                canvas.showPage()
            col, row = slot % 2, slot // 2
            _draw_card(canvas, card, left + col * (CARD_W + gap), top - row * (CARD_H + gap))
        canvas.showPage()
    canvas.setTitle("campusgate passes")
    canvas.save()
    return buf.getvalue()


def render_png(card: PassCard, *, dpi: int = 300) -> bytes:
    """The card as a PNG (Pillow with a CJK font when installed; else the bare QR code)."""
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:  # Pillow is optional: segno alone still gives a scannable code
        return qr_png(card.qr)
    k = dpi / 72  # pixels a point
    img = Image.new("RGB", (round(CARD_W * k), round(CARD_H * k)), "white")
    draw = ImageDraw.Draw(img)
    font_path = next((p for p in _PNG_FONTS if Path(p).exists()), None)

    @cache
    def font(size: float) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
        px = round(size * k)
        return ImageFont.truetype(font_path, px) if font_path else ImageFont.load_default(px)

    # the PDF's layout, measured with this font: a long name fits here as it does on paper
    for text in layout(card, lambda s, size: font(size).getlength(s) / k):
        draw.text(
            (text.x * k, (CARD_H - text.y) * k), text.text, fill="black", font=font(text.size), anchor="ls"
        )
    qr = Image.open(io.BytesIO(qr_png(card.qr, scale=6))).convert("RGB")
    side = round(QR_SIDE * k)
    img.paste(
        qr.resize((side, side), Image.Resampling.NEAREST),
        (img.width - side - round(QR_PAD * k), img.height - side - round(QR_PAD * k)),
    )
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()
