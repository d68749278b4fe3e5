"""Text extraction for every supported type, and clear refusals for the rest."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest
from semantik.shared.extraction import ExtractionError, UnsupportedDocument, extract

SAMPLES = Path(__file__).resolve().parents[2] / "app" / "sample_documents"


@pytest.mark.parametrize(
    ("name", "kind", "title", "present", "absent"),
    [
        ("honeybees.txt", "txt", "Honeybees and pollination", ["waggle dance", "varroa mites"],
         []),
        ("sourdough.md", "md", "Baking sourdough bread",
         ["starter: a culture", "stretch and fold", "the bread guide"],
         ["**", "](https://", "## "]),
        ("lighthouses.html", "html", "A short history of lighthouses",
         ["Fresnel lens", "Eddystone Lighthouse, England – rebuilt"],
         ["console.log", "font-family", "<p>", "&ndash;"]),
        ("volcanoes.pdf", "pdf", "Volcanoes: how eruptions work",
         ["pyroclastic flows", "Mount St. Helens"], []),
        ("chess-openings.docx", "docx", "Chess openings for beginners",
         ["Sicilian Defence", "Ruy Lopez | 1.e4 e5 2.Nf3 Nc6 3.Bb5"], []),
        ("budget-meeting.eml", "eml", "Q3 budget review and travel reimbursement",
         ["Subject: Q3 budget review", "original receipts"], ["Content-Transfer-Encoding"]),
    ],
)
def test_each_sample_type(name, kind, title, present, absent):
    document = extract(SAMPLES / name)
    assert document.kind == kind and document.title == title
    for text in present:
        assert text in document.text, (text, document.text)
    for text in absent:
        assert text not in document.text, (text, document.text)


def test_html_email_body_and_latin1_text(tmp_path):
    mail = tmp_path / "note.eml"
    mail.write_bytes(
        b"From: a@example.org\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>Hello <b>there</b></p>"
        b"<script>x()</script></body></html>\r\n"
    )
    document = extract(mail)
    assert document.title == "Grüße"
    assert "Hello there" in document.text and "x()" not in document.text
    legacy = tmp_path / "legacy.txt"
    legacy.write_bytes("Café crème".encode("cp1252"))
    assert extract(legacy).text == "Café crème"


def test_unsupported_types_say_why(tmp_path):
    for name in ("photo.png", "archive.zip", "README"):
        (tmp_path / name).write_bytes(b"data")
        with pytest.raises(UnsupportedDocument, match="unsupported file type"):
            extract(tmp_path / name)
    big = tmp_path / "big.txt"
    big.write_text("x" * 100)
    with pytest.raises(UnsupportedDocument, match="larger than the limit of 10"):
        extract(big, max_bytes=10)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.pdf", b"%PDF-1.4\nnot a pdf at all", "unreadable PDF"),
        ("broken.docx", b"PK\x03\x04 truncated", "unreadable DOCX"),
        ("binary.txt", b"\x00\x01\x02\x00" * 100, "binary file"),
        ("empty.md", b"   \n\n  ", "no text found"),
    ],
)
def test_corrupt_files_raise_extraction_errors(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ExtractionError, match=message) as info:
        extract(path)
    assert not isinstance(info.value, UnsupportedDocument)


def test_truncated_sample_pdf_is_an_error(tmp_path):
    data = (SAMPLES / "volcanoes.pdf").read_bytes()
    (tmp_path / "cut.pdf").write_bytes(data[: len(data) // 3])
    with pytest.raises(ExtractionError):
        extract(tmp_path / "cut.pdf")


def test_generator_reproduces_the_committed_binaries(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "make_samples", SAMPLES.parents[1] / "scripts" / "make-sample-documents.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(["make", str(tmp_path)])
    assert (tmp_path / "volcanoes.pdf").read_bytes() == (SAMPLES / "volcanoes.pdf").read_bytes()
    shutil.copy(tmp_path / "chess-openings.docx", tmp_path / "copy.docx")
    assert extract(tmp_path / "copy.docx").text == extract(SAMPLES / "chess-openings.docx").text


@pytest.mark.parametrize(
    ("name", "content", "title"),
    [
        # HTML: <title> wins over the first heading; entities decoded, whitespace folded.
        ("page.html", "<html><head><title>  Tides &amp;\n currents </title></head>"
         "<body><h1>Other</h1><p>Body</p></body></html>", "Tides & currents"),
        # HTML without <title>: the first line of the visible text.
        ("bare.html", "<body><h2>Harbour rules</h2><p>No swimming.</p></body>", "Harbour rules"),
        # Markdown: the first heading (ATX or setext), inline marks removed, code fences ignored.
        ("a.md", "Intro paragraph.\n\n# The *real* title #\n\ntext", "The real title"),
        ("b.md", "```\n# not a heading\n```\n\nRiver [Rhine](http://x)\n=====\n\ntext",
         "River Rhine"),
        ("c.md", "no heading at all\nsecond line", "no heading at all"),
        # Plain text: the first non-empty line; a long one is cut at a word.
        ("d.txt", "\n\n  First line here  \nsecond", "First line here"),
        ("e.txt", "word " * 100, ("word " * 40).strip() + "…"),
        # E-mail: the subject; without one, the first line (the From header).
        ("f.eml", "From: a@example.org\r\n\r\nbody text\r\n", "From: a@example.org"),
    ],
)
def test_title_per_type(tmp_path, name, content, title):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert extract(path).title == title


def test_pdf_and_docx_without_metadata_title_use_the_first_line(tmp_path):
    import docx
    from pypdf import PdfReader, PdfWriter

    document = docx.Document()
    document.add_paragraph("Minutes of the harbour board")
    document.add_paragraph("Present: everyone")
    document.core_properties.title = ""
    document.save(tmp_path / "m.docx")
    assert extract(tmp_path / "m.docx").title == "Minutes of the harbour board"

    # The sample PDF's pages, without its metadata: the title comes from the text.
    writer = PdfWriter()
    for page in PdfReader(SAMPLES / "volcanoes.pdf").pages:
        writer.add_page(page)
    with (tmp_path / "v.pdf").open("wb") as handle:
        writer.write(handle)
    assert extract(tmp_path / "v.pdf").title == extract(SAMPLES / "volcanoes.pdf").text.split(
        "\n"
    )[0]


def test_sentences_and_the_answer_passage():
    from semantik.shared.passages import best_passage, sentence_spans

    text = (
        "Volcanoes\n\nMagma rises because it is less dense than the rock around it. Fig. 2. "
        "Eruptions are forecast from seismic tremors\nand ground deformation (see above.) Done."
    )
    sentences = [text[a:b] for a, b in sentence_spans(text)]
    assert sentences == [
        "Volcanoes\n\nMagma rises because it is less dense than the rock around it.",
        "Fig. 2. Eruptions are forecast from seismic tremors\nand ground deformation (see above.)",
        "Done.",
    ]
    text = "A heading of some length here\nA full sentence that answers the question here."
    spans = sentence_spans(text)
    assert len(spans) == 2
    # The heading scores higher but is no answer; a short best sentence takes a neighbour.
    assert best_passage(text, spans, [0.9, 0.5]) == (0, len(text), 0.5)
    # A long enough best sentence stands alone.
    long_text = "A heading of some length here\n" + " ".join(
        f"Sentence {n} is long enough to be read as an answer on its own, surely." for n in "123"
    )
    start, end, score = best_passage(long_text, sentence_spans(long_text), [0.9, 0.1, 0.6, 0.2])
    assert long_text[start:end].startswith("Sentence 2 ") and long_text[end - 1] == "."
