"""One reader for every password file: the first line, blanks stripped, or a reason naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from central.settings import read_secret


def test_the_password_is_the_first_line_without_its_blanks(tmp_path: Path) -> None:
    f = tmp_path / "pw"
    f.write_text("  s3cret \r\nsecond line, a note\n", encoding="utf-8")
    assert read_secret(f) == "s3cret"  # the whole file was the password for a console user and a gate


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"", "holds no password on its first line"),
        (b"\n\nsecret-on-line-3\n", "holds no password on its first line"),
        (b"\xff\xfe\x00binary", "not UTF-8 text"),
    ],
)
def test_a_file_without_a_password_says_which_and_why(tmp_path: Path, content: bytes, why: str) -> None:
    f = tmp_path / "pw"
    f.write_bytes(content)
    with pytest.raises(ValueError, match=why) as caught:
        read_secret(f, "the password file")
    assert str(f) in str(caught.value) and "the password file" in str(caught.value)


def test_a_folder_or_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=f"cannot read secret file {tmp_path}: Is a directory"):
        read_secret(tmp_path)
    with pytest.raises(ValueError, match="No such file or directory"):
        read_secret(tmp_path / "gone")
