"""Find personal data in delivered files: valid resident ID numbers and mobile numbers.

Every file is read as the user would meet its text: zips (and the zip parts of
xlsx/docx) member by member, PDFs through pdftotext, everything else as UTF-8
text. A match is an 18-digit ID with a valid GB 11643 check digit and a
possible birth date, or an 11-digit mobile number, standing alone (not part
of a longer run of letters and digits, as inside a hash or base64 data).
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

ID18 = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dX])(?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9A-Za-z])(1[3-9]\d{9})(?![0-9A-Za-z])")


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


def scan_bytes(name: str, data: bytes) -> list[tuple[str, str, str]]:
    """(file or member path, kind, value) of each personal datum found."""
    if data[:4] == b"PK\x03\x04":
        out = []
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                if not info.is_dir():
                    out += scan_bytes(f"{name}!{info.filename}", zf.read(info))
        return out
    text = _pdf_text(data) if data[:5] == b"%PDF-" else data.decode("utf-8", errors="replace")
    return [(name, kind, value) for kind, value in scan_text(text)]


def scan_tree(root: Path) -> list[tuple[str, str, str]]:
    """Scan every file under ``root`` (or the file ``root``)."""
    root = Path(root)
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    out = []
    for p in files:
        out += scan_bytes(str(p.relative_to(root.parent)), p.read_bytes())
    return out
