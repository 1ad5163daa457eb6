"""Personal names without a model: capitalised words read against lists of names and words.

The lists ship in ``names.txt.gz`` (``bench/names_data.py`` builds it): about 24,000 given
names and 29,500 surnames of 80 locales (Faker's person providers, MIT licence); 40,000
English words (SCOWL's small American English list; its notice is in the file), which count
against a name; and the places of several words in the time-zone database (public domain).
A word on a list is a name by where it stands. One regular expression finds runs of
capitalised words (``Maria del Carmen Garcia``, ``Dr. O'Brien``); each run is read left to
right, and a name is

* a title and the capitalised words after it: ``Mr Smith``, ``Dr. Haddad``;
* a given name on the list and a surname after it — on the list, or a word no dictionary
  has: ``Maria Garcia``, ``Chloé Martin``, ``Kwame Mensah``; when the given name is also an
  English word (``Rose``, ``Grace``) the surname must be on the list;
* a surname on the list and a given name after it: ``Nguyen Van Anh``, ``Tanaka Hiroshi``;
* in mid-sentence, a word no dictionary has followed by a surname on the list or by another
  such word: ``… told Xochitl Quispe``; at a sentence's start, only by a surname on the list
  or a word with an ending that on the list only surnames have (``-wicz``, ``-ová``,
  ``-oğlu``, ``-енко``);
* a capitalised word alone where only a name stands — after a greeting (``Hi Bob,``,
  ``Dear Anna``), a sign-off (``Thanks,\\nBob``), a signature dash (``— Bob``) or
  ``From:``/``To:`` — if it is a given name or no English word (``Hi All``, ``Dear
  Customer``, ``Thanks, Team`` stay);
* the whole value of a field that holds a name, as readers write records' fields
  (``agent: Herbiorn Worm``, ``customer: Ana``, ``assigned_to: Bo``).

What keeps precision: a lone capitalised word in prose is never read (``May``, ``Will``,
``Grace``, ``India``, ``Paris`` stay); English words count against a name (``Golden Gate``,
``Summer Sale``); function words, months, weekdays and the words of organisations and places
(``Street``, ``Bank``, ``University``) are never part of one, nor are places like
``Los Angeles``. What it misses: a name in lower case or capitals, a surname or given name
alone in prose, and scripts without capitals (Arabic, Chinese, Japanese, Devanagari…) — a
named-entity model (``datafab[ner]``) finds those.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import NamedTuple

_BLOCKS = ((0x41, 0x2AF), (0x370, 0x3FF), (0x400, 0x52F), (0x1E00, 0x1FFF))


def _letters(test) -> str:
    return "".join(re.escape(chr(c)) for lo, hi in _BLOCKS for c in range(lo, hi + 1)
                   if test(chr(c)))


_UP = _letters(str.isupper)
_LO = _letters(str.islower)
TITLES = frozenset(
    "Mr Mrs Ms Miss Mx Dr Prof Sir Dame Lady Lord Madam Madame Mme Mlle Monsieur Herr Frau "
    "Señor Señora Sr Sra Srta Doña Dott Sig Signor Signora Pan Pani Fru Hr".split())
GREETINGS = frozenset("Hi Hello Hey Dear Hola Bonjour Hallo Ciao Olá Salut Servus".split())
# Words that are never part of a name here: capitalised at a sentence's start or in a title,
# and some also on the list of names (Will, May, Even, Case, Long…).
STOP = frozenset("""
A About Above According After Again Against All Also Although Am Among An And Another Any
Are As At Be Because Been Before Being Below Between Both But By Can Could Did Do Does
Doing Down During Each Either Even Ever Every Few For From Further Had Has Have Having He
Her Here Hers Herself Him Himself His How However I If In Into Is It Its Itself Just Last
Least Less Let Like May Me Might Mine More Most Much Must My Myself Neither Never Next No
Nor Not Now Of Off Often On Once One Only Or Other Our Ours Ourselves Out Over Own Per
Perhaps Please Quite Rather Same Shall She Should Since So Some Still Such Than That The
Their Theirs Them Themselves Then There These They This Those Though Through Thus To Too
Under Until Up Upon Us Very Was We Well Were What When Where Whether Which While Who Whom
Whose Why Will With Within Without Would Yes Yet You Your Yours Yourself
January February March April June July August September October November December
Monday Tuesday Wednesday Thursday Friday Saturday Sunday Today Tomorrow Yesterday
Hi Hello Hey Dear Thanks Thank Regards Best Cheers Sincerely Kind Warm Greetings Attn
Street Road Avenue Lane Drive Square Boulevard Place Court Way Bridge Park Hill River Lake
Mountain Airport Station Hotel Hospital Clinic School College University Institute Academy
Bank Group Company Corporation Inc Ltd Limited Llc Gmbh Corp Holdings Partners Capital Labs
Systems Solutions Services Service Technologies Software Foundation Association Society
Council Ministry Department Agency Office Center Centre Hall Building Tower Museum Church
City County State Republic Kingdom North South East West Northern Southern Eastern Western
New Old Great Saint San Santa Fort Port Mount Upper Lower Central National International
Global Royal General Customer Support Sales Team Manager Director President Chief Head Lead
Case Order Ticket Invoice Account Contract Policy Project Report Note Summary Update Version
Release Product Price Total Amount Payment Refund Delivery Client Phone Email Address Date
Time Day Week Month Year Quarter Annual Daily Weekly Monthly Dr Mr Mrs Ms Prof
All Everyone Everybody Folks Guys Team Sir Madam Colleagues Friends Valued Member Members
Sirs There Again Soon Later Care Finance Billing Accounts Admin Hr It Legal Marketing
""".split())
_PARTICLES = ("de", "del", "della", "der", "den", "di", "da", "das", "do", "dos", "du", "la",
              "le", "lo", "van", "von", "bin", "binti", "ibn", "al", "el", "ter", "ten", "zu",
              "y")
_WORD = (rf"(?:[{_UP}]['’])?[{_UP}][{_LO}]+(?:[{_UP}][{_LO}]+)?"
         rf"(?:(?:-|['’](?!s\b))[{_UP}]?[{_LO}]+)*")  # not a possessive 's
_TITLE = r"(?:" + "|".join(sorted(TITLES, key=len, reverse=True)) + r")\."
_TOKEN = re.compile(rf"{_TITLE}|{_WORD}")
_SEP = rf"[ \t]+(?:(?:{'|'.join(_PARTICLES)})(?:[ \t]+|-))*"
_RUN_READABLE = (rf"(?<![\w@./\\-])(?:{_TITLE}|{_WORD})(?:{_SEP}(?:{_TITLE}|{_WORD}))*"
                 rf"(?![\w@])")
# The same pattern as it runs: a run starts with a capital (a title's or a word's), so the
# capital goes in front of the look-behind and the engine skips ahead from capital to capital
# instead of trying every position; each alternative then goes on after that first letter, in
# the same order. It finds exactly what the readable one finds (tests/ingest/test_speed.py).
_WORD_TAIL = (rf"[{_LO}]+(?:[{_UP}][{_LO}]+)?"
              rf"(?:(?:-|['’](?!s\b))[{_UP}]?[{_LO}]+)*")
_TITLE_TAIL = r"(?:" + "|".join(rf"(?<={t[0]}){re.escape(t[1:])}"
                                for t in sorted(TITLES, key=len, reverse=True)) + r")\."
_RUN = re.compile(rf"[{_UP}](?<![\w@./\\-][{_UP}])(?:{_TITLE_TAIL}|['’][{_UP}]{_WORD_TAIL}"
                  rf"|{_WORD_TAIL})(?:{_SEP}(?:{_TITLE}|{_WORD}))*(?![\w@])")
# before a lone given name: a greeting or sign-off (and a line break), a signature dash, or
# an e-mail header
_ALONE_BEFORE = re.compile(
    r"(?:\b(?:hi|hello|hey|dear|hola|bonjour|hallo|ciao|olá|salut|thanks|thank you|cheers|"
    r"regards|best|sincerely|signed|attn|yours)[ \t]*[,:!.]?[ \t]*\n?[ \t]*"
    r"|\b(?:from|to|cc):[ \t]*|(?:^|\n)[ \t]*(?:--?|—|–|~)[ \t]*)$", re.IGNORECASE)
# a field that holds a person's name, as readers write records (``agent: Ana Ruiz``)
_FIELD_BEFORE = re.compile(
    r"\b(?:name|first[ _]?name|last[ _]?name|full[ _]?name|surname|given[ _]?name|agent|"
    r"customer|client|contact|author|owner|assignee|assigned[ _]to|requester|reporter|"
    r"employee|patient|signed[ _]by|from|to|cc|attn)[ \t]*[:=][ \t]*$", re.IGNORECASE)
_ALONE_AFTER = re.compile(r"[ \t]*(?:[,.!:;)<]|\n|$)")
_SENTENCE_START = re.compile(r"(?:^|[.!?\"“”(]|\n)[ \t]*$")
LOOK_BEHIND = 24  # characters searched for a greeting before a lone name


SUFFIX_MIN = 20  # surnames on the list that end so, for an ending to mark a surname
SUFFIX_SHARE = 0.9  # of the listed names that end so, the share that are surnames


class Lists(NamedTuple):
    given: frozenset[str]
    surnames: frozenset[str]
    english: frozenset[str]  # lower-case English words: evidence against a name
    endings: frozenset[str]  # endings almost only surnames have
    places: frozenset[tuple[str, ...]]  # places of several words: Los Angeles, Hong Kong


@cache
def gazetteer() -> Lists:
    """The lists, read once per process."""
    sections: dict[str, set[str]] = {"given": set(), "surname": set(), "english": set(),
                                     "place": set()}
    into = sections["given"]
    raw = resources.files("datafab.ingest").joinpath("names.txt.gz").read_bytes()
    for line in gzip.decompress(raw).decode().splitlines():
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            into = sections[line[1:-1]]
        else:
            into.add(line)
    given = frozenset(sections["given"] - STOP)
    surnames = frozenset(sections["surname"] - STOP)
    return Lists(given, surnames, frozenset(sections["english"]),
                 _surname_endings(given, surnames),
                 frozenset(tuple(p.split()) for p in sections["place"]))


def _surname_endings(given: frozenset[str], surnames: frozenset[str]) -> frozenset[str]:
    """Endings of three and four letters that on the list almost only surnames have
    (``-ová``, ``-wicz``, ``-ović``, ``-sson``, ``-oğlu``, ``-енко``, ``-άκης``, ``-յան`` …)."""
    out: set[str] = set()
    for n in (3, 4):
        in_surnames: dict[str, int] = {}
        in_given: dict[str, int] = {}
        for words, counts in ((surnames, in_surnames), (given, in_given)):
            for w in words:
                if len(w) > n + 1:
                    counts[w[-n:]] = counts.get(w[-n:], 0) + 1
        out.update(end for end, k in in_surnames.items()
                   if k >= SUFFIX_MIN and k >= SUFFIX_SHARE * (k + in_given.get(end, 0)))
    return frozenset(out)


def find(text: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each personal name in ``text``, in order."""
    lists = gazetteer()
    for run in _RUN.finditer(text):
        first = run.group()
        if " " not in first and "\t" not in first:  # a lone capitalised word: the usual case
            if (_ALONE_AFTER.match(text, run.end()) is not None and _lone_name(first, lists)
                    and _alone(text, run.start(), run.end())):
                yield run.start(), run.end()
            continue
        yield from _read_run(text, run, lists)


def _alone(text: str, start: int, end: int) -> bool:
    """Where only a name stands: after a greeting, a sign-off, a signature dash, or as the
    whole value of a field that holds a name."""
    return _ALONE_AFTER.match(text, end) is not None and (
        _ALONE_BEFORE.search(text, max(0, start - LOOK_BEHIND), start) is not None
        or _FIELD_BEFORE.search(text, max(0, start - LOOK_BEHIND), start) is not None)


def _lone_name(word: str, lists: Lists) -> bool:
    return word not in STOP and (_known(word, lists.given) or word.lower() not in lists.english)


def _known(word: str, names: frozenset[str]) -> bool:
    return word in names or ("-" in word and word.split("-", 1)[0] in names)


def _name_like(word: str) -> bool:
    return word not in STOP and word.rstrip(".") not in TITLES


def _starts_name(a: str, b: str, sentence_start: bool, lists: Lists) -> bool:
    """Whether the capitalised words ``a b`` begin a name."""
    if not _name_like(b):
        return False
    a_given, a_english = _known(a, lists.given), a.lower() in lists.english
    b_listed = _known(b, lists.given) or _known(b, lists.surnames)
    b_english = b.lower() in lists.english
    b_ending = b[-3:] in lists.endings or b[-4:] in lists.endings
    if a_given and (b_listed or (not b_english and (not a_english or b_ending))):
        return True  # Maria Garcia; Rose Tremblay, not Rose Gold Edition
    if _known(a, lists.surnames) and _known(b, lists.given) and not (a_english and b_english):
        return True  # surname first: Nguyen Van Anh, Tanaka Hiroshi
    if a_english:
        return False  # Space Grey, Summer Sale, Contact Lee
    if sentence_start:  # a word no dictionary has, then a surname
        return not b_english and (_known(b, lists.surnames) or b_ending)
    return not b_english or _known(b, lists.surnames)  # in mid-sentence: or any such word


def _read_run(text: str, run: re.Match, lists: Lists) -> Iterator[tuple[int, int]]:
    tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text, run.start(),
                                                                       run.end())]
    n, i = len(tokens), 0
    while i < n:
        start, end, word = tokens[i]
        if word.rstrip(".") in TITLES:
            j = i + 1
            while j < n and j - i <= 3 and _name_like(tokens[j][2]):
                j += 1
            if j > i + 1:
                yield tokens[i + 1][0], tokens[j - 1][1]
            i = max(j, i + 1)
            continue
        if word in STOP:
            i += 1
            continue
        place = next((k for k in (3, 2) if tuple(t[2] for t in tokens[i:i + k])
                      in lists.places), 0)
        if place:
            i += place
            continue
        if (i == 0 and n <= 4 and all(_name_like(t[2]) for t in tokens)
                and _FIELD_BEFORE.search(text, max(0, start - LOOK_BEHIND), start)
                and _ALONE_AFTER.match(text, tokens[-1][1])):
            yield start, tokens[-1][1]  # the whole value of a name field: agent: Ana Ruiz
            return
        sentence_start = i == 0 and _SENTENCE_START.search(text, max(0, start - 4),
                                                           start) is not None
        if i + 1 < n and _starts_name(word, tokens[i + 1][2], sentence_start, lists):
            j = i + 2
            while j < n and j - i < 5:
                w = tokens[j][2]
                if w.lower() in _PARTICLES and j + 1 < n and _name_like(tokens[j + 1][2]):
                    j += 2  # Aldo Lo Faso, Edoardo De Paoli
                elif _known(w, lists.surnames) or _known(w, lists.given):
                    j += 1
                else:
                    break
            yield start, tokens[j - 1][1]
            i = j
            continue
        if ((i == n - 1 or not _name_like(tokens[i + 1][2])) and _lone_name(word, lists)
                and ((i > 0 and tokens[i - 1][2] in GREETINGS)
                     or (i == 0 and _alone(text, start, end)))
                and _ALONE_AFTER.match(text, end)):
            yield start, end
        i += 1
