"""A small document model rendered both as an HTML/PDF page and as a Word file (python-docx).

The handover dossier's index is written once as a list of blocks (headings,
paragraphs, warnings, tables) and published as HTML, PDF (WeasyPrint, with a
linked table of contents and PDF bookmarks) and .docx (a Word table-of-contents
field whose entries link to bookmarks at the headings, so it works before
Word updates it; headings use the built-in heading styles, so Word's "update
field" rebuilds it with page numbers). Chinese text uses 宋体 for the body
and 黑体 for headings (Word substitutes an installed CJK font where absent).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from ..reporting.word import save_docx
from .writers import cell_text, table_html, write_page


@dataclass
class Block:
    """``kind``: h1 (title), h2 (section, listed in the table of contents), p, meta, warning, table."""

    kind: str
    text: str = ""
    table: pd.DataFrame | None = None


def to_html_body(blocks: list[Block]) -> str:
    parts, in_cover = [], False
    for b in blocks:
        if b.kind == "h1":
            parts.append(f'<div class="cover"><h1>{html.escape(b.text)}</h1>')
            in_cover = True
            continue
        if in_cover and b.kind not in ("meta", "warning"):
            parts.append("</div>")
            in_cover = False
        if b.kind == "meta":
            parts.append(f'<p class="meta">{html.escape(b.text)}</p>')
        elif b.kind == "h2":
            parts.append(f"<h2>{html.escape(b.text)}</h2>")
        elif b.kind == "warning":
            parts.append(f'<p class="warning">{html.escape(b.text)}</p>')
        elif b.kind == "table":
            parts.append(table_html(b.table if b.table is not None else pd.DataFrame()))
        else:
            parts.append(f"<p>{html.escape(b.text)}</p>")
    if in_cover:
        parts.append("</div>")
    return "".join(parts)


def write_html_pdf(blocks: list[Block], title: str, html_path: Path | None, pdf_path: Path | None) -> None:
    write_page(to_html_body(blocks), title, html_path, pdf_path)


# ---------------------------------------------------------------- Word


def _set_fonts(style, east_asia: str, size_pt: float | None = None, bold: bool | None = None) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    style.font.name = "Arial"
    if size_pt:
        style.font.size = Pt(size_pt)
    if bold is not None:
        style.font.bold = bold
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), east_asia)


def _run(text: str, color: str | None = None, underline: bool = False):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    r = OxmlElement("w:r")
    if color or underline:
        rpr = OxmlElement("w:rPr")
        if color:
            c = OxmlElement("w:color")
            c.set(qn("w:val"), color)
            rpr.append(c)
        if underline:
            u = OxmlElement("w:u")
            u.set(qn("w:val"), "single")
            rpr.append(u)
        r.append(rpr)
    t = OxmlElement("w:t")
    t.set(qn("xml:space"), "preserve")
    t.text = text
    r.append(t)
    return r


def _field_char(kind: str):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    r = OxmlElement("w:r")
    f = OxmlElement("w:fldChar")
    f.set(qn("w:fldCharType"), kind)
    r.append(f)
    return r


def _instr(text: str):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    r = OxmlElement("w:r")
    t = OxmlElement("w:instrText")
    t.set(qn("xml:space"), "preserve")
    t.text = text
    r.append(t)
    return r


def _hyperlink(anchor: str, text: str):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    h = OxmlElement("w:hyperlink")
    h.set(qn("w:anchor"), anchor)
    h.set(qn("w:history"), "1")
    h.append(_run(text, color="1F5AA6", underline=True))
    return h


def _bookmark(paragraph, name: str, ident: int) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), str(ident))
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), str(ident))
    paragraph._p.insert(1 if paragraph._p.pPr is not None else 0, start)
    paragraph._p.append(end)


def write_docx(blocks: list[Block], title: str, path: Path, when: datetime, internal: bool = False) -> None:
    """The blocks as a Word document with a linked table of contents; dates fixed to ``when``."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm, Pt, RGBColor

    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height, sec.orientation = Mm(210), Mm(297), WD_ORIENT.PORTRAIT
    sec.left_margin = sec.right_margin = Mm(18)
    sec.top_margin = sec.bottom_margin = Mm(18)
    _set_fonts(doc.styles["Normal"], "宋体", 10.5)
    for name, size in (("Title", 20), ("Heading 1", 15), ("Heading 2", 12)):
        _set_fonts(doc.styles[name], "黑体", size, True)
    if internal:
        header = sec.header.paragraphs[0]
        run = header.add_run("内部资料　含未脱敏个人信息，不得外传")
        run.font.color.rgb = RGBColor(0xB0, 0x20, 0x20)
        run.bold = True

    heads = [b.text for b in blocks if b.kind == "h2"]
    n_head = 0
    for b in blocks:
        if b.kind == "h1":
            doc.add_paragraph(cell_text(b.text), style="Title")
            continue
        if b.kind == "h2":
            if n_head == 0:
                _toc(doc, heads)
            n_head += 1
            p = doc.add_heading(b.text, level=1)
            _bookmark(p, f"_Toc_sec{n_head}", n_head)
        elif b.kind == "meta":
            p = doc.add_paragraph()
            r = p.add_run(b.text)
            r.font.size = Pt(9)
            r.font.color.rgb = RGBColor(0x55, 0x55, 0x55)
        elif b.kind == "warning":
            p = doc.add_paragraph()
            r = p.add_run(b.text)
            r.bold = True
            r.font.color.rgb = RGBColor(0xB0, 0x20, 0x20)
        elif b.kind == "table":
            _table(doc, b.table if b.table is not None else pd.DataFrame())
        else:
            doc.add_paragraph(b.text)
    save_docx(doc, path, title=title, author="sscard", when=when)


def _toc(doc, heads: list[str]) -> None:
    """A TOC field whose cached entries are hyperlinks to the heading bookmarks."""
    doc.add_heading("目录", level=1)
    if not heads:
        return
    for i, text in enumerate(heads, 1):
        p = doc.add_paragraph()
        if i == 1:
            p._p.append(_field_char("begin"))
            p._p.append(_instr(' TOC \\o "1-1" \\h \\z \\u '))
            p._p.append(_field_char("separate"))
        p._p.append(_hyperlink(f"_Toc_sec{i}", text))
        if i == len(heads):
            p._p.append(_field_char("end"))


def _table(doc, frame: pd.DataFrame) -> None:
    from docx.shared import Pt

    if frame.empty:
        doc.add_paragraph("（无）")
        return
    t = doc.add_table(rows=1, cols=len(frame.columns))
    t.style = "Table Grid"
    for cell, name in zip(t.rows[0].cells, frame.columns):
        cell.text = ""
        r = cell.paragraphs[0].add_run(str(name))
        r.bold = True
        r.font.size = Pt(8.5)
    for row in frame.itertuples(index=False):
        cells = t.add_row().cells
        for cell, v in zip(cells, row):
            r = cell.paragraphs[0].add_run(cell_text(v))
            r.font.size = Pt(8.5)
