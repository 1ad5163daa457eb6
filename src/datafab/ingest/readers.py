"""Readers: a file becomes a stream of text :class:`Segment` s, in constant memory.

One reader per kind of file, chosen by suffix (:func:`reader_for`). A segment is a piece of
text (a paragraph, a record's text, a page) with where it came from. Segments of the same
``unit`` (one record of a JSONL/CSV/Parquet file, one page of a PDF, one text, HTML or
e-mail file) may be chunked together; chunks never cross units.

A file that cannot be read raises :class:`ReadError` naming the file and the line (or
record, or page) at fault.
"""

from __future__ import annotations

import codecs
import csv
import email
import email.policy
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from datafab import json_limits

TEXT_FIELDS = ("text", "content", "body", "message")
READ_BYTES = 1 << 16
csv.field_size_limit(16 * 1024 * 1024)


class ReadError(Exception):
    """A file (or one of its lines) could not be read."""

    def __init__(self, path: str, message: str, *, line: int | None = None) -> None:
        where = f"{path}, line {line}" if line is not None else path
        super().__init__(f"{where}: {message}")
        self.path, self.line, self.reason = path, line, message


@dataclass(frozen=True)
class Segment:
    """A piece of a file's text. ``start``/``end`` are character offsets within the unit."""

    text: str
    unit: int
    start: int
    end: int
    line: int | None = None
    page: int | None = None
    heading: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def record_text(record: Any, text_field: str | None) -> str:
    """The text of a structured record: ``text_field``, else the first of ``text``,
    ``content``, ``body``, ``message``, else every string value, one per line."""
    if not isinstance(record, dict):
        if isinstance(record, str):
            return record
        raise ValueError("expected a JSON object or string")
    if text_field is not None:
        if text_field not in record:
            raise ValueError(f"no field {text_field!r}")
        value = record[text_field]
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    for name in TEXT_FIELDS:
        if isinstance(record.get(name), str):
            return record[name]
    return "\n".join(f"{k}: {v}" for k, v in record.items() if isinstance(v, str))


def read_jsonl(path: Path, text_field: str | None = None) -> Iterator[Segment]:
    with path.open("rb") as f:
        for n, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            if json_limits.too_deep(raw):
                raise ReadError(str(path), f"JSON nested more than {json_limits.MAX_DEPTH} deep",
                                line=n)
            try:
                record = json.loads(raw)
                text = record_text(record, text_field)
            except UnicodeDecodeError as exc:
                raise ReadError(str(path), f"not UTF-8 ({exc.reason})", line=n) from exc
            except ValueError as exc:
                raise ReadError(str(path), f"not a JSON record ({exc})", line=n) from exc
            if text.strip():
                yield Segment(text, n, 0, len(text), line=n)


def read_csv(path: Path, text_field: str | None = None) -> Iterator[Segment]:
    with path.open(encoding="utf-8", newline="") as f:
        try:
            reader = csv.reader(f, strict=True)
            header = next(reader, None)
            if header is None:
                return
            width = len(header)
            for row in reader:
                n = reader.line_num
                if not row:
                    continue
                if len(row) != width:
                    raise ReadError(str(path), f"{len(row)} fields where the header has "
                                    f"{width}", line=n)
                try:
                    text = record_text(dict(zip(header, row, strict=True)), text_field)
                except ValueError as exc:
                    raise ReadError(str(path), str(exc), line=n) from exc
                if text.strip():
                    yield Segment(text, n, 0, len(text), line=n)
        except csv.Error as exc:
            raise ReadError(str(path), f"not valid CSV ({exc})", line=reader.line_num) from exc
        except UnicodeDecodeError as exc:
            raise ReadError(str(path), f"not UTF-8 ({exc.reason})",
                            line=reader.line_num + 1) from exc


def read_parquet(path: Path, text_field: str | None = None) -> Iterator[Segment]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several kinds
        raise ReadError(str(path), f"not a Parquet file ({exc})") from exc
    names = pf.schema_arrow.names
    if text_field is not None:
        if text_field not in names:
            raise ReadError(str(path), f"no column {text_field!r} (columns: {', '.join(names)})")
        columns: list[str] | None = [text_field]
    else:
        found = [n for n in TEXT_FIELDS if n in names]
        columns = found[:1] or None
    row = 0
    for batch in pf.iter_batches(batch_size=1024, columns=columns):
        for record in batch.to_pylist():
            row += 1
            try:
                text = record_text(record, text_field)
            except ValueError as exc:
                raise ReadError(str(path), str(exc), line=row) from exc
            if text and text.strip():
                yield Segment(text, row, 0, len(text), line=row)


def _paragraphs(lines: Iterator[tuple[int, str]], unit: int = 0) -> Iterator[Segment]:
    """Blank-line separated paragraphs of numbered lines; Markdown headings stand alone."""
    buf: list[str] = []
    first_line = start = offset = 0
    for n, line in lines:
        stripped = line.strip()
        is_heading = stripped.startswith("#") and stripped.lstrip("#").startswith(" ")
        if (not stripped or is_heading) and buf:
            text = "".join(buf).rstrip("\n")
            yield Segment(text, unit, start, start + len(text), line=first_line)
            buf = []
        if is_heading:
            yield Segment(stripped, unit, offset, offset + len(line.rstrip("\n")), line=n,
                          heading=True)
        elif stripped:
            if not buf:
                first_line, start = n, offset
            buf.append(line)
        offset += len(line)
    if buf:
        text = "".join(buf).rstrip("\n")
        yield Segment(text, unit, start, start + len(text), line=first_line)


def _utf8_lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open("rb") as f:
        for n, raw in enumerate(f, start=1):
            try:
                yield n, raw.decode("utf-8").replace("\r\n", "\n")
            except UnicodeDecodeError as exc:
                raise ReadError(str(path), f"not UTF-8 ({exc.reason})", line=n) from exc


def read_text(path: Path, text_field: str | None = None) -> Iterator[Segment]:
    return _paragraphs(_utf8_lines(path))


BLOCKS = {"p", "div", "li", "tr", "br", "section", "article", "blockquote", "pre", "table",
          "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "header", "footer", "td", "th"}
SKIPPED = {"script", "style", "noscript", "template", "head"}


class _HtmlText(HTMLParser):
    """HTML → paragraphs (block elements) and headings (h1-h6), skipping scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[Segment] = []
        self._buf: list[str] = []
        self._skip = 0
        self._heading = False
        self._line = 1
        self._offset = 0

    def _flush(self) -> None:
        text = " ".join("".join(self._buf).split())
        self._buf = []
        if text:
            start = self._offset
            self._offset += len(text) + 1
            self.out.append(Segment("# " + text if self._heading else text, 0, start,
                                    start + len(text), line=self._line, heading=self._heading))

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED:
            self._skip += 1
        elif tag in BLOCKS:
            self._flush()
            self._heading = tag[0] == "h" and tag[1:].isdigit()
            self._line = self.getpos()[0]

    def handle_endtag(self, tag):
        if tag in SKIPPED:
            self._skip = max(0, self._skip - 1)
        elif tag in BLOCKS:
            self._flush()
            self._heading = False

    def handle_data(self, data):
        if not self._skip:
            if not self._buf:
                self._line = self.getpos()[0]
            self._buf.append(data)


def read_html(path: Path, text_field: str | None = None) -> Iterator[Segment]:
    parser = _HtmlText()
    with path.open("rb") as f:
        decoder = codecs.getincrementaldecoder("utf-8")()
        line = 1
        while chunk := f.read(READ_BYTES):
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise ReadError(str(path), f"not UTF-8 ({exc.reason})", line=line) from exc
            line += text.count("\n")
            parser.feed(text)
            yield from parser.out
            parser.out.clear()
    parser.close()
    parser._flush()
    yield from parser.out


def read_pdf(path: Path, text_field: str | None = None) -> Iterator[Segment]:
    """A PDF's text, page by page: through PDFium (``pypdfium2``, the ``ingest`` extra) when
    installed, through pypdf otherwise."""
    for number, text in pdf_pages(path):
        numbered = ((i + 1, line) for i, line in enumerate(text.splitlines(keepends=True)))
        for seg in _paragraphs(numbered, unit=number):
            yield Segment(seg.text, number, seg.start, seg.end, line=seg.line, page=number,
                          heading=seg.heading)


def pdf_pages(path: Path) -> Iterator[tuple[int, str]]:
    try:
        import pypdfium2  # noqa: F401 - the ingest extra
    except ImportError:
        return _pypdf_pages(path)
    return _pdfium_pages(path)


_PDFIUM = threading.Lock()  # PDFium is not thread-safe: one document operation at a time


def _pdfium_pages(path: Path) -> Iterator[tuple[int, str]]:
    """PDFium ends lines with CR LF; they are read as LF, as pypdf gives them."""
    import pypdfium2 as pdfium

    with _PDFIUM:
        try:
            document = pdfium.PdfDocument(path)
        except (pdfium.PdfiumError, OSError) as exc:
            raise ReadError(str(path), f"not a readable PDF ({exc})") from exc
    try:
        for number in range(1, len(document) + 1):
            with _PDFIUM:
                try:
                    page = document[number - 1]
                    textpage = page.get_textpage()
                    text = textpage.get_text_range()
                    textpage.close()
                    page.close()
                except Exception as exc:  # noqa: BLE001 - a broken page, whatever PDFium says
                    raise ReadError(str(path), f"page {number} unreadable ({exc})",
                                    line=None) from exc
            yield number, text.replace("\r\n", "\n")
    finally:
        with _PDFIUM:
            document.close()


def _pypdf_pages(path: Path) -> Iterator[tuple[int, str]]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(path)
        pages = len(reader.pages)
    except (PyPdfError, ValueError, KeyError, OSError) as exc:
        raise ReadError(str(path), f"not a readable PDF ({exc})") from exc
    for number in range(1, pages + 1):
        try:
            text = reader.pages[number - 1].extract_text() or ""
        except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds on broken pages
            raise ReadError(str(path), f"page {number} unreadable ({exc})", line=None) from exc
        yield number, text


def read_eml(path: Path, text_field: str | None = None) -> Iterator[Segment]:
    """An RFC 822 message: its headers of note, its text body (the HTML one, as text, when
    there is no plain one), and its attachments listed by name, type and size."""
    with path.open("rb") as f:
        try:
            msg = email.message_from_binary_file(f, policy=email.policy.default)
        except Exception as exc:  # noqa: BLE001
            raise ReadError(str(path), f"not an e-mail message ({exc})") from exc
    if not msg.keys():
        raise ReadError(str(path), "not an e-mail message (no headers)", line=1)
    attachments = []
    for part in msg.iter_attachments() if msg.is_multipart() else ():
        payload = part.get_payload(decode=True) or b""
        attachments.append({"filename": part.get_filename() or "", "content_type":
                            part.get_content_type(), "bytes": len(payload)})
    head = "\n".join(f"{h}: {msg[h]}" for h in ("From", "To", "Cc", "Date", "Subject")
                     if msg[h] is not None)
    body_part = msg.get_body(preferencelist=("plain", "html"))
    body = ""
    if body_part is not None:
        try:
            body = body_part.get_content()
        except (LookupError, UnicodeDecodeError) as exc:
            raise ReadError(str(path), f"body unreadable ({exc})") from exc
        if body_part.get_content_type() == "text/html":
            parser = _HtmlText()
            parser.feed(body)
            parser.close()
            parser._flush()
            body = "\n\n".join(s.text for s in parser.out)
    extra = {"attachments": attachments} if attachments else {}
    if attachments:
        listed = "\n".join(f"- {a['filename']} ({a['content_type']}, {a['bytes']} bytes)"
                           for a in attachments)
        body = body.rstrip("\n") + "\n\nAttachments:\n" + listed
    text = head + "\n\n" + body
    numbered = ((i + 1, line) for i, line in enumerate(text.splitlines(keepends=True)))
    for seg in _paragraphs(numbered):
        yield Segment(seg.text, 0, seg.start, seg.end, line=seg.line, heading=seg.heading,
                      extra=extra)


READERS: dict[str, Callable[..., Iterator[Segment]]] = {
    ".jsonl": read_jsonl, ".ndjson": read_jsonl,
    ".csv": read_csv,
    ".parquet": read_parquet,
    ".txt": read_text, ".text": read_text, ".md": read_text, ".markdown": read_text,
    ".html": read_html, ".htm": read_html,
    ".pdf": read_pdf,
    ".eml": read_eml,
}


def reader_for(path: Path) -> Callable[..., Iterator[Segment]]:
    """The reader for a file, by its suffix; :class:`ReadError` for a kind Datafab cannot read."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        known = ", ".join(sorted(READERS))
        raise ReadError(str(path), f"cannot read {path.suffix or 'files without a suffix'} "
                        f"files (known: {known})")
    return reader
