"""Readers, chunking and duplicate removal, on files written by the tests."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datafab.ingest import readers
from datafab.ingest.chunking import ChunkSpec, chunk
from datafab.ingest.dedupe import Deduper
from datafab.ingest.readers import ReadError, reader_for

from .samples import email_bytes, minimal_pdf


def _read(path, **kw):
    return list(reader_for(path)(path, **kw))


def test_jsonl_reads_the_text_field_and_names_a_bad_line(tmp_path):
    good = tmp_path / "a.jsonl"
    good.write_text('{"id": 1, "text": "first"}\n\n{"body": "second"}\n')
    assert [(s.text, s.line) for s in _read(good)] == [("first", 1), ("second", 3)]
    bad = tmp_path / "b.jsonl"
    bad.write_text('{"text": "ok"}\n{"text": "ok"}\n{"text": broken\n')
    with pytest.raises(ReadError, match=r"b\.jsonl, line 3: not a JSON record") as info:
        _read(bad)
    assert info.value.line == 3


def test_csv_column_and_ragged_row(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('id,note\n1,"hello, world"\n2,"two\nlines"\n')
    assert [(s.text, s.line) for s in _read(path, text_field="note")] == [
        ("hello, world", 2), ("two\nlines", 4)]
    path.write_text("id,note\n1,ok\n2,too,many\n")
    with pytest.raises(ReadError, match="line 3: 3 fields where the header has 2"):
        _read(path)


def test_parquet_by_column(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"id": [1, 2], "content": ["alpha", "beta"]}), path)
    assert [(s.text, s.line) for s in _read(path)] == [("alpha", 1), ("beta", 2)]
    with pytest.raises(ReadError, match="no column 'nope'"):
        _read(path, text_field="nope")


def test_markdown_paragraphs_headings_and_offsets(tmp_path):
    text = "# Title\n\nFirst para\nstill first.\n\n## Part\nSecond.\n"
    path = tmp_path / "t.md"
    path.write_text(text)
    segs = _read(path)
    assert [(s.text, s.heading, s.line) for s in segs] == [
        ("# Title", True, 1), ("First para\nstill first.", False, 3), ("## Part", True, 6),
        ("Second.", False, 7)]
    for s in segs:
        assert text[s.start:s.end] == s.text  # offsets point into the file


def test_text_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes(b"fine\nfine\n\xff\xfe broken\n")
    with pytest.raises(ReadError, match="line 3: not UTF-8"):
        _read(path)


def test_html_skips_scripts_and_marks_headings(tmp_path):
    path = tmp_path / "t.html"
    path.write_text("<html><head><style>p{}</style></head><body><h1>Report</h1>"
                    "<p>Hello <b>there</b>.</p><script>var x=1;</script><p>Bye</p></body>")
    assert [(s.text, s.heading) for s in _read(path)] == [
        ("# Report", True), ("Hello there.", False), ("Bye", False)]


def test_pdf_pages(tmp_path):
    path = tmp_path / "t.pdf"
    path.write_bytes(minimal_pdf([["Page one text."], ["Page two text."]]))
    assert [(s.text.strip(), s.page) for s in _read(path)] == [
        ("Page one text.", 1), ("Page two text.", 2)]
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 this is not really a pdf")
    with pytest.raises(ReadError, match="broken.pdf"):
        _read(broken)


def test_pdfium_reads_what_pypdf_reads(tmp_path, monkeypatch):
    pytest.importorskip("pypdfium2")
    path = tmp_path / "t.pdf"
    lines = [f"Case {i}: refund approved by Ana Ruiz, card 4111 1111 1111 1111." for i in range(40)]
    path.write_bytes(minimal_pdf([lines[:25], ["", "Second page, after a gap."], lines[25:]]))
    fields = ("text", "page", "line", "start", "end", "heading")
    by_pdfium = [[getattr(s, f) for f in fields] for s in _read(path)]
    monkeypatch.setattr(readers, "pdf_pages", readers._pypdf_pages)
    assert [[getattr(s, f) for f in fields] for s in _read(path)] == by_pdfium
    assert len(by_pdfium) >= 3
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 this is not really a pdf")
    for pages in (readers._pdfium_pages, readers._pypdf_pages):
        with pytest.raises(ReadError, match="not a readable PDF"):
            list(pages(broken))


def test_eml_lists_attachments(tmp_path):
    path = tmp_path / "m.eml"
    path.write_bytes(email_bytes("Please refund order 7.", attachment=("invoice.pdf", b"x" * 99)))
    segs = _read(path)
    text = "\n\n".join(s.text for s in segs)
    assert "Subject: Refund" in text and "Please refund order 7." in text
    assert "invoice.pdf (application/pdf, 99 bytes)" in text
    assert segs[0].extra["attachments"] == [
        {"filename": "invoice.pdf", "content_type": "application/pdf", "bytes": 99}]


def test_unknown_suffix(tmp_path):
    with pytest.raises(ReadError, match=r"cannot read \.docx"):
        reader_for(tmp_path / "x.docx")


def test_chunks_pack_paragraphs_within_size_and_keep_offsets(tmp_path):
    paras = [f"Paragraph {i} " + "word " * 30 for i in range(10)]
    text = "\n\n".join(p.strip() for p in paras) + "\n"
    path = tmp_path / "t.txt"
    path.write_text(text)
    chunks = list(chunk(_read(path), ChunkSpec(by="paragraph", size=400)))
    assert len(chunks) > 1
    for c in chunks:
        assert len(c.text) <= 400
        assert text[c.start:c.end] == c.text  # paragraphs joined by the blank line they had
    assert "".join(c.text for c in chunks).count("Paragraph") == 10


def test_heading_mode_starts_a_chunk_at_each_heading(tmp_path):
    path = tmp_path / "t.md"
    path.write_text("# A\n\nalpha\n\n# B\n\nbeta\n")
    by_heading = [c.text for c in chunk(_read(path), ChunkSpec(by="heading", size=1000))]
    assert by_heading == ["# A\n\nalpha", "# B\n\nbeta"]
    by_para = [c.text for c in chunk(_read(path), ChunkSpec(by="paragraph", size=1000))]
    assert by_para == ["# A\n\nalpha\n\n# B\n\nbeta"]


def test_long_paragraph_split_at_sentences_in_tokens(tmp_path):
    sentence = "The quick brown fox jumps over the lazy dog. "
    path = tmp_path / "t.txt"
    text = sentence * 40
    path.write_text(text)
    spec = ChunkSpec(size=50, unit="tokens")
    chunks = list(chunk(_read(path), spec))
    assert len(chunks) >= 8
    assert all(spec.measure(c.text) <= 50 for c in chunks)
    assert all(c.text.endswith("dog.") for c in chunks)
    assert all(text[c.start:c.end] == c.text for c in chunks)


def test_chunks_never_cross_records(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(json.dumps({"text": f"record {i}"}) for i in range(3)))
    assert [(c.text, c.line) for c in chunk(_read(path), ChunkSpec(size=1000))] == [
        ("record 0", 1), ("record 1", 2), ("record 2", 3)]


def test_dedupe_exact_and_near():
    base = ("Our policy is to refund any order within thirty days when the customer sends "
            "the receipt and the goods arrive back unused in their original box. "
            + " ".join(f"clause{i}" for i in range(100)))  # 5-shingles: one word changes 5
    d = Deduper(threshold=0.8)
    assert d.check("a", base).kind is None
    assert d.check("b", "  " + base.upper()).kind == "exact"  # same words, other spelling
    near = d.check("c", base.replace("thirty", "30"))
    assert near.kind == "near" and near.of == "a" and near.similarity >= 0.8
    other = d.check("d", "A completely different note about shipping times to Norway, "
                         "which take five to seven working days by road.")
    assert other.kind is None
    assert Deduper(near=False).check("x", base).kind is None


def test_dedupe_window_bounds_what_is_remembered():
    d = Deduper(window=2)
    texts = [" ".join(f"{w}{i}" for i in range(30)) for w in ("a", "b", "c")]
    for i, t in enumerate(texts):
        assert d.check(str(i), t).kind is None
    assert d.check("again", texts[2]).kind == "exact"
    assert d.check("old", texts[0]).kind is None  # forgotten: outside the window
    assert len(d._sigs) == 2 and len(d._exact) == 2
