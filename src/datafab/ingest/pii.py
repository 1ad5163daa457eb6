"""Personal data in text: find it, then replace it by a type tag or a keyed pseudonym.

Pattern types are found by regular expressions and, where the format has one, confirmed by
its checksum, so a 16-digit order number is not a card and a random ``DE..`` string is not
an IBAN:

================  ==================================================  ============
type              what                                                check
================  ==================================================  ============
``EMAIL``         ``local@domain.tld``                                 --
``PHONE``         international (``+CC …``) and national formats,      9-15 digits
                  digits grouped by spaces, dots, dashes, brackets
``CREDIT_CARD``   13-19 digits, optionally grouped                     Luhn, issuer
``IBAN``          ISO 13616, printed or electronic form                mod 97 = 1
``NATIONAL_ID``   Spanish DNI/NIE (check letter), French NIR (key),    check digits
                  US SSN (format rules: no checksum exists)
``IP_ADDRESS``    IPv4 (octets ≤ 255) and IPv6                         parsed
``DATE_OF_BIRTH`` a date near "born", "DOB", "date of birth" …        a real date
``PERSON``        capitalised words around a known given name,         a list of
                  surname or title (:mod:`datafab.ingest.names`)       names
================  ==================================================  ============

A version number (``firmware 2.0.1.5``) is not an IP address. Names the list misses, and
addresses, need a named-entity model: :class:`NerDetector` wraps Presidio's analyzer when it
(and a spaCy model) is installed, and is simply absent otherwise; nothing here needs a
network.

A pseudonym is ``<TYPE_xxxxxxxxxx>`` where the x's are an HMAC-SHA256 of the normalised value
under the organization's secret key: the same e-mail address gets the same pseudonym
everywhere in one organization, a different one in another, and it cannot be reversed (or
checked by guessing) without the key.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import ipaddress
import re
from collections.abc import Callable, Iterable, Set
from dataclasses import dataclass

from datafab.ingest import gates, names
from datafab.ingest.checksums import (  # noqa: F401 - also pii's, as before
    DNI_LETTERS,
    IBAN_LENGTHS,
    card_brand_ok,
    dni_ok,
    iban_ok,
    luhn_ok,
    nir_ok,
    ssn_ok,
)
from datafab.ingest.numerals import Numerals

EMAIL = "EMAIL"
PHONE = "PHONE"
CREDIT_CARD = "CREDIT_CARD"
IBAN = "IBAN"
NATIONAL_ID = "NATIONAL_ID"
IP_ADDRESS = "IP_ADDRESS"
DATE_OF_BIRTH = "DATE_OF_BIRTH"
PERSON = "PERSON"
LOCATION = "LOCATION"

PATTERN_TYPES = (EMAIL, PHONE, CREDIT_CARD, IBAN, NATIONAL_ID, IP_ADDRESS, DATE_OF_BIRTH)
CHECKSUM_TYPES = (CREDIT_CARD, IBAN, NATIONAL_ID)
ALL_TYPES = PATTERN_TYPES + (PERSON, LOCATION)
REPLACEMENTS = ("tag", "pseudonym")


@dataclass(frozen=True)
class Finding:
    """One piece of personal data: ``text[start:end]`` is of type ``type``."""

    type: str
    start: int
    end: int
    value: str
    score: float = 1.0
    by: str = "pattern"  # or "names" (the list of names), or "ner" (the model)


# --- patterns ----------------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
    r"[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])"
)
# Each pattern is written twice: as it reads (``_READABLE``), and as it runs — the same
# pattern with its first character class moved in front of the look-behind, so that the
# regular-expression engine skips ahead to the next possible first character instead of
# trying a match at every position (two to three times faster on prose; the look-behind then
# checks the character before it, and the first repetition is unrolled). Both find exactly
# the same matches, with the same groups (tests/ingest/test_speed.py compares them).
_READABLE = {
    "card": r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])",
    "iban": r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])",
    "dni": r"(?<![A-Za-z0-9])(?:\d{8}|[XYZxyz]-?\d{7})-?[A-Za-z](?![A-Za-z0-9])",
    "nir": r"(?<![\w])[12] ?\d{2} ?(?:0[1-9]|1[0-2]|[2-9]\d) ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} "
           r"?\d{2}(?!\w)",
    "ssn": r"(?<![\w-])(\d{3})-(\d{2})-(\d{4})(?![\w-])",
    "ipv4": r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\w|\.\d)",
    "phone": r"(?<![\w+/-])(?:\+\d{1,3}[ .-]?\d{1,4}|(?:\(\d{1,4}\)[ .-]?)?\d{2,4})"
             r"(?:[ .-]?\d{2,4}){1,5}(?![\w-])",
    "dob_context": r"(?i)\b(?:born|birth|birthday|d\.?o\.?b\.?|date of birth|né|née|geboren|"
                   r"nacido|nacida)\b",
}
_FAST = {
    "card": r"\d(?<![\w-]\d)[ -]?(?:\d[ -]?){11,17}\d(?![\w-])",
    "iban": r"[A-Z](?<![A-Za-z0-9][A-Z])[A-Z]\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])",
    # the first character (a digit, or the NIE's X, Y or Z) in front, the rest after it
    "dni": r"[\dXYZxyz](?<![A-Za-z0-9][\dXYZxyz])(?:(?<=\d)\d{7}|(?<=[XYZxyz])-?\d{7})"
           r"-?[A-Za-z](?![A-Za-z0-9])",
    "nir": r"[12](?<!\w[12]) ?\d{2} ?(?:0[1-9]|1[0-2]|[2-9]\d) ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} "
           r"?\d{2}(?!\w)",
    "ssn": r"(\d(?<![\w-]\d)\d{2})-(\d{2})-(\d{4})(?![\w-])",
    "ipv4": r"\d(?<![\w.]\d)\d{0,2}\.(?:\d{1,3}\.){2}\d{1,3}(?!\w|\.\d)",
    "phone": r"[+(\d](?<![\w+/-][+(\d])(?:(?<=\+)\d{1,3}[ .-]?\d{1,4}|(?<=\()\d{1,4}\)[ .-]?"
             r"\d{2,4}|(?<=\d)\d{1,3})(?:[ .-]?\d{2,4}){1,5}(?![\w-])",
    # no character other than these folds to b, d, n or g, so the first letter needs no flag
    "dob_context": r"[bBdDnNgG](?<!\w[bBdDnNgG])(?i:(?<=b)(?:orn|irth|irthday)"
                   r"|(?<=d)(?:\.?o\.?b\.?|ate of birth)|(?<=n)(?:é|ée|acido|acida)|(?<=g)eboren)"
                   r"\b",
}
_CARD, _IBAN, _DNI, _NIR, _SSN, _IPV4, _PHONE = (
    re.compile(_FAST[k]) for k in ("card", "iban", "dni", "nir", "ssn", "ipv4", "phone"))
# a dotted number after one of these words is a version, not an address
_VERSION_BEFORE = re.compile(
    r"\b(?:version|versions|ver|v|firmware|fw|release|build|rev|revision|patch|update|"
    r"upgrade|bios|driver|kernel|sdk|os|app|software)\.?[ \t:=#]*(?:to[ \t]+)?"
    r"(?:version[ \t]+|v\.?[ \t]*)?$", re.IGNORECASE)
VERSION_LOOK_BEHIND = 32
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|"
           "december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")
_DATE = re.compile(
    r"(?P<iso>(?P<y1>\d{4})-(?P<m1>\d{1,2})-(?P<d1>\d{1,2}))"
    r"|(?P<num>(?P<a>\d{1,2})[/.](?P<b>\d{1,2})[/.](?P<y2>\d{4}))"
    rf"|(?P<md>(?P<mon1>{_MONTHS})\.? (?P<d3>\d{{1,2}}),? (?P<y3>\d{{4}}))"
    rf"|(?P<dm>(?P<d4>\d{{1,2}}) (?P<mon2>{_MONTHS})\.?,? (?P<y4>\d{{4}}))",
    re.IGNORECASE,
)
_DOB_CONTEXT = re.compile(_FAST["dob_context"])
_MONTH_NUMBER = {name: i % 12 + 1 for i, name in enumerate(
    "january february march april may june july august september october november december"
    .split())}
_MONTH_NUMBER.update({"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8,
                      "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12})
DOB_WINDOW = 40  # characters between the context word and the date


def _digits(s: str) -> str:
    return "".join(filter(str.isdigit, s))


def _emails(text: str) -> Iterable[Finding]:
    if "@" not in text:
        return
    for m in _EMAIL.finditer(text):
        yield Finding(EMAIL, m.start(), m.end(), m.group())


def _cards(text: str, view: Numerals | None = None) -> Iterable[Finding]:
    for m, shift in (view or Numerals(text)).finditer(_CARD):
        digits = _digits(m.group())
        if 13 <= len(digits) <= 19 and card_brand_ok(digits) and luhn_ok(digits):
            yield Finding(CREDIT_CARD, m.start() + shift, m.end() + shift, m.group())


def _ibans(text: str) -> Iterable[Finding]:
    for m in _IBAN.finditer(text):
        raw = m.group()
        compact = raw.replace(" ", "")
        # The pattern may run on into a following word; try the country's exact length.
        want = IBAN_LENGTHS.get(compact[:2])
        if want is None or len(compact) < want:
            continue
        end, seen = m.start(), 0
        for i, ch in enumerate(raw):
            if ch != " ":
                seen += 1
            if seen == want:
                end = m.start() + i + 1
                break
        candidate = text[m.start():end]
        if iban_ok(candidate.replace(" ", "")):
            yield Finding(IBAN, m.start(), end, candidate)


def _national_ids(text: str, view: Numerals | None = None,
                   opened: Set[str] = gates.ALL) -> Iterable[Finding]:
    view = view or Numerals(text)
    for m, shift in view.finditer(_DNI) if "dni" in opened else ():
        if dni_ok(m.group().replace("-", "")):
            yield Finding(NATIONAL_ID, m.start() + shift, m.end() + shift, m.group())
    for m, shift in view.finditer(_NIR) if "nir" in opened else ():
        if nir_ok(m.group().replace(" ", "")):
            yield Finding(NATIONAL_ID, m.start() + shift, m.end() + shift, m.group())
    for m, shift in view.finditer(_SSN) if "ssn" in opened else ():
        if ssn_ok(*m.groups()):
            yield Finding(NATIONAL_ID, m.start() + shift, m.end() + shift, m.group())


def _ips(text: str, view: Numerals | None = None,
         opened: Set[str] = gates.ALL) -> Iterable[Finding]:
    if "." in text and "ipv4" in opened:
        for m, shift in (view or Numerals(text)).finditer(_IPV4):
            start = m.start() + shift
            if all(int(part) <= 255 for part in m.group().split(".")) and not \
                    _VERSION_BEFORE.search(text, max(0, start - VERSION_LOOK_BEHIND), start):
                yield Finding(IP_ADDRESS, start, m.end() + shift, m.group())
    if "::" in text or text.count(":") >= 5:
        for m in _IPV6.finditer(text):
            value = m.group()
            if value.count(":") < 2 or not any(ch.isdigit() or ch in "abcdefABCDEF"
                                               for ch in value):
                continue
            try:
                ipaddress.IPv6Address(value)
            except ValueError:
                continue
            yield Finding(IP_ADDRESS, m.start(), m.end(), value)


def _phones(text: str, view: Numerals | None = None) -> Iterable[Finding]:
    for m, shift in (view or Numerals(text)).finditer(_PHONE):
        value = m.group()
        n = len(_digits(value))
        if not 9 <= n <= 15:
            continue
        separated = value[0] == "+" or "(" in value or any(ch in value for ch in " .-")
        if not separated and n < 10:
            continue  # a bare run of 9 digits is more often an id than a phone
        yield Finding(PHONE, m.start() + shift, m.end() + shift, value)


def _valid_date(m: re.Match) -> bool:
    g = m.groupdict()
    try:
        if g["iso"]:
            y, mo, d = int(g["y1"]), int(g["m1"]), int(g["d1"])
        elif g["num"]:
            a, b, y = int(g["a"]), int(g["b"]), int(g["y2"])
            d, mo = (a, b) if b <= 12 else (b, a)  # day-first unless that cannot be
        elif g["md"]:
            y, mo, d = int(g["y3"]), _MONTH_NUMBER[g["mon1"].lower()], int(g["d3"])
        else:
            y, mo, d = int(g["y4"]), _MONTH_NUMBER[g["mon2"].lower()], int(g["d4"])
        _dt.date(y, mo, d)
    except ValueError:
        return False
    return 1880 <= y <= 2100


def _dates_of_birth(text: str) -> Iterable[Finding]:
    for ctx in _DOB_CONTEXT.finditer(text):
        window_end = min(len(text), ctx.end() + DOB_WINDOW)
        m = _DATE.search(text, ctx.end(), window_end)
        if m is not None and _valid_date(m):
            yield Finding(DATE_OF_BIRTH, m.start(), m.end(), m.group())


def _persons(text: str) -> Iterable[Finding]:
    for start, end in names.find(text):
        yield Finding(PERSON, start, end, text[start:end], by="names")


def _by_patterns(text: str) -> tuple[Iterable[Finding], ...]:
    """The pattern detectors' findings, checksum types first: when two findings overlap,
    the earlier detector wins. The patterns for numbers read only the text's numerals."""
    opened = gates.open_gates(text)
    view = Numerals(text if opened & _NUMERAL_GATES else "")
    return (_emails(text) if "email" in opened else (),
            _ibans(text) if "iban" in opened else (),
            _cards(text, view) if "card" in opened else (),
            _national_ids(text, view, opened), _ips(text, view, opened),
            _dates_of_birth(text) if "dob_context" in opened else (),
            _phones(text, view) if "phone" in opened else ())


_NUMERAL_GATES = frozenset(("card", "dni", "nir", "ssn", "ipv4", "phone"))


class NerDetector:
    """Personal names and addresses through Presidio's analyzer (a spaCy model underneath),
    offline. ``NerDetector.load()`` returns ``None`` when either is not installed."""

    ENTITIES = {"PERSON": PERSON, "LOCATION": LOCATION}

    def __init__(self, analyzer) -> None:
        self._analyzer = analyzer

    @classmethod
    def load(cls) -> NerDetector | None:
        try:
            from presidio_analyzer import AnalyzerEngine  # optional extra: datafab[ner]
        except ImportError:
            return None
        try:
            return cls(AnalyzerEngine())
        except Exception:  # noqa: BLE001 - no spaCy model installed: no NER, said in reports
            return None

    def __call__(self, text: str) -> Iterable[Finding]:
        for r in self._analyzer.analyze(text=text, entities=list(self.ENTITIES), language="en"):
            yield Finding(self.ENTITIES[r.entity_type], r.start, r.end, text[r.start:r.end],
                          r.score, by="ner")


def detect(text: str, *, ner: Callable[[str], Iterable[Finding]] | None = None,
           types: Iterable[str] | None = None) -> list[Finding]:
    """Every piece of personal data in ``text``, in order, without overlaps. Names: the
    model's (``ner``) first, then the list's where the model found none."""
    wanted = set(types) if types is not None else None
    runs = list(_by_patterns(text))
    if ner is not None:
        runs.append(ner(text))
    if wanted is None or PERSON in wanted:
        runs.append(_persons(text))
    found = [f for run in runs for f in run if wanted is None or f.type in wanted]
    return _without_overlaps(found)


def _without_overlaps(found: list[Finding]) -> list[Finding]:
    """Keep findings in detector priority order; drop any that overlaps one already kept."""
    kept: list[Finding] = []
    taken: list[tuple[int, int]] = []
    for f in found:
        if any(f.start < e and s < f.end for s, e in taken):
            continue
        kept.append(f)
        taken.append((f.start, f.end))
    kept.sort(key=lambda f: f.start)
    return kept


def normalise(kind: str, value: str) -> str:
    """The form two spellings of the same value share (so they get the same pseudonym)."""
    if kind in (PHONE, CREDIT_CARD):
        return _digits(value)
    if kind in (IBAN, NATIONAL_ID):
        return re.sub(r"[\s-]", "", value).upper()
    if kind == IP_ADDRESS and ":" in value:
        return str(ipaddress.IPv6Address(value))
    return " ".join(value.split()).lower()


def pseudonym(key: bytes, kind: str, value: str) -> str:
    """``<TYPE_xxxxxxxxxx>``: keyed (HMAC-SHA256), stable within one key, irreversible."""
    mac = hmac.new(key, f"{kind}\x00{normalise(kind, value)}".encode(), hashlib.sha256)
    return f"<{kind}_{mac.hexdigest()[:10]}>"


@dataclass(frozen=True)
class Redacted:
    """Text after redaction, and where each replacement now sits in it."""

    text: str
    spans: tuple[dict, ...]  # {"type", "start", "end"} in the redacted text

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for s in self.spans:
            out[s["type"]] = out.get(s["type"], 0) + 1
        return out


def redact(text: str, findings: list[Finding], *, replacement: str = "tag",
           key: bytes | None = None) -> Redacted:
    """Replace each finding by ``[TYPE]`` (``tag``) or its keyed pseudonym (``pseudonym``)."""
    if replacement not in REPLACEMENTS:
        raise ValueError(f"replacement must be one of {REPLACEMENTS}, not {replacement!r}")
    if replacement == "pseudonym" and not key:
        raise ValueError("pseudonyms need the organization's key")
    parts: list[str] = []
    spans: list[dict] = []
    pos = out_len = 0
    for f in findings:
        parts.append(text[pos:f.start])
        out_len += f.start - pos
        tag = f"[{f.type}]" if replacement == "tag" else pseudonym(key or b"", f.type, f.value)
        parts.append(tag)
        spans.append({"type": f.type, "start": out_len, "end": out_len + len(tag)})
        out_len += len(tag)
        pos = f.end
    parts.append(text[pos:])
    return Redacted("".join(parts), tuple(spans))
