"""Personal names are found without a named-entity model (the list of names shipped with
Datafab), a version number is not an IP address, the ingest report says how names were found,
and progress never runs past the total."""

from __future__ import annotations

import importlib.util
import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from rich.console import Console

from datafab import cli
from datafab.cli.common import progress
from datafab.ingest import names, pii
from datafab.services import ingest, projects


def _names(text: str) -> list[str]:
    return [f.value for f in pii.detect(text) if f.type == pii.PERSON]


@pytest.mark.parametrize("text, expected", [
    ("Maria Garcia called about the refund.", ["Maria Garcia"]),
    ("The contract was signed by John Smith on Friday.", ["John Smith"]),
    ("Hi Bob, the parcel is on its way.", ["Bob"]),
    ("Thanks for waiting.\n\nBest regards,\nBob", ["Bob"]),
    ("Let me know.\n— Bob", ["Bob"]),
    ("Dear Mr. Okafor, your claim is approved.", ["Okafor"]),
    ("Yesterday Maria del Carmen Garcia Lopez paid.", ["Maria del Carmen Garcia Lopez"]),
    ("Jean-Pierre Dubois met Siobhan O'Brien.", ["Jean-Pierre Dubois", "Siobhan O'Brien"]),
    ("Kwame Mensah and Priya Sharma approved it.", ["Kwame Mensah", "Priya Sharma"]),
    ("Nguyen Van Anh asked Agnieszka Kowalska.", ["Nguyen Van Anh", "Agnieszka Kowalska"]),
    ("Ticket from Mehmet Yılmaz and Иван Петров.", ["Mehmet Yılmaz", "Иван Петров"]),
    ("Maria Garcia's account was closed.", ["Maria Garcia"]),  # not the possessive
    ("From: Jane <jane@example.com>", ["Jane"]),
    ("Escalated to Xochitl Quispe in billing.", ["Xochitl Quispe"]),  # neither on the list
    ("agent: Herbiorn Worm\nnote: refund approved", ["Herbiorn Worm"]),  # a name field
    ("customer: Ana\nstatus: open", ["Ana"]),
])
def test_names_of_many_origins_are_found_without_a_model(text, expected):
    assert _names(text) == expected


@pytest.mark.parametrize("text", [
    "May I ask whether the refund went through?",
    "Will you come to the review in May 2024?",
    "The Customer Service team in New York meets on Monday.",
    "Grace periods apply. Paris and London offices close early.",
    "Hi All, the release is out.",
    "Please read the Terms of Service before signing.",
    "customer: Acme Corp\nowner: Data Team",
])
def test_capitalised_words_that_are_not_names_stay(text):
    assert _names(text) == []


def test_the_list_ships_with_the_package_and_has_many_origins():
    given, surnames, english, endings, places = names.gazetteer()
    assert ("Los", "Angeles") in places
    assert len(given) > 10_000 and len(surnames) > 10_000 and "gate" in english
    assert {"wicz", "ová", "oğlu"} <= endings
    assert {"Maria", "John", "Kwame", "Priya", "Hiroshi", "Олег"} <= given
    assert {"Garcia", "Smith", "Mensah", "Sharma", "Tanaka", "Kowalski"} <= surnames
    assert "The" not in given and "Will" not in given  # function words are never names


@pytest.mark.parametrize("text", [
    "Upgrade the firmware 2.0.1.5 before Friday.",
    "Runs on version 10.2.0.1 and later.",
    "Release v 4.1.0.12 fixed it; build 1.0.0.7 did not.",
])
def test_a_version_number_is_not_an_ip_address(text):
    assert [f for f in pii.detect(text) if f.type == pii.IP_ADDRESS] == []


def test_an_address_at_the_end_of_a_sentence_is_still_one():
    found = [f.value for f in pii.detect("The login came from 10.0.0.1. Firmware 2.0.1.5 "
                                         "was current.") if f.type == pii.IP_ADDRESS]
    assert found == ["10.0.0.1"]


def _project(foundry, org):
    return projects.create_project(foundry, org, {
        "name": "mined", "primitive": "classify", "settings": {"labels": ["a", "b"]},
        "policy": {"min_labels": 1, "max_labels": 1}}).id


def test_ingest_replaces_names_and_the_report_says_how_they_were_found(foundry, make_org,
                                                                        tmp_path):
    org = make_org("Acme").id
    pid = _project(foundry, org)
    path = tmp_path / "notes.txt"
    path.write_text("Maria Garcia asked for a refund.\n\nHi Bob, John Smith approved it.\n")
    report = ingest.ingest_files(foundry, org, pid, [ingest.Source(path, path.name)],
                                 {"ner": False})
    assert report["pii"] == {"PERSON": 3}
    assert report["redaction"]["names_by_list"] == 3
    assert any("list of names" in w for w in report["warnings"])
    assert any("no named-entity model" in w for w in report["warnings"])
    from datafab.services.exports import export_rows
    rows = list(export_rows(foundry, org, pid, "items", include_open=True))
    text = " ".join(r["data"]["text"] for r in rows)
    assert "Maria" not in text and "Bob" not in text and "Smith" not in text
    assert text.count("[PERSON]") == 3


@pytest.mark.skipif(importlib.util.find_spec("presidio_analyzer") is not None,
                    reason="with a named-entity model the list finds what the model missed")
def test_cli_ingest_prints_the_warnings(database_url, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    monkeypatch.setenv("DATAFAB_DATABASE_URL", database_url)
    runner = CliRunner()
    key = runner.invoke(cli.app, ["org", "create", "Acme"]).stdout.strip().splitlines()[-1]
    env = {"DATAFAB_API_KEY": key}
    settings = tmp_path / "s.json"
    settings.write_text('{"settings": {"labels": ["a", "b"]}}')
    pid = runner.invoke(cli.app, ["project", "create", "mined", "--primitive", "classify",
                                  "--settings", str(settings)], env=env).stdout.split()[-1]
    path = tmp_path / "a.txt"
    path.write_text("John Smith approved the refund.\n")
    result = runner.invoke(cli.app, ["ingest", str(path), "--project", pid], env=env)
    assert result.exit_code == 0, result.output
    assert "PERSON 1" in result.output
    assert "1 personal name(s) were replaced because they match the list of names" in \
        " ".join(result.output.split())
    # the text is printed as it is, not read as console markup
    assert "pip install 'datafab[ner]'" in " ".join(result.output.split())


def test_ingest_progress_never_passes_the_files_size(foundry, make_org, tmp_path):
    """Parquet compresses text: its chunks hold more characters than the file has bytes."""
    org = make_org("Acme").id
    pid = _project(foundry, org)
    path = tmp_path / "big.parquet"
    texts = [f"Row {i}: the parcel left the depot on time and the customer was told so "
             f"again and again and again, case {i}." for i in range(3000)]
    pq.write_table(pa.table({"text": texts}), path)
    assert sum(map(len, texts)) > path.stat().st_size  # the case this test is about
    told: list[int] = []
    ingest.ingest_files(foundry, org, pid, [ingest.Source(path, path.name)],
                        {"near_duplicates": False}, on_progress=told.append)
    assert sum(told) == path.stat().st_size
    assert all(n >= 0 for n in told)


def _rendered(total, advance) -> str:
    out = io.StringIO()
    bar = progress()
    task = bar.add_task("exporting", total=total)
    bar.advance(task, advance)
    Console(file=out, width=120).print(bar.make_tasks_table(bar.tasks))
    return out.getvalue()


def test_progress_counts_never_show_none_or_run_past_the_total():
    assert "None" not in _rendered(None, 2) and " 2 " in _rendered(None, 2)
    assert "805/785" not in _rendered(785, 805) and "805" in _rendered(785, 805)
    assert "10/785" in _rendered(785, 10)


def test_the_warning_names_the_model_when_one_was_used():
    with_model = {"redaction": {"ner": True, "names_by_list": 2}}
    (warning,) = ingest._warnings(with_model, redact=True, ner_asked=True)
    assert warning.startswith("2 personal name(s) were replaced because they match the list "
                              "of names, not the named-entity model")
    assert ingest._warnings({"redaction": {"ner": True, "names_by_list": 0}}, True, True) == []
    assert ingest._warnings({"redaction": {"ner": False, "names_by_list": 0}}, False,
                            True) == []  # nothing is redacted: nothing to warn of
