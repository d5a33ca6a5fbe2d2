"""Printable pass cards: a single card or an A4 sheet as PDF (reportlab, an embedded CJK subset), or a PNG.

Chinese first with English beside it. The font is embedded (``office.pdffont``): a reader without a
Chinese font still prints the holder's name. A card prints the last valid day, not the exclusive end.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from sqlmodel import Session

from central.models.registry import Campus, Household, Pass, Person, Vehicle
from central.office.keys import KeyRing
from central.office.pdffont import pdf_font
from central.office.printed import CARD, KIND_LABELS, both
from gatecore.campus import DEFAULT_TZ

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

    def lines(self) -> list[str]:
        """The text lines of the card, Chinese first with English beside it."""
        zh, en = KIND_LABELS.get(self.kind, (self.kind, self.kind))
        tz = ZoneInfo(self.timezone)
        start, end = printed_from(self.valid_from, tz), printed_until(self.valid_until, tz)
        return [
            f"{both(CARD['campus'])}: {self.campus_zh} {self.campus_en}",
            f"{both(CARD['household'])}: {self.household or '—'}",
            f"{both(CARD['name'])}: {self.holder}",
            f"{both(CARD['kind'])}: {zh} {en}",
            f"{both(CARD['valid'])}: {start} – {end}",
            f"{both(CARD['serial'])}: {self.serial}",
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
    """Whether ``at`` is a midnight in ``tz``: a pass ending then is valid through its whole last day."""
    return _aware(at).astimezone(tz).time() == time(0)


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
        timezone=campus.timezone if campus else DEFAULT_TZ,
        qr=keyring.issue(pass_row),
    )


def qr_png(text: str, *, scale: int = 8) -> bytes:
    """The QR code of ``text`` as PNG bytes (error correction M, quiet zone 4)."""
    buf = io.BytesIO()
    segno.make_qr(text, error="m").save(buf, kind="png", scale=scale, border=4)
    return buf.getvalue()


def _draw_card(canvas: Canvas, card: PassCard, x: float, y: float) -> None:
    canvas.setLineWidth(0.5)
    canvas.roundRect(x, y, CARD_W, CARD_H, 3 * mm)
    font = pdf_font()
    canvas.setFont(font, 9)
    canvas.drawString(x + 4 * mm, y + CARD_H - 6 * mm, both(CARD["title"]))
    canvas.setFont(font, 6.2)
    for i, line in enumerate(card.lines()):
        canvas.drawString(x + 4 * mm, y + CARD_H - 12 * mm - i * 4.2 * mm, line)
    side = 30 * mm
    canvas.drawImage(
        ImageReader(io.BytesIO(qr_png(card.qr))), x + CARD_W - side - 2 * mm, y + 2 * mm, side, side
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
    px = dpi / 25.4
    img = Image.new("RGB", (round(85.6 * px), round(54 * px)), "white")
    draw = ImageDraw.Draw(img)
    font_path = next((p for p in _PNG_FONTS if Path(p).exists()), None)
    small = ImageFont.truetype(font_path, round(2.3 * px)) if font_path else ImageFont.load_default()
    title = ImageFont.truetype(font_path, round(3.2 * px)) if font_path else small
    draw.text((round(4 * px), round(3 * px)), both(CARD["title"]), fill="black", font=title)
    for i, line in enumerate(card.lines()):
        draw.text((round(4 * px), round((10 + i * 4.2) * px)), line, fill="black", font=small)
    qr = Image.open(io.BytesIO(qr_png(card.qr, scale=6))).convert("RGB")
    side = round(30 * px)
    img.paste(
        qr.resize((side, side), Image.Resampling.NEAREST),
        (img.width - side - round(2 * px), img.height - side - round(2 * px)),
    )
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()
