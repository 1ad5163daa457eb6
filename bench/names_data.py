"""Builds the two name lists the ingest uses and measures itself on, from two unrelated
open sources, so the measurement is not made on the list it measures:

* ``src/datafab/ingest/names.txt.gz`` — the gazetteer personal-name detection ships with:
  every given name and surname in Faker's person providers (all 80+ locales; MIT licence),
  kept where the script has capital letters (Latin, Greek, Cyrillic), less English function
  words, which no capitalisation makes a name; and, as evidence against a name, the
  lower-case words of SCOWL's small American English list (Debian's ``wamerican-small``;
  Copyright 2000-2011 by Kevin Atkinson, use and redistribution permitted with the notice,
  which the file carries).
* ``bench/data/names_eval.tsv.gz`` — the labelled people ``bench/ingest.py`` plants in text
  to measure recall and precision: given names and surnames drawn from Mimesis's person data
  sets (MIT licence), a different project with its own lists, one locale at a time.

Neither package is a dependency of Datafab. Unpack their wheels anywhere and point at them::

    pip download faker==40.40.0 mimesis==22.2.0 --no-deps -d /tmp/wheels
    cd /tmp/wheels && unzip -q faker-*.whl -d faker && unzip -q mimesis-*.whl -d mimesis
    apt-get download wamerican-small && dpkg-deb -x wamerican-small_*.deb words
    .venv/bin/python bench/names_data.py --faker /tmp/wheels/faker \
        --mimesis /tmp/wheels/mimesis \
        --words /tmp/wheels/words/usr/share/dict/american-english-small
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import json
import pkgutil
import random
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GAZETTEER = ROOT / "src" / "datafab" / "ingest" / "names.txt.gz"
EVAL = ROOT / "bench" / "data" / "names_eval.tsv.gz"
PEOPLE_PER_LOCALE = 80


def cased(name: str) -> bool:
    """A single name written in a script with capitals, capitalised, letters only (a hyphen
    or an apostrophe inside)."""
    if len(name) < 2 or not name[0].isupper() or name.isupper():
        return False
    return all(ch.isalpha() or ch in "-'’" for ch in name)


def english_function_words() -> set[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return {w.capitalize() for w in ENGLISH_STOP_WORDS}


def from_faker(path: Path) -> tuple[set[str], set[str]]:
    sys.path.insert(0, str(path))
    import faker.providers.person as person

    given: set[str] = set()
    surnames: set[str] = set()
    for module in pkgutil.iter_modules(person.__path__):
        provider = importlib.import_module(f"faker.providers.person.{module.name}").Provider
        for attr in dir(provider):
            value = getattr(provider, attr)
            if not isinstance(value, (list, tuple, dict)) or "pair" in attr:
                continue
            if "first_name" in attr or attr.startswith("first_romanized_name"):
                into = given
            elif "last_name" in attr or attr.startswith("last_romanized_name"):
                into = surnames
            else:
                continue
            for entry in value:
                if isinstance(entry, str):
                    for part in unicodedata.normalize("NFC", entry).split():
                        if cased(part):
                            into.add(part)
    return given, surnames


SCOWL_NOTICE = """\
# [english]: the words of SCOWL's small American English list (wamerican-small), lower-cased.
# Copyright 2000-2011 by Kevin Atkinson. Permission to use, copy, modify, distribute and
# sell these word lists, the associated scripts, the output created from the scripts, and
# its documentation for any purpose is hereby granted without fee, provided that the above
# copyright notice appears in all copies and that both that copyright notice and this
# permission notice appear in supporting documentation. Kevin Atkinson makes no
# representations about the suitability of this array for any purpose. It is provided "as
# is" without express or implied warranty."""


def english_words(path: Path) -> set[str]:
    """The list's words of three letters or more; capitalised ones (nationalities, languages,
    days, feasts: ``American``, ``English``) lower-cased, for ``write_gazetteer`` to keep
    those that are nobody's name."""
    return {w for w in path.read_text(encoding="utf-8", errors="replace").split()
            if len(w) >= 3 and w.isalpha() and (w.islower() or w[1:].islower())}


def place_names() -> set[str]:
    """Places of more than one word in the time-zone database (public domain), every word
    capitalised: ``Los Angeles``, ``Hong Kong``, ``Kuala Lumpur`` are not people."""
    import zoneinfo

    out = set()
    for zone in zoneinfo.available_timezones():
        words = zone.rsplit("/", 1)[-1].split("_")
        if len(words) > 1 and all(w[:1].isupper() and w[1:].islower() for w in words):
            out.add(" ".join(words))
    return out


def write_gazetteer(given: set[str], surnames: set[str], english: set[str]) -> None:
    stop = english_function_words()
    given, surnames = given - stop, surnames - stop
    english = {w for w in english if w.islower()} | {
        w.lower() for w in english if not w.islower() and w not in given | surnames}
    lines = ["# Datafab's name gazetteer, built by bench/names_data.py. [given] and [surname]:",
             "# Faker's person providers (MIT licence), one name a line.",
             SCOWL_NOTICE,
             "[given]", *sorted(given), "[surname]", *sorted(surnames),
             "[english]", *sorted(english),
             "# [place]: places of more than one word in the time-zone database (public domain)",
             "[place]", *sorted(place_names())]
    data = ("\n".join(lines) + "\n").encode()
    GAZETTEER.write_bytes(gzip.compress(data, 9, mtime=0))
    print(f"{GAZETTEER.relative_to(ROOT)}: {len(given)} given names, {len(surnames)} surnames, "
          f"{len(english)} English words, {GAZETTEER.stat().st_size // 1024} KB")


def _flat(value) -> list[str]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _flat(v)]
    return [x for x in value if isinstance(x, str)]


def from_mimesis(path: Path, seed: int = 5) -> list[tuple[str, str, str]]:
    rng = random.Random(seed)
    people = []
    for folder in sorted((path / "mimesis" / "datasets").iterdir()):
        person = folder / "person.json"
        if not person.is_file():
            continue
        data = json.loads(person.read_text())
        if "names" not in data or "surnames" not in data:
            continue
        given = sorted({n for n in _flat(data["names"]) if all(map(cased, n.split()))})
        surnames = sorted({n for n in _flat(data["surnames"]) if all(map(cased, n.split()))})
        if len(given) < 20 or len(surnames) < 20:
            continue  # a script without capitals (Arabic, Persian, CJK): not this detector's
        for _ in range(PEOPLE_PER_LOCALE):
            people.append((folder.name, rng.choice(given), rng.choice(surnames)))
    return people


def write_eval(people: list[tuple[str, str, str]]) -> None:
    lines = ["# people for bench/ingest.py's name recall: Mimesis person data sets (MIT "
             "licence)", *("\t".join(p) for p in people)]
    EVAL.parent.mkdir(exist_ok=True)
    EVAL.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), 9, mtime=0))
    print(f"{EVAL.relative_to(ROOT)}: {len(people)} people from "
          f"{len({p[0] for p in people})} locales")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--faker", type=Path, required=True, help="unpacked Faker wheel")
    parser.add_argument("--mimesis", type=Path, required=True, help="unpacked Mimesis wheel")
    parser.add_argument("--words", type=Path, required=True,
                        help="SCOWL's american-english-small (Debian wamerican-small)")
    args = parser.parse_args()
    write_gazetteer(*from_faker(args.faker), english_words(args.words))
    write_eval(from_mimesis(args.mimesis))


if __name__ == "__main__":
    main()
