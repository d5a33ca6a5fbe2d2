"""Poppler's view of a PDF: every font embedded (``pdffonts``) and the text read back (``pdftotext``)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def assert_fonts_embedded(pdf: bytes, tmp_path: Path) -> None:
    """Fail unless the PDF uses at least one font and every font is embedded."""
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = out.splitlines()[2:]  # two header lines
    assert rows, out
    for row in rows:
        # columns: name type encoding emb sub uni object ID; "emb" is the 4th from the right
        assert row.split()[-5] == "yes", f"font not embedded: {row}"
        assert "Helvetica" not in row and "STSong" not in row, row


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    """The PDF's text as pdftotext reads it."""
    path = tmp_path / "text.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
