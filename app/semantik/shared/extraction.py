"""Plain text out of the document types Semantik indexes: txt, md, html, pdf, docx, eml.

Anything else raises :class:`UnsupportedDocument` with a reason recorded on the file;
a file that should be readable but is not (corrupt PDF, broken zip) raises :class:`ExtractionError`.
Pure functions reading one file each: the webui job runner calls them in a thread pool.
"""

from __future__ import annotations

import email
import email.policy
import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

TEXT_SUFFIXES = {".txt", ".text", ".log", ".csv", ".rst"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
SUPPORTED_SUFFIXES = (
    TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | {".pdf", ".docx", ".eml"}
)


class ExtractionError(Exception):
    """A supported file whose content could not be read (corrupt, encrypted, empty...)."""


class UnsupportedDocument(ExtractionError):
    """A file type Semantik does not index; the message says why."""


@dataclass(frozen=True)
class ExtractedDocument:
    text: str
    kind: str
    # HTML <title>, Markdown's first heading, PDF/DOCX metadata, e-mail subject; else first line.
    title: str | None = None


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED_SUFFIXES


def _decode(data: bytes) -> str:
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ExtractionError("looks like a binary file (NUL bytes), not text")
    for encoding in ("utf-8-sig", "utf-16") if data.startswith((b"\xff\xfe", b"\xfe\xff")) else (
        "utf-8-sig",
    ):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    # Latin-1 never fails; old Windows/ISO files are the common case after UTF-8.
    return data.decode("cp1252", errors="replace")


_WS_RUN = re.compile(r"[ \t\f\v\r]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def normalise_whitespace(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(_WS_RUN.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


class _HTMLText(HTMLParser):
    """Visible text of an HTML page: skips script/style/head, keeps block boundaries as newlines."""

    _SKIP = {"script", "style", "noscript", "template", "svg", "head"}
    _BLOCK = {
        "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
        "section", "article", "header", "footer", "pre", "blockquote", "hr", "dd", "dt",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: str | None = None
        self._skip_depth = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag in self._SKIP:
            self._skip_depth += 1
        if tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in self._SKIP and self._skip_depth:
            self._skip_depth -= 1
        if tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title = (self.title or "") + data.strip()
        elif not self._skip_depth:
            self.parts.append(data)


def html_to_text(markup: str) -> tuple[str, str | None]:
    parser = _HTMLText()
    parser.feed(markup)
    parser.close()
    text = normalise_whitespace("".join(parser.parts))
    title = parser.title
    if title and not text.startswith(title):
        text = f"{title}\n\n{text}" if text else title
    return text, title


_MD_NOISE = [
    (re.compile(r"^```.*$", re.M), ""),  # fence lines; the code inside stays searchable
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images -> alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # links -> link text
    (re.compile(r"^\s{0,3}#{1,6}\s*", re.M), ""),  # heading marks
    (re.compile(r"^\s{0,3}>\s?", re.M), ""),  # block quotes
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), r"\1"),
    (re.compile(r"`([^`]+)`"), r"\1"),
]


_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$|^(.+)\n\s{0,3}(?:=+|-+)\s*$", re.M)
# Longest title kept; a first line longer than this is a paragraph, cut at a word.
MAX_TITLE_CHARS = 200


def markdown_title(source: str) -> str | None:
    """The first heading (ATX ``# Title`` or setext ``Title`` over ``===``), as plain text."""
    without_code = re.sub(r"^```.*?^```", "", source, flags=re.M | re.S)
    match = _MD_HEADING.search(without_code)
    if not match:
        return None
    return markdown_to_text(match.group(1) or match.group(2)) or None


def first_line_title(text: str) -> str | None:
    """The first non-empty line, cut at a word boundary when it is long."""
    for line in text.split("\n"):
        line = line.strip()
        if line:
            if len(line) <= MAX_TITLE_CHARS:
                return line
            cut = line.rfind(" ", 0, MAX_TITLE_CHARS)
            return line[: cut if cut > MAX_TITLE_CHARS // 2 else MAX_TITLE_CHARS] + "…"
    return None


def markdown_to_text(source: str) -> str:
    for pattern, replacement in _MD_NOISE:
        source = pattern.sub(replacement, source)
    return normalise_whitespace(source)


def _pdf_text(path: Path) -> tuple[str, str | None]:
    from pypdf import PdfReader  # imported lazily: only jobs that meet a PDF pay for it
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise ExtractionError("encrypted PDF: cannot read without its password")
        pages = [page.extract_text() or "" for page in reader.pages]
        title = reader.metadata.title if reader.metadata else None
    except ExtractionError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ExtractionError(f"unreadable PDF: {exc}") from exc
    return normalise_whitespace("\n\n".join(pages)), title


def _docx_text(path: Path) -> tuple[str, str | None]:
    import zipfile

    import docx  # python-docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ExtractionError(f"unreadable DOCX: {exc}") from exc
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    title = document.core_properties.title or None
    return normalise_whitespace("\n".join(parts)), title


def _eml_text(data: bytes) -> tuple[str, str | None]:
    message = email.message_from_bytes(data, policy=email.policy.default)
    headers = [
        f"{name}: {message[name]}" for name in ("From", "To", "Date", "Subject") if message[name]
    ]
    body_part = message.get_body(preferencelist=("plain", "html"))
    body = ""
    if body_part is not None:
        try:
            content = body_part.get_content()
        except (LookupError, ValueError) as exc:
            raise ExtractionError(f"unreadable e-mail body: {exc}") from exc
        body = html_to_text(content)[0] if body_part.get_content_type() == "text/html" else content
    subject = str(message["Subject"]) if message["Subject"] else None
    return normalise_whitespace("\n".join(headers) + "\n\n" + body), subject


def extract(path: Path, max_bytes: int | None = None) -> ExtractedDocument:
    """Return the text of ``path`` or raise UnsupportedDocument / ExtractionError."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedDocument(
            f"unsupported file type {suffix or '(no extension)'!r}; "
            f"supported: {', '.join(sorted(SUPPORTED_SUFFIXES))}"
        )
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise UnsupportedDocument(f"file is {size} bytes, larger than the limit of {max_bytes}")
    title: str | None = None
    if suffix == ".pdf":
        text, title = _pdf_text(path)
        kind = "pdf"
    elif suffix == ".docx":
        text, title = _docx_text(path)
        kind = "docx"
    else:
        data = path.read_bytes()
        if suffix == ".eml":
            text, title = _eml_text(data)
            kind = "eml"
        elif suffix in HTML_SUFFIXES:
            text, title = html_to_text(_decode(data))
            kind = "html"
        elif suffix in MARKDOWN_SUFFIXES:
            source = _decode(data)
            text, title, kind = markdown_to_text(source), markdown_title(source), "md"
        else:
            text, kind = normalise_whitespace(_decode(data)), "txt"
    if not text.strip():
        raise ExtractionError("no text found in the document")
    title = normalise_whitespace(html.unescape(title)).replace("\n", " ") if title else None
    # Metadata titles are often absent or boilerplate-empty; the first line is the next best.
    return ExtractedDocument(
        text=text, kind=kind, title=first_line_title(title or "") or first_line_title(text)
    )
