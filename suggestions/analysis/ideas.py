"""Ideas: the suggestions that propose the same thing in their own words, above duplicate groups, below themes.

A duplicate group holds one text and its copies (same words up to spelling).  An idea joins duplicate
groups whose texts say the same thing in other words: two groups join when each is among the other's
few most similar texts (mutual neighbours) and their similarity is high enough.  Mutual neighbours do
not chain through a crowd the way nearest-neighbour links do, and the score floor keeps two texts on one
subject but with different requests apart.  Pairs a reviewer marked as different are never joined.

Django-free; the caller gives each item's duplicate group and its similar list as ``analyze_corpus``
computes them, so grouping ideas costs time linear in the items (k look-ups each).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence

from .corpus import centred_rows
from .normalize import display_form, match_form
from .vectors import content_words, main_clauses, pair_dots, spaced_fold

__all__ = [
    "IDEA_NEIGHBOURS",
    "IDEA_SIMILARITY",
    "carry_ids",
    "group_ideas",
    "idea_labels",
    "idea_similar",
    "proposal_key",
    "without_opening",
]

# Two duplicate groups may share an idea only when each is among the other's this many most similar texts.
IDEA_NEIGHBOURS = 2
# ... and their idea similarity (``idea_similar``: a cosine where unrelated texts sit near 0) is at least this.
# Chosen on the development set alone (0.4 let two ideas on one subject join, 0.5 missed paraphrases) and
# checked, unchanged, with the same texts hidden among 2,000 and 20,000 others.
IDEA_SIMILARITY = 0.45
# Words a text's proposal needs for texts with the same proposal to be one idea: fewer say too little.
_PROPOSAL_MIN_WORDS = 3
# At most this many members of one idea are read to choose its label: a campaign of thousands says one thing.
_LABEL_SAMPLE = 200
_LABEL_MAX_WORDS = 16


class _Components:
    """Union-find over duplicate groups that joins two components only when every pair across them is linked
    (complete linkage: no idea grows by a chain of links through a crowd) and none is a separated pair."""

    def __init__(self, keys: Iterable[Hashable], apart: Mapping[Hashable, set], linked: set[frozenset]) -> None:
        self.linked = linked
        self.parent = {key: key for key in keys}
        # Per component root: the groups it must never hold together with.
        self.apart = {key: set(apart.get(key, ())) for key in self.parent}
        self.members = {key: {key} for key in self.parent}

    def find(self, key: Hashable) -> Hashable:
        root = key
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[key] != root:
            self.parent[key], key = root, self.parent[key]
        return root

    def union(self, a: Hashable, b: Hashable) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if self.apart[ra] & self.members[rb]:
            return False
        # Each group links to at most a few others, so a component stays small and this check cheap.
        if any(frozenset((x, y)) not in self.linked for x in self.members[ra] for y in self.members[rb]):
            return False
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.members[ra] |= self.members.pop(rb)
        self.apart[ra] |= self.apart.pop(rb)
        return True


def group_ideas(
    *,
    ids: list,
    canonical: list,
    similar: Sequence[list[list]],
    separate: frozenset[frozenset] = frozenset(),
    proposals: Sequence[int] | None = None,
) -> list:
    """The idea key of each item (the id of the idea's first item in input order), given each item's duplicate-group
    canonical id and its similar list [[id, score], ...] best first. Items of one duplicate group share an idea, and
    so do duplicate groups whose first items have one ``proposals`` key (``proposal_key``, 0 for none).
    Pairs in `separate` (a reviewer said: not the same) are never in one idea."""
    if len(ids) != len(canonical) or len(ids) != len(similar):
        raise ValueError("ids, canonical and similar must be of the same length")
    if proposals is not None and len(proposals) != len(ids):
        raise ValueError("proposals must be of the same length as ids")
    group_of = dict(zip(ids, canonical, strict=True))
    apart = _apart(separate, group_of)
    if proposals is not None:
        # From here on, a «group» is the groups that propose one thing in one wording.
        unit_of = _proposal_units(canonical, proposals, apart)
        group_of = {item_id: unit_of[group] for item_id, group in group_of.items()}
        apart = _apart(separate, group_of)
    groups = list(dict.fromkeys(group_of.values()))

    # A group's neighbours: the best score with which any of its members lists a member of another group.
    neighbours: dict[Hashable, dict[Hashable, float]] = defaultdict(dict)
    for item_id, sims in zip(ids, similar, strict=True):
        own = group_of[item_id]
        seen = 0
        for other_id, score in sims or ():
            other = group_of.get(other_id)
            if other is None or other == own:
                continue
            best = neighbours[own]
            if other not in best:
                seen += 1
                if seen > IDEA_NEIGHBOURS:
                    break
            best[other] = max(best.get(other, float("-inf")), float(score))

    edges = []
    for group, best in neighbours.items():
        for other, score in best.items():
            if score >= IDEA_SIMILARITY and group in neighbours.get(other, {}):
                mutual = min(score, neighbours[other][group])
                if mutual >= IDEA_SIMILARITY and _order(group) < _order(other):
                    edges.append((mutual, group, other))
    # Strongest links first: when a reviewer's separation forbids one of two joins, the clearer one wins.
    edges.sort(key=lambda edge: (-edge[0], _order(edge[1]), _order(edge[2])))
    components = _Components(groups, apart, {frozenset((a, b)) for _, a, b in edges})
    for _, a, b in edges:
        components.union(a, b)

    first_item: dict[Hashable, Hashable] = {}
    keys = []
    for item_id in ids:
        root = components.find(group_of[item_id])
        keys.append(first_item.setdefault(root, item_id))
    return keys


def _apart(separate: frozenset[frozenset], group_of: Mapping) -> dict[Hashable, set]:
    """Per group, the groups a reviewer's separated pairs keep it apart from."""
    apart: dict[Hashable, set] = defaultdict(set)
    for pair in separate:
        a, b = tuple(pair) if len(pair) == 2 else (None, None)
        ga, gb = group_of.get(a), group_of.get(b)
        if ga is not None and gb is not None and ga != gb:
            apart[ga].add(gb)
            apart[gb].add(ga)
    return apart


def _proposal_units(canonical: list, proposals: Sequence[int], apart: Mapping) -> dict:
    """Each duplicate group's unit: the first group, in input order, whose first item has its proposal key, unless
    a reviewer kept one of that unit's groups apart from it (then the next such unit, or its own)."""
    unit_of: dict = {}
    units: dict[int, list[tuple[Hashable, set]]] = defaultdict(list)  # key -> [(unit, its groups)]
    for group, key in zip(canonical, proposals, strict=True):
        if group in unit_of:  # a group's key is its first item's
            continue
        unit = group
        if key:
            kept_apart = apart.get(group, set())
            for candidate, members in units[key]:
                if not kept_apart & members:
                    unit = candidate
                    members.add(group)
                    break
            else:
                units[key].append((group, {group}))
        unit_of[group] = unit
    return unit_of


def proposal_key(display: str) -> int:
    """What a display-form text proposes, as a number (0 when too little is left to tell): each line's main clauses
    (``main_clauses``), without the greeting or opening, in match form.  Texts with one key ask for the same thing
    in the same words and differ only in how they open and in the reason they give: one idea, however many of
    them a campaign sends and whatever each adds of its own («… تعطیل رسمی اعلام شود تا همه بتوانند …»)."""
    words = []
    for line in display.split("\n"):
        if line.strip():
            words += spaced_fold(without_opening(main_clauses(without_opening(line)))).split()
    if len(words) < _PROPOSAL_MIN_WORDS:
        return 0
    # Without the spaces, as match forms are: «صف‌های», «صف های» and «صفهای» are one word written three ways.
    digest = hashlib.blake2b("".join(words).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True) or 1


def idea_similar(similar: Sequence[list[list]], ids: list, lexical, dense=None) -> Sequence[list[list]]:
    """Each similar list re-scored for ideas, best first: the mean of the lexical cosine and the cosine of the
    e5 vectors less the collection's mean (the lexical cosine alone without e5).

    Raw e5 cosines of any two suggestions on one subject sit near 0.9, so a mix with them ranks well but
    cannot say «the same idea»; centred, unrelated texts sit near 0 and a paraphrase stands out.  Only the
    listed pairs are scored: the cost is k products per text.  ``lexical`` (sparse, unit rows) and ``dense``
    (unit rows or None) are row-aligned with ``ids``; a dense row of zeros or NaN counts by its words alone.

    The scores are kept in one array and each list is made when it is read: a copy of every list as Python
    lists, beside the lists themselves, was most of the peak of a million texts' analysis.
    """
    import numpy as np

    row = {item_id: n for n, item_id in enumerate(ids)}
    lengths = np.fromiter((len(sims or ()) for sims in similar), dtype=np.int64, count=len(similar))
    total = int(lengths.sum())
    if not total:
        return [[] for _ in similar]
    left = np.repeat(np.arange(len(similar), dtype=np.int64), lengths)
    right = np.fromiter((row[other] for sims in similar for other, _ in sims or ()), dtype=np.int64, count=total)
    del row
    scores = pair_dots(lexical, left, right)
    if dense is not None:
        centred, _ = centred_rows(dense)
        present = centred.any(axis=1)
        if present.any():
            both = present[left] & present[right]
            meaning = pair_dots(centred, left, right)
            scores = np.where(both, (scores + meaning) / 2, scores)
    starts = np.concatenate(([0], np.cumsum(lengths)))
    return _Rescored(similar, scores, starts)


class _Rescored(Sequence):
    """``idea_similar``'s lists, each made from the score array when it is read."""

    def __init__(self, similar: Sequence[list[list]], scores, starts) -> None:
        self._similar, self._scores, self._starts = similar, scores, starts

    def __len__(self) -> int:
        return len(self._similar)

    def __getitem__(self, n):
        if isinstance(n, slice):
            return [self[i] for i in range(*n.indices(len(self)))]
        n = range(len(self))[n]  # a negative index counts from the end; past the end raises IndexError
        scores = self._scores[self._starts[n] : self._starts[n + 1]]
        listed = self._similar[n] or ()
        pairs = [[other, round(float(score), 4)] for (other, _), score in zip(listed, scores, strict=True)]
        return sorted(pairs, key=lambda pair: -pair[1])

    def __iter__(self) -> Iterator[list[list]]:
        return (self[n] for n in range(len(self)))


def _order(key: Hashable) -> tuple[str, str]:
    return (type(key).__name__, str(key))


_OPENINGS = re.compile(
    r"^(?:(?:با\s*(?:عرض\s*)?سلام(?:\s*و\s*احترام)?|سلام|با\s*احترام|احتراما|ضمن\s*عرض\s*سلام)[\s،,.!]*)?"
    r"(?:به\s*نظر\s*(?:من|بنده)[\s،,]*)?"
    r"(?:(?:من\s*)?(?:پیشنهاد\s*(?:می|می\u200c)?\s*(?:کنم|دهم|کنیم|دهیم|دارم|داریم)|لطفا|لطفاً|خواهشا|خواهشمندم|"
    r"بهتر\s*(?:است|هست)|"
    r"پیشنهاد\s*(?:من|بنده|ما)\s*(?:این\s*(?:است|هست)|اینست|اینه)|"
    r"درخواست\s*(?:دارم|داریم|می\s*\u200c?کنم))[\s،,:]*(?:که\s+)?)?"
)


def without_opening(text: str) -> str:
    """A text without the greeting and the «پیشنهاد می‌کنم», «پیشنهاد بنده این است که», «بهتر است» or «لطفا» it
    opens with."""
    return _OPENINGS.sub("", text.strip(), count=1)


def _clause(text: str, *, displayed: bool = False) -> str:
    """A text's main clause without greetings or «پیشنهاد می‌کنم», as written, first sentence only. A display form
    (`displayed`) is not normalised again: that changed nothing and took two thirds of a re-clustering's labelling
    (28 s of 43 s at 100,000 suggestions)."""
    clause = main_clauses(without_opening(text if displayed else display_form(text))).strip()
    clause = re.split(r"(?<=[.!?؟؛])\s", clause, maxsplit=1)[0]
    # An opening a leading reason («برای اینکه …،») stood before, which main_clauses has taken away.
    clause = without_opening(clause).strip(" .،,!؟?؛:")
    words = clause.split()
    if len(words) > _LABEL_MAX_WORDS:
        clause = " ".join(words[:_LABEL_MAX_WORDS]) + " …"
    return clause


def idea_labels(members: dict, texts: dict, *, displayed: bool = False) -> dict:
    """idea key -> label: the clearest title or main clause among its members' texts (members: key -> [ids]);
    `displayed`: the texts are display forms already."""
    labels = {}
    for key, member_ids in members.items():
        present = [m for m in member_ids if m in texts and texts[m] and texts[m].strip()]
        if not present:
            labels[key] = ""
            continue
        if len(present) > _LABEL_SAMPLE:
            step = len(present) / _LABEL_SAMPLE
            present = [present[int(i * step)] for i in range(_LABEL_SAMPLE)]
        # One candidate per distinct wording; the one whose words the idea's other wordings share most stands for it.
        clauses = {}
        for member in present:
            clause = _clause(texts[member], displayed=displayed)
            if clause:
                clauses.setdefault(match_form(clause), clause)
        if not clauses:
            labels[key] = display_form(texts[present[0]]).strip()
            continue
        labels[key] = _clearest(clauses)
    return labels


def _clearest(clauses: dict[str, str]) -> str:
    """The wording whose words the other wordings share most; the shorter one (a title, not a paragraph) on a tie."""
    words = {form: set(content_words(clause)) for form, clause in clauses.items()}
    used = Counter(word for bag in words.values() for word in bag)

    def clarity(form: str) -> tuple[float, int, str]:
        bag = words[form]
        return (-sum(used[word] - 1 for word in bag) / max(len(bag), 1), len(clauses[form].split()), form)

    return clauses[min(clauses, key=clarity)]


def carry_ids(previous: dict, current: dict) -> dict:
    """Stable ids across re-clusterings: previous idea id -> set of member ids, current idea key -> set of member ids;
    returns current key -> previous id it continues (greatest overlap, each previous id used once) or None for new."""
    owner = {}
    for previous_id, member_ids in previous.items():
        for member in member_ids:
            owner[member] = previous_id
    overlaps: list[tuple[int, str, str, Hashable, Hashable]] = []
    for key, member_ids in current.items():
        counts = Counter(owner[m] for m in member_ids if m in owner)
        overlaps.extend((-n, *_order(key), key, previous_id) for previous_id, n in counts.items())
    overlaps.sort(key=lambda row: (row[0], row[1], row[2], _order(row[4])))
    result: dict = dict.fromkeys(current)
    used = set()
    for _, _, _, key, previous_id in overlaps:
        if result[key] is None and previous_id not in used:
            result[key] = previous_id
            used.add(previous_id)
    return result
