"""Laid-out pages of a report's HTML (WeasyPrint): the boxes of each page, for checks of width and fill."""

from __future__ import annotations


def page_boxes(page_html: str):
    """For each page, in order: (page number, page box, every box inside it except the page and its margin boxes)."""
    from weasyprint import HTML
    from weasyprint.formatting_structure import boxes

    def walk(b):
        if isinstance(b, boxes.MarginBox):
            return
        yield b
        for c in getattr(b, "children", []) or []:
            yield from walk(c)

    for i, pg in enumerate(HTML(string=page_html).render().pages, 1):
        box = pg._page_box
        yield i, box, [b for b in walk(box) if not isinstance(b, boxes.PageBox)]
