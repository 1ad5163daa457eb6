"""Personal names without a model: capitalised words checked against a list of names.

The list (``names.txt.gz``, about 24,000 given names and 29,000 surnames of 80 locales, from
Faker's person providers under the MIT licence; ``bench/names_data.py`` builds it) is only
half of it: a word on the list is a name by where it stands. One regular expression finds
runs of capitalised words (``Maria del Carmen Garcia``, ``Dr. O'Brien``); each run is then
read left to right, and a name is

* a title and the capitalised words after it: ``Mr Smith``, ``Dr. Haddad``;
* a known given name and the capitalised word after it (and any further words on the list):
  ``Maria Garcia``, ``Chloé Martin``, ``Kwame Mensah``;
* a known surname and a known given name after it: ``Nguyen Van Anh``, ``Tanaka Hiroshi``;
* a capitalised word in mid-sentence followed by a known surname, or by a word with an
  ending that on the list only surnames have (``-wicz``, ``-ová``, ``-oğlu``, ``-енко``):
  ``… told Xochitl Garcia``, ``… by Zbyhněv Mejstříková``;
* a capitalised word alone where only a name stands — after a greeting (``Hi Bob,``,
  ``Dear Anna``), after a sign-off (``Thanks,\\nBob``) or a signature dash (``— Bob``), or
  after ``From:``/``To:`` — unless it is one of the words that are never names here
  (``Hi All``, ``Dear Customer``, ``Thanks, Team``).

What keeps precision: only runs are read, never single capitalised words in prose (``May``,
``Will``, ``Grace`` alone stay; so do ``India`` and ``Paris``); a word that begins a sentence
needs a given name, not just a surname after it; English function words, months, weekdays
and the words of organisations and places (``Street``, ``Bank``, ``University``) are never
part of a name. What it misses: a name in lower case, a surname alone, a given name alone in
prose, and scripts without capitals (Arabic, Chinese, Japanese, Devanagari…) — a
named-entity model (``datafab[ner]``) finds those.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources

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
              "le", "van", "von", "bin", "binti", "ibn", "al", "el", "ter", "ten", "zu", "y")
_WORD = (rf"(?:[{_UP}]['’])?[{_UP}][{_LO}]+(?:[{_UP}][{_LO}]+)?"
         rf"(?:['’\-][{_UP}]?[{_LO}]+)*")
_TITLE = r"(?:" + "|".join(sorted(TITLES, key=len, reverse=True)) + r")\."
_TOKEN = re.compile(rf"{_TITLE}|{_WORD}")
_SEP = rf"[ \t]+(?:(?:{'|'.join(_PARTICLES)})(?:[ \t]+|-))*"
_RUN = re.compile(rf"(?<![\w@./\\-])(?:{_TITLE}|{_WORD})(?:{_SEP}(?:{_TITLE}|{_WORD}))*"
                  rf"(?![\w@])")
# before a lone given name: a greeting or sign-off (and a line break), a signature dash, or
# an e-mail header
_ALONE_BEFORE = re.compile(
    r"(?:\b(?:hi|hello|hey|dear|hola|bonjour|hallo|ciao|olá|salut|thanks|thank you|cheers|"
    r"regards|best|sincerely|signed|attn|yours)[ \t]*[,:!.]?[ \t]*\n?[ \t]*"
    r"|\b(?:from|to|cc):[ \t]*|(?:^|\n)[ \t]*(?:--?|—|–|~)[ \t]*)$", re.IGNORECASE)
_ALONE_AFTER = re.compile(r"[ \t]*(?:[,.!:;)]|\n|$)")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"“”(]|\n)[ \t]*$")
LOOK_BEHIND = 24  # characters searched for a greeting before a lone name


SUFFIX_MIN = 20  # surnames on the list that end so, for an ending to mark a surname
SUFFIX_SHARE = 0.9  # of the listed names that end so, the share that are surnames
# endings of English words (Manager, Teacher, Partner, Seller, Party, High, Approach …)
_ENGLISH_ENDINGS = ("ger", "ler", "ner", "her", "ter", "ist", "igh", "rty", "ach", "och",
                    "uer", "sch", "nger", "cher", "ller", "tner", "rger")


@cache
def surname_endings() -> frozenset[str]:
    """Endings of three and four letters that on the list almost only surnames have
    (``-ová``, ``-wicz``, ``-ović``, ``-sson``, ``-oğlu``, ``-енко``, ``-άκης``, ``-յան`` …):
    a capitalised word ending so, after another, is taken for a surname even off the list."""
    given, surnames = gazetteer()
    out = set()
    for n in (3, 4):
        in_surnames: dict[str, int] = {}
        in_given: dict[str, int] = {}
        for words, counts in ((surnames, in_surnames), (given, in_given)):
            for w in words:
                if len(w) > n + 1:
                    counts[w[-n:]] = counts.get(w[-n:], 0) + 1
        for end, k in in_surnames.items():
            if (k >= SUFFIX_MIN and k >= SUFFIX_SHARE * (k + in_given.get(end, 0))
                    and not end.endswith("s") and end not in _ENGLISH_ENDINGS):
                out.add(end)
    return frozenset(out)


@cache
def gazetteer() -> tuple[frozenset[str], frozenset[str]]:
    """The known given names and surnames, read once per process."""
    given: set[str] = set()
    surnames: set[str] = set()
    into = given
    raw = resources.files("datafab.ingest").joinpath("names.txt.gz").read_bytes()
    for line in gzip.decompress(raw).decode().splitlines():
        if not line or line.startswith("#"):
            continue
        if line == "[given]":
            into = given
        elif line == "[surname]":
            into = surnames
        else:
            into.add(line)
    return frozenset(given - STOP), frozenset(surnames - STOP)


def _known(word: str, names: frozenset[str]) -> bool:
    return word in names or ("-" in word and word.split("-", 1)[0] in names)


def find(text: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each personal name in ``text``, in order."""
    given, surnames = gazetteer()
    endings = surname_endings()
    for run in _RUN.finditer(text):
        first = run.group()
        if " " not in first and "\t" not in first:  # a lone capitalised word: the usual case
            if first not in STOP and _alone(text, run.start(), run.end()):
                yield run.start(), run.end()
            continue
        yield from _read_run(text, run, given, surnames, endings)


def _alone(text: str, start: int, end: int) -> bool:
    """A lone given name where only a name stands (after a greeting, a sign-off, a dash)."""
    return (_ALONE_BEFORE.search(text, max(0, start - LOOK_BEHIND), start) is not None
            and _ALONE_AFTER.match(text, end) is not None)


def _read_run(text: str, run: re.Match, given: frozenset[str], surnames: frozenset[str],
              endings: frozenset[str]) -> Iterator[tuple[int, int]]:
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
        is_given = _known(word, given)
        second = tokens[i + 1][2] if i + 1 < n else None
        if is_given and second is not None and _name_like(second):
            pass  # a given name and a name after it
        elif (second is not None and _known(word, surnames) and _known(second, given)
              and _name_like(second)):
            pass  # surname first: Nguyen Van Anh, Tanaka Hiroshi
        elif (second is not None and _name_like(second)
              and (_known(second, surnames) or second[-3:] in endings
                   or second[-4:] in endings)
              and not (_known(second, given) and i + 2 < n and _name_like(tokens[i + 2][2]))
              and not (i == 0 and _SENTENCE_START.search(text, max(0, start - 4), start))):
            pass  # a word in mid-sentence, then a surname (listed, or by its ending)
        else:
            if ((i == n - 1 or not _name_like(tokens[i + 1][2]))
                    and ((i > 0 and tokens[i - 1][2] in GREETINGS)
                         or (i == 0 and _alone(text, start, end)))
                    and _ALONE_AFTER.match(text, end)):
                yield start, end
            i += 1
            continue
        j = i + 2
        while j < n and j - i < 5 and (_known(tokens[j][2], surnames)
                                       or _known(tokens[j][2], given)):
            j += 1
        yield start, tokens[j - 1][1]
        i = j


def _name_like(word: str) -> bool:
    return word not in STOP and word.rstrip(".") not in TITLES
