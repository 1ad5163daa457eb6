"""Files for ingest tests, written by hand: a PDF with a text layer, an e-mail with an
attachment, and text with personal data whose checksums are right."""

from __future__ import annotations

from email.message import EmailMessage


def minimal_pdf(pages: list[list[str]]) -> bytes:
    """A PDF whose pages carry the given lines as text (Helvetica), readable by pypdf."""
    objects: list[bytes] = []
    n_pages = len(pages)
    font_id = 3 + 2 * n_pages
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n_pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    for i, lines in enumerate(pages):
        content_id = 4 + 2 * i
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content_id} 0 R "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode())
        ops = ["BT", "/F1 11 Tf", "14 TL", "72 740 Td"]
        for line in lines:
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({escaped}) Tj T*")
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
            .encode())
    return bytes(out)


def email_bytes(body: str, *, sender: str = "Ana Ruiz <ana.ruiz@example.org>",
                to: str = "support@acme.test", subject: str = "Refund",
                attachment: tuple[str, bytes] | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Date"] = "Tue, 03 Nov 2026 10:00:00 +0000"
    msg.set_content(body)
    if attachment is not None:
        name, data = attachment
        msg.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return msg.as_bytes()


# Real checksums: a Luhn-valid test card, a valid German IBAN, a Spanish DNI with its letter.
CARD = "4111 1111 1111 1111"
IBAN = "DE89 3704 0044 0532 0130 00"
DNI = "12345678Z"
EMAIL = "jane.doe@acme.com"
PHONE = "+44 20 7946 0958"
IP = "203.0.113.42"
PII_TEXT = (f"Customer Jane wrote from {EMAIL} (phone {PHONE}) about card {CARD}. "
            f"Refund to IBAN {IBAN}; her DNI is {DNI}, login from {IP}, born on 1985-03-12.")
PII_VALUES = (CARD, IBAN, DNI, EMAIL, PHONE, IP, "1985-03-12")
