"""Personal-data detection and redaction: the checksums on hand-checked cases, the detector
on planted values, and keyed pseudonyms."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datafab.ingest import pii

from .samples import CARD, DNI, EMAIL, IBAN, IP, PHONE, PII_TEXT, PII_VALUES


def test_luhn_by_hand():
    assert pii.luhn_ok("4111111111111111")
    assert pii.luhn_ok("79927398713")  # the textbook example
    assert not pii.luhn_ok("4111111111111112")
    assert not pii.luhn_ok("79927398710")


def test_iban_checksum_and_length():
    assert pii.iban_ok("DE89370400440532013000")
    assert pii.iban_ok("GB82WEST12345698765432")
    assert not pii.iban_ok("DE89370400440532013001")  # one digit off
    assert not pii.iban_ok("DE8937040044053201300")  # too short for Germany
    assert not pii.iban_ok("XX89370400440532013000")  # no such country


def test_national_id_check_digits():
    assert pii.dni_ok("12345678Z") and not pii.dni_ok("12345678A")
    assert pii.dni_ok("X1234567L") and not pii.dni_ok("X1234567A")
    # NIR: 13 digits, key = 97 - n mod 97
    body = "1840675123456"
    key = 97 - int(body) % 97
    assert pii.nir_ok(body + f"{key:02d}")
    assert not pii.nir_ok(body + f"{(key + 1) % 100:02d}")
    assert pii.ssn_ok("123", "45", "6789") and not pii.ssn_ok("666", "45", "6789")


def test_every_planted_value_is_found_with_its_type():
    found = {f.value: f.type for f in pii.detect(PII_TEXT)}
    assert found == {EMAIL: pii.EMAIL, PHONE: pii.PHONE, CARD: pii.CREDIT_CARD,
                     IBAN: pii.IBAN, DNI: pii.NATIONAL_ID, IP: pii.IP_ADDRESS,
                     "1985-03-12": pii.DATE_OF_BIRTH}


@pytest.mark.parametrize("text", [
    "Order 4111 1111 1111 1112 shipped.",  # fails Luhn
    "Reference DE89 3704 0044 0532 0130 01 is not an IBAN.",  # fails mod 97
    "Version 1.2.3.4000 of the tool; meeting on 2024-01-15.",  # not an IP, not a birth date
    "Invoice 12345678A is due.",  # wrong DNI letter
    "We sold 1,250 units for 3 400 euros in 2023.",
])
def test_checksums_keep_lookalikes_out(text):
    assert pii.detect(text) == []


def test_redact_by_tag_leaves_no_value():
    done = pii.redact(PII_TEXT, pii.detect(PII_TEXT))
    for value in PII_VALUES:
        assert value not in done.text
    assert "[CREDIT_CARD]" in done.text and "[IBAN]" in done.text
    for span in done.spans:
        assert done.text[span["start"]:span["end"]] == f"[{span['type']}]"


def test_pseudonyms_are_consistent_within_a_key_and_differ_across_keys():
    a, b = b"a" * 32, b"b" * 32
    text = f"{EMAIL} then {EMAIL.upper()} again"
    done = pii.redact(text, pii.detect(text), replacement="pseudonym", key=a)
    first, second = (done.text[s["start"]:s["end"]] for s in done.spans)
    assert first == second  # the same address, spelled two ways: one pseudonym
    assert pii.pseudonym(a, pii.EMAIL, EMAIL) != pii.pseudonym(b, pii.EMAIL, EMAIL)
    assert pii.pseudonym(a, pii.PHONE, "+44 20 7946 0958") == pii.pseudonym(
        a, pii.PHONE, "+44-20-7946-0958")
    with pytest.raises(ValueError, match="key"):
        pii.redact(text, pii.detect(text), replacement="pseudonym")


def _luhn_complete(prefix: str) -> str:
    for d in "0123456789":
        if pii.luhn_ok(prefix + d):
            return prefix + d
    raise AssertionError


@given(st.text(alphabet="0123456789", min_size=14, max_size=14),
       st.sampled_from([" ", "-", ""]))
def test_any_luhn_valid_card_is_found(digits, sep):
    card = _luhn_complete("4" + digits)
    grouped = sep.join(card[i:i + 4] for i in range(0, 16, 4))
    text = f"Please charge {grouped} today."
    found = pii.detect(text)
    assert [(f.type, f.value) for f in found] == [(pii.CREDIT_CARD, grouped)]
