"""Plain-text tables that line up with Chinese characters (terminal output)."""

from __future__ import annotations

import unicodedata


def width(text: str) -> int:
    """Display width: East Asian wide and full-width characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, w: int, right: bool) -> str:
    gap = " " * (w - width(text))
    return gap + text if right else text + gap


def format_table(headers: list[str], rows: list[list[object]], right: set[int] | None = None) -> str:
    """A table with a header rule; columns in ``right`` are right-aligned (numbers)."""
    right = right or set()
    cells = [[str(c) for c in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(width(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(_pad(c, widths[i], i in right) for i, c in enumerate(r)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
