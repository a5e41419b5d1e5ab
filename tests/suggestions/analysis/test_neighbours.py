import logging
import os
import signal

import numpy as np
import pytest
from scipy import sparse

from benchmarks.harness.corpus import generate
from suggestions.analysis import analyze_corpus, corpus, display_form, duplicate_groups, match_form
from suggestions.analysis.corpus import similar_lists
from suggestions.analysis.neighbours import CandidateIndex
from suggestions.analysis.parallel import WorkerLost
from suggestions.analysis.vectors import LexicalVectorizer


def _collection(size: int):
    items = generate(size, seed=3)
    ids = [item.id for item in items]
    matches = [match_form(display_form(item.text)) for item in items]
    canonical, signatures = duplicate_groups(ids, matches)
    vectors = LexicalVectorizer().fit_transform([display_form(item.text) for item in items])
    return ids, canonical, matches, signatures, vectors


def test_the_index_finds_the_same_most_similar_texts_as_the_full_product_on_a_small_collection():
    ids, canonical, matches, signatures, vectors = _collection(600)
    exact = similar_lists(ids, canonical, matches, signatures, vectors, exact_limit=10**9)
    approximate = similar_lists(ids, canonical, matches, signatures, vectors, exact_limit=0)
    assert all(exact)
    same = sum(a == b for a, b in zip(exact, approximate, strict=True))
    assert same / len(ids) >= 0.97
    assert sum(a[0] == b[0] for a, b in zip(exact, approximate, strict=True)) / len(ids) >= 0.99


def test_copies_of_one_text_are_searched_once_and_share_one_list(caplog):
    ids = [item.id for item in generate(300, seed=3)]
    copies = ["c1", "c2", "c3"]
    text = "پیشنهاد می‌کنم ساعت رای‌گیری در شهرهای بزرگ تا ساعت ۲۴ تمدید شود"
    records = [(item_id, text) for item_id in copies] + [(i, t) for i, t in zip(ids, _texts(300), strict=True)]
    with caplog.at_level(logging.DEBUG, logger="suggestions.analysis.corpus"):
        result = {row["id"]: row for row in analyze_corpus(records, semantic=False, n_themes=5)}
    distinct = len({match_form(display_form(t)) for _, t in records})
    assert f"{distinct} distinct forms searched for {len(records)} texts" in caplog.text
    assert result["c1"]["similar"] == result["c2"]["similar"] == result["c3"]["similar"]
    assert not {item_id for item_id, _ in result["c1"]["similar"]} & set(copies)


def _texts(size: int) -> list[str]:
    return [item.text for item in generate(size, seed=3)]


def test_invisible_and_empty_texts_get_no_similar_texts_and_no_theme_and_are_no_ones_similar():
    records = [(f"s{n}", text) for n, text in enumerate(_texts(200))] + [("blank", "\u200c\u200f "), ("dots", "...")]
    result = {row["id"]: row for row in analyze_corpus(records, semantic=False, n_themes=4)}
    for item_id in ("blank", "dots"):
        assert result[item_id]["similar"] == []
        assert result[item_id]["cluster"] is None
    listed = {other for row in result.values() for other, _ in row["similar"]}
    assert not listed & {"blank", "dots"}


def test_a_text_whose_words_give_zeros_is_no_ones_candidate_and_one_with_a_nan_e5_vector_is_placed_by_words():
    rng = np.random.default_rng(0)
    rows = rng.random((300, 40)).astype(np.float32)
    rows[7] = 0
    dense = rng.random((300, 8)).astype(np.float32)
    dense[11, 3] = np.nan
    index = CandidateIndex(sparse.csr_matrix(rows), dense, dense_weight=0.5, exact_limit=0, dimensions=16)
    found = index.candidates(np.arange(300), 10)
    assert len(found[7]) == 0
    assert all(7 not in f for f in found)
    assert all(len(f) == 10 for n, f in enumerate(found) if n != 7)


def test_an_index_of_nothing_but_zeros_answers_with_no_candidates():
    index = CandidateIndex(sparse.csr_matrix((50, 20), dtype=np.float32), exact_limit=0)
    assert all(len(f) == 0 for f in index.candidates(np.arange(50), 5))


def test_a_collection_above_the_character_limit_is_vectorised_on_its_words_alone_and_stays_so():
    texts = [display_form(text) for text in _texts(60)]
    vectorizer = LexicalVectorizer(chars_limit=50)
    fitted = vectorizer.fit_transform(texts)
    assert fitted.shape[1] == len(vectorizer.words.vocabulary_)
    assert vectorizer.transform(texts[:3]).shape[1] == fitted.shape[1]
    with_chars = LexicalVectorizer(chars_limit=100).fit_transform(texts)
    assert with_chars.shape[1] > fitted.shape[1]


def _exact_nearest(index: CandidateIndex, count: int) -> list[set]:
    scores = index.points @ index.points.T
    np.fill_diagonal(scores, -np.inf)
    return [set(np.argsort(-row, kind="stable")[:count].tolist()) for row in scores]


def test_a_graph_in_shards_finds_nearly_all_of_the_exact_nearest_rows_and_never_the_row_itself():
    _, _, _, _, vectors = _collection(800)
    index = CandidateIndex(vectors, exact_limit=0, shard_above=200)
    assert len(index.shards) == 2
    found = index.candidates(np.arange(vectors.shape[0]), 10)
    exact = _exact_nearest(index, 10)
    assert all(row not in f for row, f in enumerate(found))
    assert all(len(f) == 10 for f in found)
    recall = np.mean([len(set(f.tolist()) & e) / 10 for f, e in zip(found, exact, strict=True)])
    assert recall >= 0.9


def test_a_graph_in_shards_gives_the_same_candidates_every_time_it_is_built():
    _, _, _, _, vectors = _collection(800)
    first = CandidateIndex(vectors, exact_limit=0, shard_above=200).candidates(np.arange(800), 10)
    second = CandidateIndex(vectors, exact_limit=0, shard_above=200).candidates(np.arange(800), 10)
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


def test_in_a_graph_in_shards_a_row_of_zeros_is_no_ones_candidate_and_one_usable_row_has_no_other():
    rng = np.random.default_rng(0)
    rows = rng.random((300, 40)).astype(np.float32)
    rows[7] = 0
    found = CandidateIndex(sparse.csr_matrix(rows), exact_limit=0, dimensions=16, shard_above=50).candidates(
        np.arange(300), 10
    )
    assert len(found[7]) == 0
    assert all(7 not in f for f in found)
    lonely = np.zeros((60, 40), dtype=np.float32)
    lonely[5, 3] = 1
    index = CandidateIndex(sparse.csr_matrix(lonely), exact_limit=0, dimensions=16, shard_above=0)
    assert len(index.shards) == 1
    assert all(len(f) == 0 for f in index.candidates(np.arange(60), 5))


def test_the_similar_lists_are_the_same_whether_the_forms_are_searched_a_few_or_many_at_a_time(monkeypatch):
    ids, canonical, matches, signatures, vectors = _collection(700)
    many = similar_lists(ids, canonical, matches, signatures, vectors, exact_limit=0)
    monkeypatch.setattr("suggestions.analysis.corpus._CHUNK", 7)
    monkeypatch.setattr("suggestions.analysis.corpus.PAIR_BLOCK", 5)
    few = similar_lists(ids, canonical, matches, signatures, vectors, exact_limit=0)
    assert sum(bool(lists) for lists in many) > 600
    assert few == many


def test_the_similar_lists_are_the_same_when_two_threads_search_the_chunks_side_by_side(monkeypatch):
    ids, canonical, matches, signatures, vectors = _collection(700)
    monkeypatch.setattr("suggestions.analysis.corpus._CHUNK", 7)  # many chunks, two at a time
    side_by_side = similar_lists(ids, canonical, matches, signatures, vectors, exact_limit=0)
    monkeypatch.setattr(corpus, "on_threads", lambda function, tasks: map(function, tasks))
    one_after_another = similar_lists(ids, canonical, matches, signatures, vectors, exact_limit=0)
    assert sum(bool(lists) for lists in side_by_side) > 600
    assert side_by_side == one_after_another


def test_the_similar_lists_are_the_same_when_forked_processes_search_the_forms():
    ids, canonical, matches, signatures, vectors = _collection(700)
    alone = similar_lists(ids, canonical, matches, signatures, vectors, exact_limit=0)
    shared = similar_lists(ids, canonical, matches, signatures, vectors, exact_limit=0, workers=3)
    assert sum(bool(lists) for lists in alone) > 600
    assert shared == alone
    exact = similar_lists(ids, canonical, matches, signatures, vectors, exact_limit=10**9, workers=2)
    assert exact == similar_lists(ids, canonical, matches, signatures, vectors, exact_limit=10**9)


def _search_killed_in_a_forked_process(start, **kwargs):
    if os.getpid() != _PARENT:
        os.kill(os.getpid(), signal.SIGKILL)
    return corpus._best_of_chunk(start, **kwargs)


_PARENT = os.getpid()


def test_the_similar_lists_of_a_killed_search_process_fail_rather_than_come_out_short(
    monkeypatch, fails_rather_than_waits
):
    ids, canonical, matches, signatures, vectors = _collection(700)
    monkeypatch.setattr(corpus, "_best_of_chunk", _search_killed_in_a_forked_process)
    with pytest.raises(WorkerLost):
        similar_lists(ids, canonical, matches, signatures, vectors, exact_limit=0, workers=2)
    assert corpus._list_search is None
