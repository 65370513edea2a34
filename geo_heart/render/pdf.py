"""The planner report as a PDF (``geo-heart report --pdf``), drawn with reportlab.

reportlab is pure Python on PyPI and needs no system library at run time (WeasyPrint would need
Pango). The PDF is built from the same content as the HTML report
(:func:`geo_heart.render.report.planner_report_context`): the first page with one figure per
label, then the summary, the sections with their tables and figures, and the method notes. Text
is set in DejaVu Sans, the font matplotlib ships, so signs such as "−" and "→" print.
"""

from __future__ import annotations

import base64
import io
import logging
from html.parser import HTMLParser
from pathlib import Path

log = logging.getLogger(__name__)

_FONT = "Helvetica"
_BOLD = "Helvetica-Bold"


def _register_fonts() -> tuple[str, str]:
    """DejaVu Sans from matplotlib's package data (Helvetica when it cannot be read)."""
    global _FONT, _BOLD
    if _FONT == "DejaVuSans":
        return _FONT, _BOLD
    try:
        import matplotlib
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        base = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(base / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(base / "DejaVuSans-Bold.ttf")))
        _FONT, _BOLD = "DejaVuSans", "DejaVuSans-Bold"
    except Exception as exc:  # a font problem must not stop the report
        log.warning("DejaVu Sans not found (%s): using Helvetica", exc)
    return _FONT, _BOLD


class _Tables(HTMLParser):
    """Rows of every ``<table>`` in trusted report HTML (caption kept), and its other text."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self.text: list[str] = []
        self._cell: list[str] | None = None
        self._row: list[tuple[str, bool]] | None = None
        self._caption: list[str] | None = None
        self._header = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "caption":
            self._caption = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell, self._header = [], tag == "th"
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag):
        if tag == "caption" and self._caption is not None and self.tables:
            self.tables[-1]["caption"] = " ".join("".join(self._caption).split())
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append((" ".join("".join(self._cell).split()), self._header))
            self._cell = None
        elif tag == "tr" and self._row is not None and self.tables:
            if self._row:
                self.tables[-1]["rows"].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._caption is not None:
            self._caption.append(data)
        elif self._cell is not None:
            self._cell.append(data)
        elif not self.tables or self._row is None:
            if data.strip():
                self.text.append(data.strip())


def _styles():
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet

    font, bold = _register_fonts()
    base = getSampleStyleSheet()
    s = {
        "title": ParagraphStyle(
            "t",
            parent=base["Title"],
            fontName=bold,
            fontSize=17,
            leading=21,
            alignment=0,
            spaceAfter=4,
        ),  # fmt: skip
        "sub": ParagraphStyle(
            "s",
            fontName=font,
            fontSize=8.5,
            leading=11,
            textColor=colors.HexColor("#555555"),
            spaceAfter=10,
        ),  # fmt: skip
        "h2": ParagraphStyle(
            "h2",
            fontName=bold,
            fontSize=12.5,
            leading=16,
            spaceBefore=10,
            spaceAfter=4,
            textColor=colors.HexColor("#222222"),
        ),  # fmt: skip
        "body": ParagraphStyle("b", fontName=font, fontSize=8.8, leading=11.8, spaceAfter=4),
        "bullet": ParagraphStyle(
            "bl",
            fontName=font,
            fontSize=8.8,
            leading=11.5,
            leftIndent=10,
            bulletIndent=0,
            spaceAfter=2,
        ),  # fmt: skip
        "note": ParagraphStyle(
            "n",
            fontName=font,
            fontSize=7.4,
            leading=9.5,
            textColor=colors.HexColor("#555555"),
            spaceAfter=4,
        ),  # fmt: skip
        "cell": ParagraphStyle("c", fontName=font, fontSize=7.2, leading=8.8),
        "head": ParagraphStyle("h", fontName=bold, fontSize=7.2, leading=8.8),
        "label": ParagraphStyle("l", fontName=bold, fontSize=10, leading=13),
        "value": ParagraphStyle(
            "v", fontName=bold, fontSize=12, leading=15, textColor=colors.HexColor("#a63603")
        ),  # fmt: skip
        "caveat": ParagraphStyle(
            "cv", fontName=font, fontSize=7.8, leading=10, textColor=colors.HexColor("#555555")
        ),  # fmt: skip
        "caption": ParagraphStyle("cp", fontName=bold, fontSize=8.2, leading=10, spaceAfter=2),
    }
    return s


def _p(text: str, style):
    from xml.sax.saxutils import escape

    from reportlab.platypus import Paragraph

    return Paragraph(escape(str(text)), style)


def _table(rows: list[list[tuple[str, bool]]], width: float, st) -> object:
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    ncol = max(len(r) for r in rows)
    rows = [r + [("", False)] * (ncol - len(r)) for r in rows]
    cols = list(zip(*rows, strict=True))
    # each column at least as wide as its longest word (numbers never break), the rest shared
    # by the length of its text
    # points per character at the table's 7.2 pt size (bold header words are wider)
    char, bold = 4.3, 5.0
    words = [
        max((len(w) * (bold if h else char) for t, h in col for w in t.split()), default=char)
        for col in cols
    ]
    wants = [max(min(len(c[0]), 42) for c in col) for col in cols]
    floor = [min(w + 8, width * 0.45) for w in words]
    spare = max(width - sum(floor), 0)
    extra = [max(want * char + 8 - f, 0) for want, f in zip(wants, floor, strict=True)]
    total = sum(extra) or 1
    widths = [f + spare * e / total for f, e in zip(floor, extra, strict=True)]
    scale = width / sum(widths)
    widths = [w * scale for w in widths]
    data = [[_p(t, st["head"] if h else st["cell"]) for t, h in r] for r in rows]
    head_rows = sum(1 for r in rows if all(h for _t, h in r if _t))
    t = Table(data, colWidths=widths, repeatRows=min(head_rows, 1))
    style = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#dddddd")),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if head_rows:
        style.append(("BACKGROUND", (0, 0), (-1, head_rows - 1), colors.HexColor("#f1f1f1")))
    t.setStyle(TableStyle(style))
    return t


def _image(src: str, width: float, max_height: float):
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import Image

    if not src or not src.startswith("data:image/png;base64,"):
        return None
    raw = base64.b64decode(src.split(",", 1)[1])
    w, h = ImageReader(io.BytesIO(raw)).getSize()
    scale = min(width / w, max_height / h)
    return Image(io.BytesIO(raw), width=w * scale, height=h * scale)


def _html_flowables(html: str, width: float, st) -> list:
    parser = _Tables()
    parser.feed(html)
    out: list = []
    for t in parser.tables:
        if t["caption"]:
            out.append(_p(t["caption"], st["caption"]))
        if t["rows"]:
            out.append(_table(t["rows"], width, st))
    if not parser.tables and parser.text:
        out.append(_p(" ".join(parser.text), st["body"]))
    return out


def report_flowables(context: dict, width: float, height: float) -> list:
    """The report as reportlab flowables (first page, then the rest)."""
    from reportlab.platypus import CondPageBreak, KeepTogether, PageBreak, Spacer, Table, TableStyle

    st = _styles()
    story: list = [
        _p(context["title"], st["title"]),
        _p(
            f"{context['area']} · data period {context['period']} · generated "
            f"{context['generated']} by geo-heart",
            st["sub"],
        ),
    ]
    first = context.get("first_page") or []
    if first:
        story.append(_p("At a glance", st["h2"]))
        rows = []
        for r in first:
            rows.append([_p(r["label"], st["label"]), _p(r["value"], st["value"])])
            rows.append(["", _p(r.get("caveat", ""), st["caveat"])])
        from reportlab.lib import colors

        t = Table(rows, colWidths=[width * 0.34, width * 0.66])
        style = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 2)]
        for i in range(1, len(rows), 2):
            style.append(("LINEBELOW", (0, i), (-1, i), 0.4, colors.HexColor("#cccccc")))
            style.append(("BOTTOMPADDING", (0, i), (-1, i), 7))
        t.setStyle(TableStyle(style))
        story += [t, PageBreak()]
    story.append(_p("Summary", st["h2"]))
    for s in context.get("summary", []):
        story.append(_p(s, st["bullet"]))
        story[-1].bulletText = "•"
    story.append(_p("Headline numbers", st["h2"]))
    story.append(
        _table(
            [
                [(r["label"], True), (r["value"], False), (r.get("caveat", ""), False)]
                for r in context.get("headline", [])
            ],
            width,
            st,
        )
    )
    for sec in context.get("sections", []):
        story.append(CondPageBreak(height * 0.25))
        block = [_p(sec["title"], st["h2"])]
        if sec.get("intro"):
            block.append(_p(sec["intro"], st["body"]))
        story.append(KeepTogether(block))
        if sec.get("html"):
            story += _html_flowables(sec["html"], width, st)
        for t in sec.get("tables") or []:
            story += _html_flowables(t["html"], width, st)
            if t.get("note"):
                story.append(_p(t["note"], st["note"]))
        for f in sec.get("figures") or []:
            img = _image(f.get("src", ""), width, height * 0.42)
            if img is not None:
                story.append(KeepTogether([img, _p(f.get("caption", ""), st["note"])]))
        for n in sec.get("notices") or []:
            story.append(_p(n, st["body"]))
        story.append(Spacer(1, 4))
    story.append(CondPageBreak(height * 0.2))
    story.append(_p("Method and caveats", st["h2"]))
    for n in context.get("notes", []):
        story.append(_p(n, st["note"]))
    story.append(_p(f"Source: {context.get('source', '')}.", st["note"]))
    return story


def report_pdf(context: dict, path: str | Path) -> Path:
    """Write the report ``context`` as an A4 PDF at ``path`` (atomically); return the path."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    from geo_heart.io.files import atomic_write

    path = Path(path)
    font, _bold = _register_fonts()

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(font, 7)
        canvas.setFillGray(0.4)
        canvas.drawString(14 * mm, 8 * mm, f"{context['title']}")
        canvas.drawRightString(A4[0] - 14 * mm, 8 * mm, f"page {doc.page}")
        canvas.restoreState()

    with atomic_write(path) as tmp:
        doc = SimpleDocTemplate(
            str(tmp),
            pagesize=A4,
            leftMargin=14 * mm,
            rightMargin=14 * mm,
            topMargin=13 * mm,
            bottomMargin=15 * mm,
            title=context["title"],
            author="geo-heart",
        )
        story = report_flowables(context, doc.width, doc.height)
        doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return path
