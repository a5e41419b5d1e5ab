"""The engine on its own, without Django: one text at a time through a MemoryIndex, or a collection at once."""

import json
import logging

import numpy as np
import pytest

from suggestions.analysis import analyze_corpus
from suggestions.analysis.engine import Engine, MemoryIndex, mixed_scores, offered_lists, rank_similar
from tests.shared_data import DEV_SET
from tests.suggestions.ideas import HOURS, IDEAS


def feed(texts: list[str], *, recluster_every: int = 0) -> tuple[Engine, MemoryIndex, dict[int, list]]:
    """Each text through ``analyze_one`` in turn, its list offered to those it names, and the collection
    re-clustered every ``recluster_every`` texts (the lists then searched again), as the portal does."""
    engine = Engine()
    index = MemoryIndex(engine)
    lists: dict[int, list] = {}
    for number, text in enumerate(texts):
        result = engine.analyze_one(text, index=index)
        index.add(number, result)
        lists[number] = result.similar
        listed = {owner: dict(lists[owner]) for owner, _ in result.similar}
        lists.update(offered_lists(number, result.similar, listed))
        if recluster_every and (number + 1) % recluster_every == 0:
            recluster(engine, index, lists)
    return engine, index, lists


def recluster(engine: Engine, index: MemoryIndex, lists: dict[int, list]) -> None:
    ids = list(index.signatures)
    groups = [index.group.get(i, i) for i in ids]
    signatures = np.vstack([index.signatures[i] for i in ids])
    collection = engine.analyze_collection(ids, [index.displays[i] for i in ids], groups, signatures)
    lists.update({i: [tuple(pair) for pair in similar] for i, similar in zip(ids, collection.similar, strict=True)})
    index.themes = {i: theme for i, theme in zip(ids, collection.themes.tolist(), strict=True) if theme >= 0}


def test_a_respelled_copy_joins_the_group_of_the_first_text():
    variant = HOURS.replace("۲۴", "24").replace("می‌کنم", "میکنم")
    _, index, _ = feed([HOURS, IDEAS["masks"][0], variant])
    assert index.group[2] == 0


def test_a_different_idea_starts_no_group_and_is_listed_as_similar_only():
    _, index, lists = feed([HOURS, IDEAS["hours"][1], IDEAS["masks"][0]])
    assert 1 not in index.group
    assert lists[1][0][0] == 0


def test_an_earlier_text_lists_the_later_texts_offered_to_it():
    _, _, lists = feed([HOURS, IDEAS["masks"][0], IDEAS["hours"][1]])
    assert [other for other, _ in lists[0]][0] == 2


def test_an_invisible_text_is_refused_with_a_log_line_and_the_next_one_is_analyzed(caplog):
    engine = Engine()
    index = MemoryIndex(engine)
    index.add(0, engine.analyze_one(HOURS, index=index))
    with caplog.at_level(logging.WARNING, logger="suggestions.analysis.engine"):
        refused = engine.analyze_one("\u200c\u200f  \u200b", index=index)
    assert refused.refused and refused.group is None and refused.similar == []
    assert "not analyzed" in caplog.text
    index.add(1, refused)
    copy = engine.analyze_one(HOURS, index=index)
    assert copy.group == 0


def test_a_ranking_puts_the_earlier_text_first_on_a_tie_and_leaves_out_its_own_group():
    assert rank_similar({5: 0.4, 3: 0.4, 9: 0.9, 1: 0.0}, excluded={9}) == [(3, 0.4), (5, 0.4)]


def test_a_text_is_not_offered_to_a_list_whose_five_are_all_closer():
    listed = {7: {1: 0.9, 2: 0.8, 3: 0.7, 4: 0.6, 5: 0.5}}
    assert offered_lists(8, [(7, 0.4)], listed) == {}
    assert offered_lists(8, [(7, 0.65)], listed)[7][3] == (8, 0.65)


@pytest.fixture(scope="module")
def dev_rows():
    if not DEV_SET.exists():
        pytest.skip(f"the development set is not at {DEV_SET}")
    return [json.loads(line) for line in DEV_SET.open(encoding="utf-8")]


def test_the_dev_set_one_text_at_a_time_gives_the_groups_and_lists_of_the_whole_file(dev_rows):
    texts = [row["text"] for row in dev_rows]
    batch = analyze_corpus(list(enumerate(texts)), semantic=False)
    engine, index, lists = feed(texts, recluster_every=10)
    recluster(engine, index, lists)  # as the portal's last re-clustering
    assert [index.group.get(i, i) for i in range(len(texts))] == [
        r["id"] if r["duplicate_of"] is None else r["duplicate_of"] for r in batch
    ]
    assert [[list(pair) for pair in lists[i]] for i in range(len(texts))] == [r["similar"] for r in batch]


def test_a_candidate_with_meaning_scores_the_mean_of_both_cosines_raised_to_its_overlap():
    scores = mixed_scores({1: 0.2, 2: 0.2, 3: 0.3}, {1: 0.8, 2: 0.1}, {2: 0.7}, fallback={3: 0.35})
    assert scores == pytest.approx({1: 0.5, 2: 0.7, 3: 0.35})


def test_invisible_texts_in_a_file_are_no_ones_duplicates_as_in_the_portal():
    records = [("a", HOURS), ("b", "\u200c\u200b"), ("c", " \u200f "), ("d", HOURS)]
    by_id = {item["id"]: item for item in analyze_corpus(records, semantic=False)}
    assert by_id["b"]["duplicate_of"] is None and by_id["c"]["duplicate_of"] is None
    assert by_id["b"]["similar"] == [] and by_id["c"]["cluster"] is None
    assert by_id["d"]["duplicate_of"] == "a"


def test_results_given_one_at_a_time_are_those_of_the_whole_collection_and_refuse_bad_ids_at_once():
    texts = [HOURS, IDEAS["masks"][0], HOURS, IDEAS["masks"][1]]
    one_at_a_time = Engine().iter_many(list(enumerate(texts)), semantic=False)
    assert list(one_at_a_time) == Engine().analyze_many(list(enumerate(texts)), semantic=False)
    with pytest.raises(ValueError):
        Engine().iter_many([(1, HOURS), (1, IDEAS["masks"][0])], semantic=False)


# A text that shares a whole word with the typed one, and one that shares only parts of its words: character
# n-grams put the second first (0.24 against 0.20), words alone the first (0.19 against 0.14, its shingle overlap).
SHARED_WORD = "دوچرخه برای مدرسه بدهید"
SHARED_FRAGMENTS = "دوچرخه‌سواری و اشتراک‌گذاری خیابانی"
TYPED = "دوچرخه اشتراکی در خیابان بگذارید"


def test_a_similar_list_ranks_a_text_sharing_whole_words_above_one_sharing_parts_of_words():
    by_id = {
        item["id"]: item
        for item in analyze_corpus(list(enumerate([SHARED_WORD, SHARED_FRAGMENTS, TYPED])), semantic=False)
    }
    assert [other for other, _ in by_id[2]["similar"]][0] == 0


def test_before_the_first_clustering_a_list_also_ranks_by_whole_words():
    _, _, lists = feed([SHARED_WORD, SHARED_FRAGMENTS, TYPED])
    assert [other for other, _ in lists[2]][0] == 0


def analyzed_in_turns(texts: list[str], *, clustered: int, batch: int) -> list:
    """(group, similar, theme) of each text after the first ``clustered``, which are analyzed one at a time and
    then clustered: the rest one at a time (``batch`` 1) or ``batch`` at a time through ``analyze_batch``."""
    engine, index, lists = feed(texts[:clustered])
    if clustered:
        recluster(engine, index, lists)
    found = []
    rest = list(enumerate(texts))[clustered:]
    for start in range(0, len(rest), batch):
        items = rest[start : start + batch]
        if batch == 1:
            results = [engine.analyze_one(items[0][1], index=index)]
        else:
            results = engine.analyze_batch(items, index=index)
        for (number, _), result in zip(items, results, strict=True):
            index.add(number, result)
            found.append((result.group, result.similar, result.theme, result.refused))
    return found


@pytest.mark.parametrize("clustered", [0, 40], ids=["before-the-first-clustering", "clustered"])
def test_texts_analyzed_together_get_what_each_gets_after_the_ones_before_it(dev_rows, clustered):
    texts = [row["text"] for row in dev_rows]
    texts[clustered + 3] = "\u200c\u200b"  # a text with nothing left in a batch
    one_by_one = analyzed_in_turns(texts, clustered=clustered, batch=1)
    assert analyzed_in_turns(texts, clustered=clustered, batch=16) == one_by_one
    assert any(group is not None for group, *_ in one_by_one)


def test_a_text_in_a_batch_meets_none_of_the_texts_it_was_kept_apart_from():
    engine = Engine()
    index = MemoryIndex(engine)
    results = engine.analyze_batch(
        [(0, HOURS), (1, IDEAS["masks"][0]), (2, HOURS)], index=index, focus=lambda i: {i, 0} if i == 2 else {i}
    )
    assert results[2].group is None
    assert 0 not in dict(results[2].similar) and 1 in dict(results[2].similar)
