"""Who leaked it: the project's contributors ranked by the evidence a found text holds.

1. **Which items.** Each text is found again among the project's item texts: runs of three
   words in common (``marks.shingles``) pick the candidates, and a character alignment
   (``marks.observe``) must find at least ``MIN_FOUND`` of a candidate's characters, and at
   least half of the shorter of the two texts — phrases two items share are not the item.
2. **Watermark.** Every markable position the leak kept is one bit. Each contributor's key
   says what that bit would be in their copy; a contributor who received the text agrees
   with nearly all, an innocent one with each by a fair coin's chance. ``watermark_p`` is
   the binomial tail of that agreement (``marks.binomial_tail``), multiplied by the number of
   contributors tried (Bonferroni), so it is the chance that *any* innocent contributor would
   have matched that well.
3. **Access.** Who was handed every leaked item (leases and the access log); ``access_share``
   is the share of the project's contributors who were — the chance a contributor picked at
   random would be.

A source is named only when its ``watermark_p`` is at most ``BAR`` (one in a billion) and it
was handed every leaked item the log knows of: a miss is better than a false accusation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from datafab import marks
from datafab.foundry import Foundry
from datafab.services.projects import get_project, load_project
from datafab.services.site_keys import Pseudonyms
from datafab.services.tracing.leaks import LeakFormat, check_text, decode, format_of, fragments
from datafab.services.tracing.marking import contributor_key, prose, unit
from datafab.store import tracing as store

BAR = 1e-9
MIN_SHARED = 2  # runs of three words in common before an item text counts as found
SHARE_OF_BEST = 0.25  # and at least this share of the best item text's count
MAX_CANDIDATES = 20  # item texts aligned per leaked text, the best first
MIN_FOUND = 60  # characters aligned before an item text counts as found in the leak,
FOUND_SHARE = 0.5  # and at least half of the shorter of the item text and the leaked one


@dataclass(frozen=True)
class Suspect:
    contributor_id: int
    agreeing: int  # observed bits their key agrees with
    watermark_p: float  # chance any innocent contributor agrees this well
    saw: int  # leaked items they were handed
    saw_all: bool

    @property
    def named(self) -> bool:
        return self.watermark_p <= BAR


@dataclass
class Trace:
    project_id: int
    items: list[int]  # the project's items the leak holds, in id order
    positions: int  # marked positions read from the leak
    contributors: int  # how many contributors were tried
    access_share: float | None  # share of them handed every leaked item
    suspects: list[Suspect] = field(default_factory=list)  # most likely first

    @property
    def source(self) -> int | None:
        """The contributor named as the source, or ``None`` below the bar."""
        top = self.suspects[0] if self.suspects else None
        if top is None or not top.named or (self.access_known and not top.saw_all):
            return None
        return top.contributor_id

    @property
    def access_known(self) -> bool:
        return any(s.saw for s in self.suspects)


@dataclass(frozen=True)
class _Unit:
    item_id: int
    path: str
    text: str


def trace(foundry: Foundry, project_id: int, texts: list[str],
          organization: int | None = None) -> Trace:
    """Rank the project's contributors by how likely each is the source of ``texts`` (an
    organization sees only its own projects; ``None``: the operator)."""
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
        units = [_Unit(item_id, path, text)
                 for item_id, data in store.item_data(conn, project=project.id)
                 for path, text in prose(data)]
        seen = _observe(units, texts)
        leaked = sorted({units[k].item_id for k in seen})
        tried = store.recipients(conn, project=project.id)
        handed = store.received(conn, project=project.id, item_ids=leaked)
    return _rank(foundry, project.id, units, seen, leaked, tried, handed)


def _observe(units: list[_Unit], texts: list[str]) -> dict[int, dict[int, int]]:
    """Unit index -> (position -> bit) for every item text found in the leak."""
    index: dict[tuple[str, ...], list[int]] = {}
    for k, one in enumerate(units):
        for shingle in marks.shingles(one.text):
            index.setdefault(shingle, []).append(k)
    seen: dict[int, dict[int, int]] = {}
    for text in texts:
        hits: dict[int, list[int]] = {}
        for shingle, at in marks.placed_shingles(text).items():
            for k in index.get(shingle, ()):
                hits.setdefault(k, []).append(at)
        counts = {k: len(v) for k, v in hits.items() if len(v) >= MIN_SHARED}
        floor = max(counts.values(), default=0) * SHARE_OF_BEST
        best = Counter({k: c for k, c in counts.items() if c >= floor})
        for k, _ in best.most_common(MAX_CANDIDATES):
            length = len(units[k].text)
            start, end = max(0, min(hits[k]) - length), max(hits[k]) + 2 * length
            reading = marks.observe(units[k].text, text[start:end])
            if reading.matched < max(MIN_FOUND, FOUND_SHARE * min(length, len(text))):
                continue  # phrases in common, not this item's text
            seen.setdefault(k, {})
            for position, value in reading.bits.items():
                seen[k].setdefault(position, value)  # a text quoted twice counts once
    return seen


def _rank(foundry: Foundry, project_id: int, units: list[_Unit],
          seen: dict[int, dict[int, int]], leaked: list[int], tried: list[int],
          handed: dict[int, set[int]]) -> Trace:
    n = sum(len(bits) for bits in seen.values())
    suspects = []
    for who in tried:
        key = contributor_key(foundry, project_id, who)
        agreeing = 0
        for k, bits in seen.items():
            one = units[k]
            stream = marks.keystream(key, unit(one.item_id, one.path), len(one.text))
            agreeing += sum(marks.bit(stream, p) == b for p, b in bits.items())
        saw = sum(who in handed.get(item, ()) for item in leaked)
        p = marks.corrected(marks.binomial_tail(agreeing, n), len(tried)) if n else 1.0
        suspects.append(Suspect(who, agreeing, p, saw, bool(leaked) and saw == len(leaked)))
    suspects.sort(key=lambda s: (s.watermark_p, -s.agreeing, not s.saw_all, -s.saw,
                                 s.contributor_id))
    share = (sum(s.saw_all for s in suspects) / len(suspects)
             if suspects and leaked else None)
    return Trace(project_id, leaked, n, len(tried), share, suspects)


def operator_trace(foundry: Foundry, project_id: int, content: bytes,
                   name: str = "", fmt: LeakFormat | None = None) -> Trace:
    """Trace a found file for the operator (contributors by their ids)."""
    texts = fragments(decode(content), fmt or format_of(name))
    return trace(foundry, project_id, texts)


def requester_trace(foundry: Foundry, organization: int, project_id: int, content: str,
                    fmt: LeakFormat | None) -> tuple[Trace, Callable[[int], str]]:
    """Trace a found text for a requester: the trace, and the project's pseudonyms."""
    project = get_project(foundry, organization, project_id)  # another's: not found
    check_text(content, "content")
    found = trace(foundry, project.id, fragments(content, fmt, "content"), organization)
    pseudonyms = Pseudonyms(foundry)
    return found, lambda who: pseudonyms(project.id, who)
