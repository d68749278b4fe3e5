#!/usr/bin/env python3
"""Regenerate the binary samples in app/sample_documents (volcanoes.pdf, chess-openings.docx).

The PDF is written by hand (a minimal, valid PDF 1.4 with one Helvetica text page) so no PDF
library with a writer is needed; the DOCX uses python-docx. Usage:
    python scripts/make-sample-documents.py [DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

PDF_TITLE = "Volcanoes: how eruptions work"
PDF_LINES = [
    PDF_TITLE,
    "",
    "A volcano is an opening in the crust where molten rock, ash and gases escape.",
    "Magma rises because it is less dense than the surrounding rock. When pressure from",
    "dissolved gases exceeds the strength of the overlying rock, an eruption begins.",
    "Effusive eruptions pour out runny basaltic lava, as on Hawaii and Iceland.",
    "Explosive eruptions of sticky, gas-rich magma produce pyroclastic flows and ash",
    "columns, as at Mount St. Helens in 1980 and Pinatubo in 1991.",
    "Volcanologists watch seismic tremors, ground deformation and sulfur dioxide",
    "emissions to forecast eruptions and warn nearby towns.",
]


def _pdf_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def minimal_pdf(lines: list[str], title: str) -> bytes:
    content = "BT /F1 11 Tf 14 TL 56 780 Td\n" + "".join(
        f"({_pdf_escape(line)}) Tj T*\n" for line in lines
    ) + "ET\n"
    stream = content.encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"endstream",
        b"<< /Title (" + _pdf_escape(title).encode("latin-1") + b") /Producer (semantik) >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def chess_docx(path: Path) -> None:
    import docx

    document = docx.Document()
    document.core_properties.title = "Chess openings for beginners"
    document.add_heading("Chess openings for beginners", level=1)
    document.add_paragraph(
        "The opening is the first phase of a chess game. Good openings develop the knights and "
        "bishops quickly, control the centre squares e4, d4, e5 and d5, and castle the king to "
        "safety."
    )
    document.add_paragraph(
        "The Italian Game (1.e4 e5 2.Nf3 Nc6 3.Bc4) aims the bishop at the weak f7 square. The "
        "Sicilian Defence (1.e4 c5) fights for the centre asymmetrically and is Black's most "
        "popular reply. The Queen's Gambit (1.d4 d5 2.c4) offers a pawn to gain central control."
    )
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Opening"
    table.cell(0, 1).text = "First moves"
    table.cell(1, 0).text = "Ruy Lopez"
    table.cell(1, 1).text = "1.e4 e5 2.Nf3 Nc6 3.Bb5"
    # Fixed timestamps keep the file byte-identical between runs.
    import datetime

    fixed = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    document.core_properties.created = fixed
    document.core_properties.modified = fixed
    document.save(str(path))


def main(argv: list[str]) -> int:
    target = Path(argv[1]) if len(argv) > 1 else (
        Path(__file__).resolve().parent.parent / "app" / "sample_documents"
    )
    target.mkdir(parents=True, exist_ok=True)
    (target / "volcanoes.pdf").write_bytes(minimal_pdf(PDF_LINES, PDF_TITLE))
    chess_docx(target / "chess-openings.docx")
    print(f"wrote {target / 'volcanoes.pdf'} and {target / 'chess-openings.docx'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
