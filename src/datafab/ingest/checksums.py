"""Check digits and format rules of personal data that has them: a payment card's Luhn sum
and issuer lengths, an IBAN's mod 97, a Spanish DNI/NIE's letter, a French NIR's key, and a
US SSN's format rules (it has no check digit). :mod:`datafab.ingest.pii` confirms its
pattern matches with them."""

from __future__ import annotations


def luhn_ok(digits: str) -> bool:
    """The Luhn check used by payment cards."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


IBAN_LENGTHS = {
    "AD": 24,
    "AE": 23,
    "AT": 20,
    "BA": 20,
    "BE": 16,
    "BG": 22,
    "BH": 22,
    "BR": 29,
    "CH": 21,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DK": 18,
    "EE": 20,
    "ES": 24,
    "FI": 18,
    "FO": 18,
    "FR": 27,
    "GB": 22,
    "GI": 23,
    "GL": 18,
    "GR": 27,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IL": 23,
    "IS": 26,
    "IT": 27,
    "KW": 30,
    "KZ": 20,
    "LB": 28,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "MC": 27,
    "ME": 22,
    "MK": 19,
    "MT": 31,
    "MU": 30,
    "NL": 18,
    "NO": 15,
    "PK": 24,
    "PL": 28,
    "PT": 25,
    "QA": 29,
    "RO": 24,
    "RS": 22,
    "SA": 24,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "TN": 24,
    "TR": 26,
    "UA": 29,
}


def card_brand_ok(digits: str) -> bool:
    """The number's length fits its issuer's prefix (Visa, Mastercard, Amex, Discover, JCB,
    Diners, UnionPay): a Luhn-valid run of digits of the wrong shape is not a card."""
    n, head = len(digits), digits[:4]
    if digits[0] == "4":
        return n in (13, 16, 19)
    if head[:2] in ("34", "37"):
        return n == 15
    if "51" <= head[:2] <= "55" or "2221" <= head <= "2720":
        return n == 16
    if digits[0] == "6" or head[:2] == "35":
        return 16 <= n <= 19
    if head[:2] in ("30", "36", "38", "39"):
        return 14 <= n <= 19
    return False


def iban_ok(iban: str) -> bool:
    """ISO 13616: the country's length, and the number mod 97 equals 1."""
    if IBAN_LENGTHS.get(iban[:2]) != len(iban):
        return False
    moved = iban[4:] + iban[:4]
    number = "".join(str(int(ch, 36)) for ch in moved)
    return int(number) % 97 == 1


DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def dni_ok(value: str) -> bool:
    """Spanish DNI (8 digits + letter) or NIE (X/Y/Z + 7 digits + letter): number mod 23."""
    value = value.upper()
    head = value[:-1]
    if head[0] in "XYZ":
        head = str("XYZ".index(head[0])) + head[1:]
    return head.isdigit() and DNI_LETTERS[int(head) % 23] == value[-1]


def nir_ok(digits: str) -> bool:
    """French social security number (NIR): 13 digits and a key = 97 - (number mod 97).
    Corsican departments 2A/2B count as 19/18."""
    body, key = digits[:13], digits[13:]
    body = body.replace("2A", "19").replace("2B", "18")
    if not body.isdigit() or not key.isdigit():
        return False
    return 97 - int(body) % 97 == int(key)


def ssn_ok(area: str, group: str, serial: str) -> bool:
    """US SSN format rules (it has no check digit): no zero field, area not 666 or 9xx."""
    return (
        area not in ("000", "666")
        and not area.startswith("9")
        and group != "00"
        and serial != "0000"
    )
