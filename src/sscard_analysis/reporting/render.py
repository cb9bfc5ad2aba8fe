"""Run a report notebook and publish it as HTML, PDF, Excel and Word.

papermill executes the parameterized notebook (unknown parameter names are
an error here, papermill only warns); its outputs (HTML fragments of the
section functions) and markdown headings become one flat page without code,
with numbered headings, a table of contents and print CSS; WeasyPrint turns
that HTML into an A4 PDF with the CJK font embedded; python-docx writes the
same page as a Word document (:mod:`.word`); xlsxwriter writes the
workbook. Everything is written to a temporary folder (``.tmp-<pid>-…`` in
the output folder; those of dead runs are removed by the next run) and moved
into place only when every format succeeded: a failed run publishes nothing
and keeps the executed notebook, with its error, under ``reports/_failed/``
for diagnosis.

Every page is scrubbed (ID and phone patterns masked, whatever the column
they came from), so the HTML, the PDF and the Word document made from it
carry none. The published report is recorded in the manifest with its
fingerprint and formats (:mod:`.manifest`).
"""

from __future__ import annotations

import gc
import html
import os
import re
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from pathlib import Path

# nbformat validates with jsonschema, which compiles some forty lark grammars at import when the optional
# rfc3987-syntax package is present (a jupyter-server extra): about 4 s of every `sscard report`. Notebook
# validation never checks IRI formats, so this process does without that checker.
sys.modules.setdefault("rfc3987_syntax", None)

import nbformat  # noqa: E402

from ..config import PROJ_ROOT, cache_dir, load_settings, pid_alive, report_notebooks_dir
from ..dates.periods import check_period, parse_period
from ..ingest.cache import private_dir
from ..privacy import scrub_text
from .context import KINDS, build_context, hand_over, report_filename
from .kernels import KERNEL_ARGS, KernelLink, kernel, take_prestarted
from .manifest import (  # noqa: F401 - read_manifest and MANIFEST are part of this module's interface
    MANIFEST,
    Published,
    ReportError,
    ReportInputs,
    read_manifest,
    record_manifest,
    require_ledgers,
)

FORMATS = ("html", "pdf", "xlsx", "docx")  # every format a report is published in (the one list; run-due makes them all)
TMP_PREFIX = ".tmp-"


def notebook_path(kind: str) -> Path:
    """The template of a kind of report (found through :func:`..config.report_notebooks_dir`)."""
    return report_notebooks_dir() / f"{kind}.ipynb"


def template(kind: str) -> bytes:
    """The template of a kind of report, as bytes (part of every report's fingerprint)."""
    path = notebook_path(kind)
    try:
        return path.read_bytes()
    except OSError:
        raise ReportError(f"找不到报告模板 {path}（可用环境变量 SSCARD_REPORT_NOTEBOOKS 指向模板文件夹）") from None


def parse_formats(formats: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The requested formats, checked: ``"html,pdf"`` or a sequence; duplicates dropped, order of :data:`FORMATS`.

    Raises ReportError for an empty list (``--format ","`` would publish
    nothing) or an unknown format.
    """
    items = formats.split(",") if isinstance(formats, str) else list(formats)
    wanted = [f.strip().lower() for f in items if f and f.strip()]
    if not wanted:
        raise ReportError(f"没有指定输出格式；可用 {','.join(FORMATS)}")
    bad = [f for f in wanted if f not in FORMATS]
    if bad:
        raise ReportError(f"未知格式 {', '.join(bad)}；可用 {', '.join(FORMATS)}")
    return tuple(f for f in FORMATS if f in wanted)


def prepare_out_dir(out_dir: Path) -> None:
    """Create the output folder and make sure it can be written (ReportError in one line otherwise)."""
    try:
        if out_dir.exists() and not out_dir.is_dir():
            raise ReportError(f"--out {out_dir}: 是一个文件，不是文件夹")
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=out_dir, prefix=TMP_PREFIX + f"{os.getpid()}-probe-")
        probe.close()
    except ReportError:
        raise
    except OSError as exc:
        raise ReportError(f"--out {out_dir}: 无法写入（{exc.strerror or exc}）") from None


def clean_stale_tmp(out_dir: Path, older_than_s: float = 24 * 3600) -> list[Path]:
    """Remove the ``.tmp-<pid>-…`` folders of runs whose process is gone (a killed ``report``).

    A folder named without a process id (an older version) is removed once
    it is a day old. Returns the folders removed.
    """
    removed = []
    for path in Path(out_dir).glob(TMP_PREFIX + "*"):
        m = re.match(re.escape(TMP_PREFIX) + r"(\d+)-", path.name)
        stale = (not pid_alive(int(m[1]))) if m else (time.time() - path.stat().st_mtime > older_than_s)
        if stale and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def notebook_parameters(path: Path) -> list[str]:
    """Names assigned in the cell tagged ``parameters``."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            names = re.findall(r"^(\w+)\s*(?::[^=]+)?=", cell.source, re.M)
            return names
    raise ReportError(f"{path.name}: 没有标记为 parameters 的单元格")


def check_parameters(path: Path, params: dict) -> None:
    """Refuse parameter names the notebook does not declare (papermill would only warn)."""
    known = notebook_parameters(path)
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ReportError(f"{path.name}: 未知参数 {', '.join(unknown)}；可用参数: {', '.join(known)}")


def handover_path() -> Path:
    """A new file name for a context handed to the kernel; leftovers of runs whose process is gone are deleted.

    The folder is ``handover/`` in the parse cache (:func:`..config.cache_dir`, private to the user): the
    file holds the data as read, as the parsed files there do, and lives only until the kernel has read it.
    """
    folder = cache_dir() / "handover"
    private_dir(folder)
    for old in folder.glob("*.pkl"):
        pid = old.name.split("-", 1)[0]
        if not (pid.isdigit() and pid_alive(int(pid))):
            old.unlink(missing_ok=True)
    return folder / f"{os.getpid()}-{os.urandom(6).hex()}.pkl"


def _fingerprint(ctx, notebook: bytes) -> tuple[ReportInputs, str]:
    """The report's inputs and fingerprint (every accepted row hashed: ≈ 0.2 s, in a side thread)."""
    inputs = ReportInputs(ctx.ds)
    return inputs, inputs.fingerprint(ctx.kind, ctx.period, notebook)


def _import_runner() -> None:
    """Load papermill (≈ 0.2 s) while the kernel starts, not when the notebook is due to run."""
    import papermill  # noqa: F401


def _preload(formats) -> None:
    """Import the PDF writer ahead of use (the renderer waits on the kernel meanwhile).

    It also prints a one-line page once: its first page pays for loading the
    fonts and the style sheet (≈ 0.5 s), which the report's own PDF then does
    not.
    """
    import mistune  # noqa: F401

    if "pdf" in formats:
        from weasyprint import HTML

        HTML(string=page_html("<h2>社保卡</h2><table><tr><td>1</td></tr></table>", "")).write_pdf()


def execute(kind: str, params: dict, out: Path, kernel_name: str = "python3", km=None) -> nbformat.NotebookNode:
    """Execute the report notebook with papermill into ``out`` (raises ReportError on failure).

    With ``km`` (from :func:`kernel`) the notebook runs in that already running kernel.
    """
    import papermill as pm

    src = notebook_path(kind)
    check_parameters(src, params)
    extra = {"km": km} if km is not None else {"extra_arguments": KERNEL_ARGS}
    try:  # saved once at the end (or with its error), not after every cell: a report's notebook is ~1 MB of charts
        return pm.execute_notebook(str(src), str(out), parameters=params, kernel_name=kernel_name, progress_bar=False,
                                   cwd=str(PROJ_ROOT), log_output=False, request_save_on_cell_execute=False, **extra)
    except pm.PapermillExecutionError as exc:
        raise ReportError(f"{src.name} 执行失败（{exc.ename}: {str(exc.evalue)[:200]}）") from None


PAGE_CSS = """
@page { size: A4; margin: 18mm 16mm 16mm 16mm;
        @bottom-center { content: "第 " counter(page) " 页，共 " counter(pages) " 页"; font-size: 8pt; color: #666; } }
html { font-family: "Noto Sans CJK SC", "Noto Sans SC", sans-serif; font-size: 10pt; color: #222; line-height: 1.5; }
body { margin: 0 auto; max-width: 1100px; padding: 0 12px; }
@media print { body { max-width: none; padding: 0; } }
h1 { font-size: 22pt; margin: 4mm 0 1mm; color: #16325c; text-align: center; letter-spacing: 1px; }
h2 { font-size: 14pt; color: #16325c; border-bottom: 2px solid #1f5aa6; padding-bottom: 2px; margin: 18px 0 6px; break-after: avoid; }
h3 { font-size: 11.5pt; color: #16325c; margin: 12px 0 4px; break-after: avoid; }
h4 { font-size: 10.5pt; margin: 10px 0 4px; break-after: avoid; }
.cover { border-top: 3px solid #b02020; border-bottom: 1px solid #b02020; padding: 2mm 0 3mm; margin: 0 0 4mm; }
.cover .subtitle { text-align: center; font-size: 13pt; margin: 0 0 3mm; color: #16325c; }
table.notice { width: auto; margin: 0 auto 2mm; font-size: 10pt; border: none; }
table.notice th, table.notice td { border: none; background: none; padding: 1px 8px; white-space: nowrap; }
table.notice th { color: #555; font-weight: normal; text-align: right; }
.meta { color: #555; font-size: 8.5pt; margin: 2px 0; text-align: center; }
nav.toc { font-size: 9.5pt; margin: 0 0 4mm; padding: 0 12mm; }
nav.toc .toc-title { font-weight: bold; font-size: 11pt; margin: 0 0 1mm; text-align: center; }
nav.toc ol { list-style: none; margin: 0; padding: 0; columns: 2; column-gap: 10mm; }
nav.toc li { margin: 0; break-inside: avoid; }
nav.toc a { color: #16325c; text-decoration: none; }
nav.toc a::after { content: leader(".") target-counter(attr(href), page); }
table { border-collapse: collapse; margin: 4px 0 10px; font-size: 8.5pt; width: 100%; break-inside: auto; }
table.keep { break-inside: avoid; }
table.headline { width: 100%; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th { background: #dde6f3; text-align: left; font-weight: bold; vertical-align: bottom; }
th, td { border: 1px solid #c9d3e0; padding: 2px 4px; vertical-align: top; }
.nw { white-space: nowrap; }
td.num { text-align: right; white-space: nowrap; }
td.status, td.date { white-space: nowrap; }
table.late th { white-space: nowrap; }
table.indicators { font-size: 8pt; }
table.indicators th, table.indicators td { padding: 2px 3px; }
table.indicators td.num { white-space: normal; }
table.indicators td:nth-child(2) { min-width: 6em; }
table.indicators td.text { min-width: 9em; }
td.status.ok { color: #1e7b3c; font-weight: bold; } td.status.warn { color: #a06800; font-weight: bold; }
td.status.bad { color: #b02020; font-weight: bold; } td.status.na { color: #777; }
figure { margin: 4px 0 8px; break-inside: avoid; } figure img { max-width: 100%; max-height: 125mm; }
.note, .nodata { color: #666; font-size: 8.5pt; }
p.lead { break-after: avoid; }
ol.findings li { margin-bottom: 6px; }
.d { white-space: nowrap; }
pre { white-space: pre-wrap; font-size: 8pt; }
"""

_ZH_DIGITS = "零一二三四五六七八九"


def zh_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 11 → 十一, 21 → 二十一 (section numbers)."""
    if n < 10:
        return _ZH_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _ZH_DIGITS[tens]) + "十" + ("" if ones == 0 else _ZH_DIGITS[ones])


_NUMBERED = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+[.．、])\s*")
# Chinese dates (a line may break between a digit and 月 or 日); ISO dates never break, they need no help.
_DATE = re.compile(r"(?:\d{4}年)?\d{1,2}月\d{1,2}日(?:—\d{1,2}(?:月\d{1,2})?日)?|\d{4}年第?\d{1,2}(?:月|周)")


def _keep_dates_whole(body: str) -> str:
    """Dates in text never break across lines (``5月6日`` stays on one line): each is wrapped in a nowrap span."""
    parts = re.split(r"(<[^>]+>)", body)
    inside = None
    for i, part in enumerate(parts):
        if part.startswith("<"):
            tag = re.match(r"</?(\w+)", part)
            if tag and tag.group(1).lower() in ("style", "script", "title"):
                inside = None if part.startswith("</") else tag.group(1).lower()
            continue
        if part and inside is None:
            parts[i] = _DATE.sub(lambda m: f'<span class="d">{m.group(0)}</span>', part)
    return "".join(parts)


def page_html(body: str, title: str) -> str:
    """A standalone page: numbered headings, a table of contents with page numbers, print CSS. No scripts.

    Sections are numbered as the office numbers them: ``一、`` for each
    ``<h2>`` (except ``class="unnumbered"``), ``（一）`` for an ``<h3>`` inside a
    section and ``1.`` for an ``<h4>``; a number already written in the heading
    is replaced. The table of contents (numbered sections, each with its page
    in the PDF via ``target-counter``) follows the cover block, or opens the page.
    """
    body = re.sub(r'<a class="anchor-link"[^>]*>.*?</a>', "", body, flags=re.S)
    body = re.sub(r"<!--.*?-->", "", body, flags=re.S)
    heads: list[tuple[str, str]] = []
    count = {2: 0, 3: 0, 4: 0}

    def number(m: re.Match) -> str:
        level, attrs, inner = int(m.group(1)), m.group(2), m.group(3)
        if "unnumbered" in attrs or (level > 2 and count[level - 1] == 0):
            return m.group(0)
        count[level] += 1
        for deeper in range(level + 1, 5):
            count[deeper] = 0
        text = _NUMBERED.sub("", inner.strip(), count=1)
        prefix = {2: f"{zh_numeral(count[2])}、", 3: f"（{zh_numeral(count[3])}）", 4: f"{count[4]}. "}[level]
        anchor = f"sec-{count[2]}" + (f"-{count[3]}" if level >= 3 else "") + (f"-{count[4]}" if level == 4 else "")
        if level == 2:
            heads.append((anchor, prefix + re.sub(r"<[^>]+>", "", text)))
        attrs = re.sub(r'\s*id="[^"]*"', "", attrs)
        return f'<h{level}{attrs} id="{anchor}">{prefix}{text}</h{level}>'

    body = re.sub(r"<h([234])\b([^>]*)>(.*?)</h\1>", number, body, flags=re.S)
    toc = "".join(f'<li><a href="#{a}">{html.escape(text)}</a></li>' for a, text in heads)
    nav = f'<nav class="toc"><p class="toc-title">目　录</p><ol>{toc}</ol></nav>' if toc else ""
    if '<div class="cover">' in body:  # the table of contents goes right after the cover block
        start = body.index('<div class="cover">')
        depth, pos = 0, start
        for m in re.finditer(r"<(/?)div\b[^>]*>", body[start:]):
            depth += -1 if m.group(1) else 1
            if depth == 0:
                pos = start + m.end()
                break
        body = body[:pos] + nav + body[pos:]
    else:
        body = nav + body
    body = _keep_dates_whole(body)
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"/><title>{html.escape(title)}</title>'
            f"<style>{PAGE_CSS}</style></head><body>{body}</body></html>")


def notebook_body(nb: nbformat.NotebookNode) -> str:
    """The executed notebook as flat HTML: markdown and the cells' outputs in order, no code, prompts or stderr.

    Each section function returns HTML (``text/html``); a plain image output
    becomes a figure and printed text a ``<pre>``. No wrapper elements are
    kept, so headings, paragraphs, tables and figures are siblings (page
    breaks can keep a heading with what follows, and the Word writer reads
    the same sequence).
    """
    import mistune

    parts = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            parts.append(mistune.html(cell.source))
            continue
        if cell.cell_type != "code":
            continue
        for o in cell.get("outputs", []):
            kind = o.get("output_type")
            if kind in ("execute_result", "display_data"):
                data = o.get("data", {})
                if "text/html" in data:
                    parts.append(_text(data["text/html"]))
                elif "image/png" in data:
                    parts.append(f'<figure><img alt="" src="data:image/png;base64,{_text(data["image/png"]).strip()}"/></figure>')
                elif "text/plain" in data:
                    parts.append(f"<pre>{html.escape(_text(data['text/plain']))}</pre>")
            elif kind == "stream" and o.get("name") == "stdout":
                parts.append(f"<pre>{html.escape(_text(o.get('text', '')))}</pre>")
    return "\n".join(parts)


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def scrub_page(page: str) -> str:
    """Mask ID and phone patterns in every text of a page (images in ``data:`` URIs are left alone)."""
    parts = re.split(r"(data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+)", page)
    return "".join(p if i % 2 else scrub_text(p) for i, p in enumerate(parts))


def to_html(nb: nbformat.NotebookNode, title: str) -> str:
    """The executed notebook as a standalone page without code, prompts, scripts or stderr streams, scrubbed."""
    return scrub_page(page_html(notebook_body(nb), title))


def to_pdf(page: str, out: Path) -> None:
    """A4 PDF with embedded font subsets (WeasyPrint); the table of contents gets its page numbers here."""
    from weasyprint import HTML

    HTML(string=page, base_url=str(PROJ_ROOT)).write_pdf(str(out))


def write_excel(ctx, out: Path) -> None:
    """The workbook written by this process (no kernel, or one that could not write it)."""
    from .workbook import write_workbook  # loads the analysis code behind the sheets

    write_workbook(ctx, out)


def _outputs_in_kernel(link: KernelLink, page_file: Path, docx: Path | None, xlsx: Path | None, title: str,
                       author: str) -> bool:
    """The Word copy, then the workbook, written by the kernel (idle once the notebook ran, its analyses at hand)
    while this process prints the PDF. False when the kernel could not write the workbook (this process then does)."""
    if docx is not None:
        link.write_docx(page_file, docx, title, author)
    if xlsx is None:
        return True
    try:
        link.write_workbook(xlsx)
    except ReportError as exc:
        if getattr(exc, "still_running", False):  # it may still be writing that file: no second writer
            raise
        return False
    return True


def run_report(kind: str, period: str, data_dir: str | Path, out_dir: str | Path, formats: tuple[str, ...] | str = FORMATS,
               as_of: str | None = None, kernel_name: str = "python3", manifest: bool = True, km=None) -> Published:
    """Produce one report in every requested format, published atomically under ``out_dir/<period>/``.

    The period label is normalised and must fit the kind (a 月报 is about a
    month); an empty format list and a data folder without any ledger are
    refused. With ``manifest`` the report is recorded in
    ``out_dir/manifest.json`` as soon as it is published.
    """
    if kind not in KINDS:
        raise ReportError(f"报告类型应为 {', '.join(KINDS)} 之一")
    formats = parse_formats(formats)
    template(kind)
    out_dir = Path(out_dir)
    data_dir = Path(data_dir).resolve()
    settings = load_settings(data_dir)
    check_period(parse_period(period, settings, as_of or None), settings, kind)
    prepare_out_dir(out_dir)
    clean_stale_tmp(out_dir)
    side = ThreadPoolExecutor(3)  # imports, fingerprint, workbook, PDF warm-up, Word copy, beside this thread's work
    own_kernel = link = None
    if {"html", "pdf", "docx"} & set(formats):
        if km is None:  # the kernel ``sscard`` started as its first step, or one started now: it loads while the data is read
            taken = take_prestarted(kernel_name)
            if taken is not None:
                own_kernel, km, link = taken
            else:
                own_kernel = kernel(kernel_name)
                km = own_kernel.__enter__()
        if link is None:
            try:
                link = KernelLink(km)  # asks for the warm-up at once
            except BaseException:
                if own_kernel is not None:
                    own_kernel.__exit__(None, None, None)
                raise
    tmp = handover = None
    frozen = False
    try:
        ctx = build_context(kind, period, data_dir, as_of)  # also reads the data
        require_ledgers(ctx.ds)
        if link is not None:  # the kernel waits for it: first thing, and before the workbook's thread adds to ctx
            handover = handover_path()
            hand_over(ctx, data_dir, as_of, handover)
        # What is loaded now (libraries, the data) stays to the end of the report: taken out of the garbage
        # collector's view, its full collections no longer walk it (the PDF's layout was ≈ 0.4 s slower).
        gc.freeze()
        frozen = True
        label = ctx.period.label
        params = {"period": label, "data_dir": str(data_dir), "as_of": as_of or ""}
        if link is not None:
            side.submit(_import_runner)
        fingerprinting = side.submit(_fingerprint, ctx, template(kind))  # needed only to publish
        final_dir = out_dir / label
        tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{os.getpid()}-", dir=out_dir))
        executed = tmp / report_filename(kind, label, "ipynb")
        files = []
        nb = None
        xlsx = tmp / report_filename(kind, label, "xlsx") if "xlsx" in formats else None
        excel = side.submit(write_excel, ctx, xlsx) if xlsx is not None and link is None else None
        if {"html", "pdf", "docx"} & set(formats):
            link.give_context(handover)  # queued after the warm-up, before the notebook
            preload = side.submit(_preload, formats)  # while the kernel works, this process is idle
            switch = sys.getswitchinterval()
            # The event loop talking to the kernel shares this process with the workbook and PDF warm-up threads; at
            # the default 5 ms switch interval every cell's messages wait for them (≈ 0.7 s over a report's cells).
            sys.setswitchinterval(0.0005)
            try:
                nb = execute(kind, params, executed, kernel_name, km)
            except ReportError:
                failed = out_dir / "_failed"
                failed.mkdir(exist_ok=True)
                if executed.exists():
                    shutil.copy2(executed, failed / executed.name)
                raise
            finally:
                sys.setswitchinterval(switch)
            futures_wait([preload])  # never two PDF renders at once; a failed warm-up shows again in the real one
            page = to_html(nb, ctx.title)
            page_file = tmp / report_filename(kind, label, "html")
            page_file.write_text(page, encoding="utf-8")
            if "html" in formats:
                files.append(page_file.name)
            docx = tmp / report_filename(kind, label, "docx") if "docx" in formats else None
            in_kernel = side.submit(_outputs_in_kernel, link, page_file, docx, xlsx, ctx.title, ctx.ds.settings.report_author)
            if "pdf" in formats:
                to_pdf(page, tmp / report_filename(kind, label, "pdf"))
                files.append(report_filename(kind, label, "pdf"))
            if not in_kernel.result() and xlsx is not None:
                write_excel(ctx, xlsx)
            if docx is not None:
                files.append(docx.name)
        if excel is not None:
            excel.result()
        if xlsx is not None:
            files.append(xlsx.name)
        inputs, fingerprint = fingerprinting.result()
        final_dir.mkdir(parents=True, exist_ok=True)
        published = []
        for name in files:
            os.replace(tmp / name, final_dir / name)
            published.append(final_dir / name)
        result = Published(kind, label, published, fingerprint, params, formats, inputs.input_files(ctx.period))
        if manifest:
            record_manifest(out_dir, result)
        return result
    finally:
        if handover is not None:  # first: it holds the data as read
            handover.unlink(missing_ok=True)
        if link is not None:
            link.abandon()  # a side thread still waiting on the kernel returns at once
        side.shutdown(wait=True, cancel_futures=True)
        if frozen:
            gc.unfreeze()  # a run of reports in one process (run-due) frees each report's data
        if link is not None:
            link.close()
        if own_kernel is not None:
            own_kernel.__exit__(None, None, None)
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
