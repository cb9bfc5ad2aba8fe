"""Find personal data in delivered files: valid resident ID numbers and mobile numbers.

Every file is read as the user would meet its text: zips (and the zip parts of
xlsx/docx) member by member, PDFs through pdftotext, everything else as UTF-8
text. A match is an 18-digit ID with a valid GB 11643 check digit and a
possible birth date, or an 11-digit mobile number, standing alone (not part
of a longer run of letters and digits, as inside a hash or base64 data, nor the fraction
of a decimal number such as an Excel date serial).
"""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
import zipfile
from datetime import date
from pathlib import Path

from sscard_analysis.privacy import id_check_digit

# Not inside a longer run of letters and digits, nor the fraction of a decimal number (an Excel date serial).
ID18 = re.compile(r"(?<![0-9A-Za-z])(?<!\d\.)(\d{17}[\dX])(?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9A-Za-z])(?<!\d\.)(1[3-9]\d{9})(?![0-9A-Za-z])")


def _valid_id(s: str) -> bool:
    try:
        born = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= date.today() and id_check_digit(s[:17]) == s[17]


def scan_text(text: str) -> list[tuple[str, str]]:
    found = [("id", m) for m in ID18.findall(text) if _valid_id(m)]
    return found + [("mobile", m) for m in MOBILE.findall(text)]


def _pdf_text(data: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(data)
        fh.flush()
        return subprocess.run(["pdftotext", "-layout", fh.name, "-"], capture_output=True, text=True, check=True).stdout


def iter_texts(name: str, data: bytes):
    """(file or member path, text) of a file, descending into zips (xlsx and docx included)."""
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                if not info.is_dir():
                    yield from iter_texts(f"{name}!{info.filename}", zf.read(info))
        return
    yield name, (_pdf_text(data) if data[:5] == b"%PDF-" else data.decode("utf-8", errors="replace"))


def tree_texts(root: Path):
    """(path, text) of every file under ``root`` (or of the file ``root``)."""
    root = Path(root)
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    for p in files:
        yield from iter_texts(str(p.relative_to(root.parent)), p.read_bytes())


def scan_tree(root: Path) -> list[tuple[str, str, str]]:
    """(file or member path, kind, value) of each valid ID or mobile number found under ``root``."""
    return [(name, kind, value) for name, text in tree_texts(root) for kind, value in scan_text(text)]
