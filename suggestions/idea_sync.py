"""The re-clustering's ideas step: group the analyzed suggestions into ideas (`suggestions.analysis.ideas`) from
their duplicate groups and similar lists, label each, and save them through `grouping.write_ideas`, which keeps
stable ids and reviewers' moves. Called once per re-clustering, after its themes are written, so each idea is
placed in the theme its members are in."""

from collections.abc import Iterable

from suggestions import grouping
from suggestions.analysis.ideas import group_ideas, idea_labels
from suggestions.models import SeparatePair, SimilarSuggestion

# Members of one idea read to label it: a campaign of thousands says one thing.
LABEL_SAMPLE = 20
# Rows of the similar lists read per query: a million suggestions have about five million of them.
_CHUNK = 20000


def sync_ideas(rows: Iterable[tuple[int, str, int | None]], *, keys: list) -> dict:
    """`rows`: (suggestion id, display text, canonical id of its duplicate group or None), one per analyzed
    suggestion with words; `keys`: each row's idea key, as the engine grouped them. Returns figures."""
    rows = list(rows)
    if not rows:
        return {"ideas": 0}
    ids = [pk for pk, _, _ in rows]
    members: dict = {}
    for pk, key in zip(ids, keys, strict=True):
        members.setdefault(key, []).append(pk)
    texts = {pk: text for pk, text, _ in rows}
    # Labelling costs about 0.2 ms a suggestion: grouping asks only for the ideas that are new or changed members.
    written = grouping.write_ideas(members=members, labels=lambda keys: label_ideas(keys, members, texts))
    return {"ideas": sum(len(parts) for parts in written.values())}


def stored_idea_keys(ids: list[int], canonical: list[int], proposals: list[int]) -> list:
    """Each suggestion's idea key (`group_ideas`), from its duplicate group's canonical id, its proposal key, the
    stored similar lists and the pairs reviewers kept apart: how a collection too large to search its lists again
    groups its ideas."""
    return group_ideas(
        ids=ids,
        canonical=canonical,
        similar=similar_lists(ids),
        separate=separated_pairs(),
        proposals=proposals,
    )


def label_ideas(keys, members: dict, texts: dict[int, str]) -> dict:
    """Each idea's label: the clearest of its members' titles and main clauses. A display text is the title, a
    line break, then the body; each is a candidate of its own, since the first sentence of the two run together
    would read «ماسک رایگان در شعبه‌ها با سلام». At most LABEL_SAMPLE members of an idea, spread over it, are read."""
    candidates: dict = {}
    wordings: dict[tuple[int, int], str] = {}
    for key in keys:
        chosen = members[key]
        if len(chosen) > LABEL_SAMPLE:
            step = len(chosen) / LABEL_SAMPLE
            chosen = [chosen[int(n * step)] for n in range(LABEL_SAMPLE)]
        candidates[key] = []
        for pk in chosen:
            title, _, body = texts.get(pk, "").partition("\n")
            for part, text in enumerate((title, body)):
                if text.strip():
                    wordings[(pk, part)] = text
                    candidates[key].append((pk, part))
    return idea_labels(candidates, wordings, displayed=True)


def similar_lists(ids: list[int]) -> list[list[tuple[int, float]]]:
    """Each suggestion's stored similar list, [(other id, score), ...] best first, in the order of `ids`. Pairs are
    tuples: a million suggestions hold five million of them, and a tuple is half the memory of a list."""
    lists: dict[int, list[tuple[int, float]]] = {}
    stored = SimilarSuggestion.objects.order_by("suggestion_id", "rank").values_list(
        "suggestion_id", "other_id", "score"
    )
    for pk, other, score in stored.iterator(chunk_size=_CHUNK):
        lists.setdefault(pk, []).append((other, score))
    return [lists.get(pk, []) for pk in ids]


def separated_pairs() -> frozenset[frozenset]:
    """The pairs reviewers said are not the same: never in one idea."""
    return frozenset(frozenset(pair) for pair in SeparatePair.objects.values_list("first_id", "second_id"))
