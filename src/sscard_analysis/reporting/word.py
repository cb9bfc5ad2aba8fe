"""The report as a Word document (.docx) for the office to edit and file in its OA system.

The document is built from the same page as the HTML and the PDF (the
output of :func:`.render.page_html`), element by element, so it holds the
same text, numbers, tables and charts: the cover's 通报 block, the table of
contents (a Word TOC field: Word fills in the page numbers when the fields
are updated), headings with the office's numbering (一、 （一） 1.) as
Word heading styles (so the navigation pane and the TOC see them), body
paragraphs, tables (header row repeated on every page, numbers right-aligned,
columns sized to fit the text width) and the charts as PNG pictures.

Layout follows the usual government-document conventions (GB/T 9704, read
loosely for a data report whose tables need the width): A4 with
30/28/22/22 mm margins, body text in
仿宋 (FangSong), level-1 headings in 黑体 (SimHei), level-2 in 楷体 (KaiTi),
level-3 in bold 仿宋, tables in a smaller 仿宋, page numbers "— 1 —"
centred in the footer. The Chinese font names are set as the East Asian
fonts (``w:eastAsia``); the document's font table names Noto Serif/Sans CJK
as their alternatives (``w:altName``) for machines without them, and Latin
text uses Times New Roman.
"""

from __future__ import annotations

import base64
import io
import os
import re
import zipfile
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from lxml import html as lhtml

BODY_FONT, HEADING_FONT, KAI_FONT, LATIN_FONT = "仿宋", "黑体", "楷体", "Times New Roman"
# What each Chinese font falls back to where it is not installed (w:altName in the font table).
ALT_FONTS = {BODY_FONT: "Noto Serif CJK SC", HEADING_FONT: "Noto Sans CJK SC", KAI_FONT: "Noto Serif CJK SC"}
BODY_PT, TABLE_PT, WIDE_TABLE_PT, NOTE_PT = 14, 9, 8, 10.5
WIDE = 9  # tables of this many columns or more use WIDE_TABLE_PT
MARGINS_MM = {"top": 30, "bottom": 28, "left": 22, "right": 22}
TEXT_WIDTH_MM = 210 - MARGINS_MM["left"] - MARGINS_MM["right"]  # 166 mm
CELL_MARGIN_MM = 0.8  # left and right inside each table cell
HEADER_FILL = "DDE6F3"
STATUS_COLORS = {"ok": RGBColor(0x1E, 0x7B, 0x3C), "warn": RGBColor(0xA0, 0x68, 0x00), "bad": RGBColor(0xB0, 0x20, 0x20),
                 "na": RGBColor(0x77, 0x77, 0x77)}
GREY = RGBColor(0x55, 0x55, 0x55)
RED = "B02020"


# ---------------------------------------------------------------- fonts and styles


def set_fonts(element, east_asia: str, latin: str = LATIN_FONT) -> None:
    """Set the run fonts of a style or run element: ``w:eastAsia`` for Chinese, Latin font for the rest (no theme fonts)."""
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:cs"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)


def _style(doc, name: str, east_asia: str, size: float, bold: bool = False, align=None, before: float = 0, after: float = 0):
    st = doc.styles[name]
    set_fonts(st.element, east_asia)
    st.font.size = Pt(size)
    st.font.bold = bold
    st.font.italic = False
    st.font.color.rgb = RGBColor(0, 0, 0)
    pf = st.paragraph_format
    pf.space_before, pf.space_after = Pt(before), Pt(after)
    if align is not None:
        pf.alignment = align
    return st


def _setup(doc) -> None:
    """Page, fonts, styles, language, footer page numbers and the font table fallbacks."""
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    sec.left_margin, sec.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    sec.footer_distance = Mm(20)
    # document defaults: Chinese language (line breaking, proofing) and the body fonts
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr.find(qn("w:rFonts"))
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)
    fonts.set(qn("w:cs"), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), BODY_FONT)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "zh-CN")
    lang.set(qn("w:eastAsia"), "zh-CN")

    normal = _style(doc, "Normal", BODY_FONT, BODY_PT)
    normal.paragraph_format.line_spacing = 1.25
    _style(doc, "Title", HEADING_FONT, 22, align=WD_ALIGN_PARAGRAPH.CENTER, before=6, after=6)
    title = doc.styles["Title"].element.get_or_add_pPr()
    for border in title.findall(qn("w:pBdr")):  # the template underlines the title
        title.remove(border)
    _style(doc, "Subtitle", KAI_FONT, 16, align=WD_ALIGN_PARAGRAPH.CENTER, after=6)
    _style(doc, "Heading 1", HEADING_FONT, 16, before=12, after=6)
    _style(doc, "Heading 2", KAI_FONT, BODY_PT, before=8, after=4)
    _style(doc, "Heading 3", BODY_FONT, BODY_PT, bold=True, before=6, after=3)
    for name in ("Heading 1", "Heading 2", "Heading 3"):
        doc.styles[name].paragraph_format.keep_with_next = True
    _style(doc, "Caption", BODY_FONT, NOTE_PT).font.color.rgb = GREY
    _style(doc, "TOC Heading", HEADING_FONT, 16, align=WD_ALIGN_PARAGRAPH.CENTER, before=12, after=6)

    footer = sec.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("— ")
    _field(footer, "PAGE", "1")
    footer.add_run(" —")
    for run in footer.runs:
        run.font.size = Pt(12)
        set_fonts(run._r, BODY_FONT)
    _font_table_fallbacks(doc)


def _font_table_fallbacks(doc) -> None:
    """Name the Chinese fonts in the font table with Noto CJK as their alternative (``w:altName``)."""
    part = next(p for p in doc.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml")
    xml = part.blob.decode("utf-8")
    entries = "".join(
        f'<w:font w:name="{name}"><w:altName w:val="{alt}"/><w:charset w:val="86"/><w:family w:val="{"modern" if name != HEADING_FONT else "swiss"}"/>'
        f'<w:pitch w:val="variable"/></w:font>' for name, alt in ALT_FONTS.items())
    xml = xml.replace("</w:fonts>", entries + "</w:fonts>")
    part._blob = xml.encode("utf-8")


def _field(paragraph, code: str, cached: str) -> None:
    """A simple field (PAGE, NUMPAGES …) with its cached result."""
    run = paragraph.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run._r.append(begin)
    run = paragraph.add_run()
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {code} "
    run._r.append(instr)
    run = paragraph.add_run()
    sep = OxmlElement("w:fldChar")
    sep.set(qn("w:fldCharType"), "separate")
    run._r.append(sep)
    paragraph.add_run(cached)
    run = paragraph.add_run()
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run._r.append(end)


def insert_ordered(parent, child, successors: tuple[str, ...]) -> None:
    """Insert ``child`` before the first existing element named in ``successors`` (the schema's order), else append.

    Word refuses a document whose property elements are out of the order the
    OOXML schema gives, so every element added by hand goes through here.
    """
    names = {qn(n) for n in successors}
    for i, el in enumerate(parent):
        if el.tag in names:
            parent.insert(i, child)
            return
    parent.append(child)


_TBLPR_AFTER_BORDERS = ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription")
_PPR_AFTER_BORDERS = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct",
                      "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
                      "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
                      "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")
_SETTINGS_AFTER_UPDATE_FIELDS = ("w:hdrShapeDefaults", "w:footnotePr", "w:endnotePr", "w:compat", "w:docVars", "w:rsids", "m:mathPr",
                                 "w:attachedSchema", "w:themeFontLang", "w:clrSchemeMapping", "w:doNotIncludeSubdocsInStats",
                                 "w:doNotAutoCompressPictures", "w:forceUpgrade", "w:captions", "w:readModeInkLockDown", "w:smartTagType",
                                 "sl:schemaLibrary", "w:shapeDefaults", "w:doNotEmbedSmartTags", "w:decimalSymbol", "w:listSeparator")
_TCPR_AFTER_SHD = ("w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark")


def _fld_char(paragraph, kind: str) -> None:
    run = paragraph.add_run()
    el = OxmlElement("w:fldChar")
    el.set(qn("w:fldCharType"), kind)
    run._r.append(el)


# ---------------------------------------------------------------- text


def _classes(el) -> set[str]:
    return set((el.get("class") or "").split())


def _inline(paragraph, el, bold: bool = False, size: float | None = None, color: RGBColor | None = None) -> None:
    """The text of ``el`` with its inline markup (bold, line breaks) appended to ``paragraph``."""

    def run(text: str, b: bool) -> None:
        if not text:
            return
        r = paragraph.add_run(re.sub(r"\s*\n\s*", "", text) if _cjk(text) else re.sub(r"\s+", " ", text))
        r.bold = b or None
        if size:
            r.font.size = Pt(size)
        if color is not None:
            r.font.color.rgb = color

    run(el.text or "", bold)
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "br":
            paragraph.add_run().add_break(WD_BREAK.LINE)
        else:
            _inline(paragraph, child, bold or tag in ("strong", "b", "th"), size, color)
        run(child.tail or "", bold)


def _cjk(text: str) -> bool:
    return any("\u2e80" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" for ch in text)


def text_of(el) -> str:
    """The visible text of an element, whitespace collapsed."""
    return re.sub(r"\s+", " ", el.text_content()).strip()


def display_width(text: str) -> int:
    """Width in half-width units: a Chinese character counts 2."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


# ---------------------------------------------------------------- tables


SHORT = 6.5  # em: a column whose values are all this short (codes, dates, counts) never wraps, as in the HTML


def text_em(text: str) -> float:
    """Width of ``text`` in em: a Chinese character 1, a Latin letter or digit about 0.6 (a safe upper bound)."""
    return sum(1.0 if ord(ch) > 0x2E80 else 0.6 for ch in text)


def column_widths(header: list[str], body: list[list[str]], total_mm: float, pt: float = TABLE_PT, fill: bool = True) -> list[float]:
    """Column widths (mm) that fit ``total_mm``.

    A column whose values are all short (up to ``SHORT`` em: codes, dates,
    counts) gets its whole width; any other column at least four Chinese
    characters; a header may wrap after two characters. The width left is
    shared among the wrapping columns in proportion to what each still wants
    (its longest value, up to 30 em). With ``fill`` a table whose natural
    width is close to the text width spans it.
    """
    em, pad = pt * 0.3528, 2 * CELL_MARGIN_MM + 0.8  # mm per em; cell margins and a little slack
    n = max([len(header)] + [len(r) for r in body])
    longest = [max((text_em(r[j]) for r in body if j < len(r)), default=0) for j in range(n)]
    head = [text_em(header[j]) if j < len(header) else 0 for j in range(n)]
    fixed = [longest[j] <= SHORT for j in range(n)]
    least = [(max(longest[j], min(head[j], 2)) if fixed[j] else 4) * em + pad for j in range(n)]
    want = [min(max(longest[j], head[j]), 30) * em + pad for j in range(n)]
    if sum(want) <= total_mm:
        if fill and sum(want) > 0.6 * total_mm:
            return [w * total_mm / sum(want) for w in want]
        return want
    spare = total_mm - sum(least)
    extra = [0.0 if fixed[j] else max(want[j] - least[j], 0.0) for j in range(n)]
    if spare <= 0 or not sum(extra):
        return [total_mm * m / sum(least) for m in least]
    return [m + spare * e / sum(extra) for m, e in zip(least, extra)]


def _shade(cell, fill: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    insert_ordered(tcpr, shd, _TCPR_AFTER_SHD)


def _row_flags(row, header: bool) -> None:
    trpr = row._tr.get_or_add_trPr()
    no_split = OxmlElement("w:cantSplit")
    trpr.append(no_split)
    if header:
        repeat = OxmlElement("w:tblHeader")
        trpr.append(repeat)


def _no_borders(table) -> None:
    tblpr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        b = OxmlElement(f"w:{edge}")
        b.set(qn("w:val"), "nil")
        borders.append(b)
    insert_ordered(tblpr, borders, _TBLPR_AFTER_BORDERS)


def add_table(doc, el, plain: bool = False) -> None:
    """An HTML table as a Word table: header row shaded and repeated, numbers right-aligned, widths that fit the page."""
    rows = list(el.iter("tr"))
    if not rows:
        return
    cells = [[c for c in tr if isinstance(c.tag, str) and c.tag in ("td", "th")] for tr in rows]
    ncols = max(len(r) for r in cells)
    in_head = {id(tr) for thead in el.iter("thead") for tr in thead.iter("tr")}
    heads = [i for i, tr in enumerate(rows) if id(tr) in in_head]
    header = [text_of(c) for c in cells[heads[0]]] if heads else []
    body = [[text_of(c) for c in r] for i, r in enumerate(cells) if i not in heads]
    size = NOTE_PT if plain else WIDE_TABLE_PT if ncols >= WIDE else TABLE_PT
    widths = column_widths(header, body, TEXT_WIDTH_MM, size, fill=not plain)
    table = doc.add_table(rows=len(rows), cols=ncols)
    if plain:
        _no_borders(table)
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
    else:
        table.style = doc.styles["Table Grid"]
    table.autofit = False  # fixed layout: Word keeps the widths below
    tblw = table._tbl.tblPr.find(qn("w:tblW"))
    tblw.set(qn("w:type"), "dxa")
    tblw.set(qn("w:w"), str(int(sum(Mm(w).twips for w in widths))))
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        m = OxmlElement(f"w:{side}")
        m.set(qn("w:w"), str(int(Mm(CELL_MARGIN_MM).twips)))
        m.set(qn("w:type"), "dxa")
        margins.append(m)
    insert_ordered(table._tbl.tblPr, margins, ("w:tblLook", "w:tblCaption", "w:tblDescription"))
    for j, col in enumerate(table.columns):
        col.width = Mm(widths[j])
    keep = "keep" in _classes(el) or plain  # a short table stays on one page, as in the PDF
    for i, (row, row_cells) in enumerate(zip(table.rows, cells)):
        is_head = i in heads
        _row_flags(row, is_head)
        for j, cell in enumerate(row.cells):
            cell.width = Mm(widths[j])
            if j >= len(row_cells):
                continue
            src = row_cells[j]
            p = cell.paragraphs[0]
            pf = p.paragraph_format
            pf.space_before = pf.space_after = Pt(0)
            pf.line_spacing = 1.0
            cls = _classes(src)
            color = next((STATUS_COLORS[c] for c in ("ok", "warn", "bad", "na") if c in cls and "status" in cls), None)
            _inline(p, src, bold=(src.tag == "th" and not plain) or color not in (None, STATUS_COLORS["na"]),
                    size=size, color=GREY if plain and src.tag == "th" else color)
            if "num" in cls:
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if (keep and i < len(rows) - 1) or is_head:
                pf.keep_with_next = True
            if is_head:
                _shade(cell, HEADER_FILL)
    spacer = doc.add_paragraph()
    spacer.paragraph_format.space_after = Pt(0)
    spacer.paragraph_format.line_spacing = 0.8


# ---------------------------------------------------------------- the page


def _paragraph(doc, el, style: str | None = None, indent: bool = True, size: float | None = None, color=None, align=None):
    p = doc.add_paragraph(style=style)
    if indent and style is None:
        p.paragraph_format.first_line_indent = Pt((size or BODY_PT) * 2)  # two characters, as in an official document
    if align is not None:
        p.alignment = align
    _inline(p, el, size=size, color=color)
    return p


def _picture(doc, img) -> None:
    src = img.get("src") or ""
    m = re.match(r"data:image/png;base64,(.*)", src, re.S)
    if not m:
        return
    data = base64.b64decode(m.group(1))
    doc.add_picture(io.BytesIO(data), width=Mm(TEXT_WIDTH_MM))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.paragraphs[-1].paragraph_format.first_line_indent = None


def _toc(doc, nav) -> None:
    """A Word table-of-contents field over heading level 1, its cached entries the section titles (Word adds page numbers)."""
    doc.add_paragraph("目　录", style="TOC Heading")
    entries = [text_of(a) for a in nav.iter("a")]
    for k, text in enumerate(entries):
        p = doc.add_paragraph()
        p.paragraph_format.first_line_indent = None
        p.paragraph_format.space_after = Pt(0)
        if k == 0:
            _fld_char(p, "begin")
            run = p.add_run()
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = ' TOC \\o "1-1" \\h \\z \\u '
            run._r.append(instr)
            _fld_char(p, "separate")
        p.add_run(text)
        if k == len(entries) - 1:
            _fld_char(p, "end")
    note = doc.add_paragraph(style="Caption")
    note.add_run("（页码在 Word 中更新域后显示：右键目录 → 更新域。）")
    _update_fields_on_open(doc)


def _update_fields_on_open(doc) -> None:
    settings = doc.settings.element
    if settings.find(qn("w:updateFields")) is None:
        el = OxmlElement("w:updateFields")
        el.set(qn("w:val"), "true")
        insert_ordered(settings, el, _SETTINGS_AFTER_UPDATE_FIELDS)


def _rule(doc, color: str = RED) -> None:
    """A paragraph with a coloured bottom border (the red line under a 通报 header)."""
    p = doc.add_paragraph()
    p.paragraph_format.space_after = Pt(6)
    ppr = p._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", "12"), ("w:space", "1"), ("w:color", color)):
        bottom.set(qn(k), v)
    bdr.append(bottom)
    insert_ordered(ppr, bdr, _PPR_AFTER_BORDERS)


def _walk(doc, el) -> None:
    for child in el:
        if not isinstance(child.tag, str):
            continue
        tag, cls = child.tag, _classes(child)
        if tag == "div" and "cover" in cls:
            _walk(doc, child)
            _rule(doc)
        elif tag in ("div", "section", "article", "main", "span"):
            _walk(doc, child)
        elif tag == "nav":
            _toc(doc, child)
        elif tag == "h1":
            doc.add_paragraph(text_of(child), style="Title")
        elif tag in ("h2", "h3", "h4"):
            doc.add_paragraph(text_of(child), style={"h2": "Heading 1", "h3": "Heading 2", "h4": "Heading 3"}[tag])
        elif tag == "p":
            if "subtitle" in cls:
                doc.add_paragraph(text_of(child), style="Subtitle")
            elif "meta" in cls:
                _paragraph(doc, child, indent=False, size=NOTE_PT, color=GREY, align=WD_ALIGN_PARAGRAPH.CENTER)
            elif cls & {"note", "nodata"}:
                _paragraph(doc, child, indent=False, size=NOTE_PT, color=GREY)
            else:
                p = _paragraph(doc, child)
                p.paragraph_format.keep_with_next = "lead" in cls or None  # a line that introduces a table stays with it
        elif tag == "table":
            add_table(doc, child, plain="notice" in cls)
        elif tag == "figure":
            for img in child.iter("img"):
                _picture(doc, img)
        elif tag == "img":
            _picture(doc, child)
        elif tag in ("ol", "ul"):
            for k, li in enumerate((li for li in child if li.tag == "li"), 1):
                p = doc.add_paragraph()
                p.paragraph_format.first_line_indent = Pt(BODY_PT * 2)
                p.add_run(f"{k}. " if tag == "ol" else "• ")
                _inline(p, li)
        elif tag == "pre":
            p = doc.add_paragraph(child.text_content())
            p.paragraph_format.first_line_indent = None
        elif text_of(child):
            _paragraph(doc, child)


def write_docx(page: str, out: Path, title: str = "", author: str = "") -> None:
    """Write the report page (HTML from :func:`.render.page_html`) as an A4 Word document."""
    root = lhtml.fromstring(page)
    body = root.find("body")
    doc = Document()
    _setup(doc)
    first = doc.paragraphs[0]._p if doc.paragraphs else None  # the template's empty first paragraph
    if first is not None:
        first.getparent().remove(first)
    _walk(doc, body if body is not None else root)
    save_docx(doc, out, title=title, author=author)


def write_docx_file(page_file: str | Path, out: str | Path, title: str = "", author: str = "") -> None:
    """:func:`write_docx` of a page saved as a file (how the report runner has its kernel write the Word copy)."""
    write_docx(Path(page_file).read_text(encoding="utf-8"), Path(out), title=title, author=author)


ZIP_EPOCH = datetime(1980, 1, 1)  # the earliest time a zip entry can carry
FIXED_TIME = datetime(2000, 1, 1)  # document properties of a file that must depend on its content only


def zip_stamp(when: datetime | None) -> tuple[int, int, int, int, int, int]:
    """A zip entry time for ``when`` (not before 1980, even seconds)."""
    w = max(when or ZIP_EPOCH, ZIP_EPOCH)
    return (w.year, w.month, w.day, w.hour, w.minute, w.second - w.second % 2)


def save_docx(doc, out: Path, title: str = "", author: str = "", when: datetime | None = None) -> None:
    """Save a python-docx Document reproducibly: the same content gives the same bytes.

    The core properties (created, modified, last printed) are ``when`` (default
    2000-01-01) and every zip entry carries that time (python-docx stamps entries
    with the current time), so rebuilding a report or a package changes no file
    whose content did not change.
    """
    when = when or FIXED_TIME
    cp = doc.core_properties
    cp.title, cp.author, cp.last_modified_by, cp.comments = title, author, author, ""
    cp.created = cp.modified = cp.last_printed = when
    cp.revision = 1
    buf = io.BytesIO()
    doc.save(buf)
    stamp = zip_stamp(when)
    tmp = Path(out).with_name(Path(out).name + ".tmp")
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 3
            entry.external_attr = 0o100644 << 16
            dst.writestr(entry, src.read(info))
    os.replace(tmp, out)
