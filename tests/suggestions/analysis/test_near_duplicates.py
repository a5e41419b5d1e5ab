import socket
import uuid

import numpy as np
import pytest

from suggestions.analysis import (
    MemoryBandIndex,
    RedisBandIndex,
    estimated_jaccard,
    find_near_duplicates,
    find_near_duplicates_batch,
    group_kind,
    match_form,
    rebuild_index,
    signature,
    signature_from_bytes,
    signature_to_bytes,
)
from suggestions.analysis.lsh import BANDS
from suggestions.analysis.minhash import signature_of_match_form, signatures_of_match_forms

TEMPLATE = (
    "با سلام، اینجانب به عنوان یک شهروند درخواست دارم که ستاد انتخابات کشور رای‌گیری الکترونیکی را در همه "
    "شهرها اجرا کند تا مردم در دوران کرونا مجبور به حضور در شعبه‌های شلوغ نباشند و سلامت همه حفظ شود."
)
CAMPAIGN_COPY = TEMPLATE.replace("درخواست دارم", "خواهش می‌کنم").replace("شلوغ", "پرجمعیت")
OTHER_IDEA = (
    "تعرفه‌های رای از طریق شرکت ملی پست به نشانی خانوارها ارسال شود و پس از تکمیل، در پاکت مهر و موم شده "
    "بازگردانده شود تا سالمندان از خانه خارج نشوند."
)


def test_signature_has_128_values_and_round_trips_through_bytes():
    sig = signature(TEMPLATE)
    data = signature_to_bytes(sig)
    assert sig.shape == (128,)
    assert len(data) == 512
    assert np.array_equal(signature_from_bytes(data), sig)


def test_signature_from_bytes_rejects_a_truncated_value():
    with pytest.raises(ValueError):
        signature_from_bytes(b"\x00" * 100)


def test_spelling_variants_have_the_same_signature():
    assert np.array_equal(signature("صندوق‌های سیار"), signature("صندوقهاي سيار"))


def test_campaign_copy_with_swapped_words_is_found_as_near_duplicate():
    index = MemoryBandIndex()
    index.add("template", signature(TEMPLATE))
    index.add("other", signature(OTHER_IDEA))
    found = find_near_duplicates(signature(CAMPAIGN_COPY), index)
    assert [d.id for d in found] == ["template"]
    assert found[0].score >= 0.55


def test_a_different_idea_is_not_a_near_duplicate():
    index = MemoryBandIndex()
    index.add("template", signature(TEMPLATE))
    assert find_near_duplicates(signature(OTHER_IDEA), index) == []


def test_estimated_jaccard_of_unrelated_texts_is_low():
    assert estimated_jaccard(signature(TEMPLATE), signature(OTHER_IDEA)) < 0.2


def test_memory_index_finds_items_after_the_pending_tail_is_merged():
    index = MemoryBandIndex()
    rng = np.random.default_rng(1)
    noise = rng.integers(0, 2**32, size=(300_000 // 42 + 10, 128), dtype=np.uint32)
    index.add_many(range(len(noise)), noise)
    index.add("template", signature(TEMPLATE))
    assert "template" in index.query(signature(CAMPAIGN_COPY))
    assert len(index) == len(noise) + 1


def test_removed_item_is_no_longer_a_candidate():
    index = MemoryBandIndex()
    index.add("template", signature(TEMPLATE))
    index.remove("template")
    assert index.query(signature(TEMPLATE)) == []


def test_index_rebuilt_from_stored_bytes_answers_like_the_original():
    stored = {
        "template": signature_to_bytes(signature(TEMPLATE)),
        "other": signature_to_bytes(signature(OTHER_IDEA)),
    }
    index = MemoryBandIndex()
    assert rebuild_index(index, stored) == 2
    assert [d.id for d in find_near_duplicates(signature(CAMPAIGN_COPY), index)] == ["template"]


def test_group_of_one_wording_is_exact_and_a_large_varied_group_is_a_campaign():
    assert group_kind(["a", "a", "a"]) == "exact"
    assert group_kind(["a", "b"]) == "near"
    assert group_kind(["a", "b", "c", "a", "d"]) == "campaign"


def _redis_client():
    redis = pytest.importorskip("redis")
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    return redis.Redis(host="127.0.0.1", port=6379)


@pytest.fixture
def redis_index():
    client = _redis_client()
    index = RedisBandIndex(client, prefix=f"test:lsh:{uuid.uuid4().hex}", store_signatures=True)
    yield index
    index.clear()


def test_redis_index_finds_a_campaign_copy_and_not_a_different_idea(redis_index):
    redis_index.add_many(["1", "2"], [signature(TEMPLATE), signature(OTHER_IDEA)])
    found = find_near_duplicates(signature(CAMPAIGN_COPY), redis_index)
    assert [d.id for d in found] == ["1"]


def test_redis_index_verifies_with_signatures_loaded_from_elsewhere(redis_index):
    redis_index.store_signatures = False
    redis_index.add(7, signature(TEMPLATE))
    database = {"7": signature(TEMPLATE)}
    found = find_near_duplicates(
        signature(CAMPAIGN_COPY), redis_index, signatures_of=lambda ids: {i: database[i] for i in ids}
    )
    assert [d.id for d in found] == ["7"]


def test_a_look_up_given_stored_signatures_as_rows_of_a_matrix_answers_as_one_given_them_one_by_one():
    index = MemoryBandIndex()
    texts = {1: TEMPLATE, 2: CAMPAIGN_COPY, 3: OTHER_IDEA}
    for pk, text in texts.items():
        index.add(pk, signature(text))
    stored = {pk: signature(text) for pk, text in texts.items() if pk != 2}  # 2 is in the index, not stored

    def as_matrix(ids):
        known = [i for i in ids if i in stored]
        return known, np.array([stored[i] for i in known])

    as_rows = find_near_duplicates(signature(CAMPAIGN_COPY), index, signature_matrix=as_matrix)
    one_by_one = find_near_duplicates(
        signature(CAMPAIGN_COPY), index, signatures_of=lambda ids: {i: stored[i] for i in ids if i in stored}
    )
    assert [d.id for d in as_rows] == [d.id for d in one_by_one] == [1]
    assert as_rows == one_by_one


def test_a_redis_look_up_reads_a_bounded_number_of_items_under_one_band_key_and_keeps_the_earliest(redis_index):
    copies = [f"c{i}" for i in range(3 * MemoryBandIndex.MAX_PER_KEY)]
    redis_index.add_many(copies, np.tile(signature(TEMPLATE), (len(copies), 1)))
    earliest = copies[: MemoryBandIndex.MAX_PER_KEY]
    assert redis_index.query(signature(TEMPLATE)) == earliest
    built = f"{redis_index.prefix}:built"
    redis_index.client.set(built, 1)
    (joined,) = redis_index.joined_bands([signature(TEMPLATE)], built_key=built)
    assert joined.decode().split(",") == earliest * BANDS


def test_the_redis_index_keeps_no_more_ids_under_one_band_key_than_a_look_up_reads(redis_index):
    copies = [f"c{i}" for i in range(2 * MemoryBandIndex.MAX_PER_KEY)]
    redis_index.add_many(copies[:10], np.tile(signature(TEMPLATE), (10, 1)))
    for copy in copies[10:]:
        redis_index.add(copy, signature(TEMPLATE))
    redis_index.add(copies[0], signature(TEMPLATE))  # already there: not added twice
    buckets, fields = redis_index.slots(signature(TEMPLATE))
    for bucket, field in zip(buckets, fields, strict=True):
        assert redis_index.client.hget(bucket, field).decode().split(",") == copies[: MemoryBandIndex.MAX_PER_KEY]


def test_redis_index_refuses_an_id_with_a_comma_whichever_way_it_is_added(redis_index):
    for store_signatures in (True, False):
        redis_index.store_signatures = store_signatures
        with pytest.raises(ValueError, match="commas"):
            redis_index.add("7,8", signature(TEMPLATE))
    assert redis_index.query(signature(TEMPLATE)) == []


def test_redis_index_forgets_a_removed_item(redis_index):
    redis_index.add("1", signature(TEMPLATE))
    redis_index.add("2", signature(TEMPLATE))
    redis_index.remove("1", signature(TEMPLATE))
    assert redis_index.query(signature(TEMPLATE)) == ["2"]


def test_redis_index_clear_leaves_no_key_behind(redis_index):
    redis_index.add("1", signature(TEMPLATE))
    redis_index.clear()
    assert list(redis_index.client.scan_iter(match=f"{redis_index.prefix}:*")) == []


def _texts(n, seed=0):
    from benchmarks.harness.corpus import generate

    return [item.text for item in generate(n, seed=seed)]


def test_batch_signatures_equal_one_text_at_a_time():
    forms = [match_form(t) for t in _texts(200)] + ["", "ab", "abcdefgh" * 300]
    batch = signatures_of_match_forms(forms)
    assert np.array_equal(batch, np.vstack([signature_of_match_form(f) for f in forms]))


def test_batch_look_up_answers_like_querying_and_adding_one_at_a_time():
    signatures = signatures_of_match_forms([match_form(t) for t in _texts(600, seed=5)])
    ids = [f"s{i}" for i in range(len(signatures))]
    one_by_one, index = [], MemoryBandIndex()
    for item_id, sig in zip(ids, signatures, strict=True):
        one_by_one.append(find_near_duplicates(sig, index))
        index.add(item_id, sig)
    batched_index = MemoryBandIndex()
    batched = find_near_duplicates_batch(ids[:300], signatures[:300], batched_index)
    batched += find_near_duplicates_batch(ids[300:], signatures[300:], batched_index)
    assert batched == one_by_one
    assert any(batched)
    assert len(batched_index) == len(ids)


def test_a_bulk_add_and_later_single_adds_are_all_found():
    signatures = signatures_of_match_forms([match_form(t) for t in _texts(MemoryBandIndex.BULK_MIN + 10)])
    index = MemoryBandIndex()
    index.add_many(range(MemoryBandIndex.BULK_MIN), signatures[: MemoryBandIndex.BULK_MIN])
    for i in range(MemoryBandIndex.BULK_MIN, len(signatures)):
        index.add(i, signatures[i])
    assert all(i in index.query(sig) for i, sig in enumerate(signatures))


def test_adding_an_id_twice_keeps_one_entry():
    index = MemoryBandIndex()
    index.add_many(["a", "a"], np.vstack([signature(TEMPLATE), signature(OTHER_IDEA)]))
    index.add("a", signature(OTHER_IDEA))
    assert len(index) == 1
    assert index.query(signature(TEMPLATE)) == ["a"]


def test_a_look_up_with_too_many_candidates_verifies_those_sharing_most_bands(monkeypatch):
    monkeypatch.setattr(MemoryBandIndex, "MAX_VERIFIED", 1)
    index = MemoryBandIndex()
    index.add("copy", signature(CAMPAIGN_COPY))
    index.add("template", signature(TEMPLATE))
    assert [i for i, _ in index.near(signature(TEMPLATE), 0.0)] == ["template"]


def test_a_removed_item_is_not_found_by_a_batch_look_up():
    index = MemoryBandIndex()
    index.add("template", signature(TEMPLATE))
    index.remove("template")
    assert find_near_duplicates_batch(["copy"], signature(CAMPAIGN_COPY)[None, :], index) == [[]]


def test_distinct_gives_sorted_values_and_how_often_each_occurs():
    from suggestions.analysis.lsh import distinct

    values, counts = distinct(np.array([5, 3, 5, 9, 3, 5]), counts=True)
    assert values.tolist() == [3, 5, 9]
    assert counts.tolist() == [2, 3, 1]
    assert distinct(np.array([], dtype=np.int64)).tolist() == []


def test_a_batch_look_up_verifies_a_bounded_number_of_candidates_however_many_copies_precede_it(monkeypatch):
    monkeypatch.setattr(MemoryBandIndex, "MAX_VERIFIED", 20)
    copy = signature(CAMPAIGN_COPY)
    index = MemoryBandIndex()
    for start in range(0, 600, 200):
        find_near_duplicates_batch([f"c{i}" for i in range(start, start + 200)], np.tile(copy, (200, 1)), index)
    before = index.verified
    found = find_near_duplicates_batch([f"n{i}" for i in range(50)], np.tile(copy, (50, 1)), index)
    assert index.verified - before <= 50 * MemoryBandIndex.MAX_VERIFIED
    assert all(near and near[0].score == 1.0 for near in found)
    assert found[0][0].id == "c0"  # the earliest copy, its group's first member, is among those verified


def test_a_single_look_up_counts_the_candidates_it_verifies(monkeypatch):
    monkeypatch.setattr(MemoryBandIndex, "MAX_VERIFIED", 20)
    index = MemoryBandIndex()
    index.add_many([f"c{i}" for i in range(300)], np.tile(signature(CAMPAIGN_COPY), (300, 1)))
    before = index.verified
    assert len(index.near(signature(CAMPAIGN_COPY), 0.55)) == MemoryBandIndex.MAX_VERIFIED
    assert index.verified - before == MemoryBandIndex.MAX_VERIFIED


def test_a_look_up_reads_a_bounded_number_of_items_under_one_band_key_and_keeps_the_earliest():
    from suggestions.analysis.lsh import BANDS

    copy = signature(CAMPAIGN_COPY)
    index = MemoryBandIndex()
    found = find_near_duplicates_batch([f"c{i}" for i in range(300)], np.tile(copy, (300, 1)), index)
    assert index.verified <= 300 * MemoryBandIndex.MAX_PER_KEY
    assert all(near[0].id == "c0" for near in found[1:])
    assert len(index.candidate_rows(copy)) <= BANDS * MemoryBandIndex.MAX_PER_KEY
    assert index.near(copy, 0.55)[0][0] == "c0"


def test_a_batch_look_up_scores_by_whole_values_not_by_the_low_bytes_it_compares_first():
    base = signature(TEMPLATE).astype(np.uint32)
    shifted = base.copy()
    shifted[BANDS_KEPT:] += np.uint32(256)  # the same low bytes, other values past the shared bands
    close = base.copy()
    close[100:] += np.uint32(1)  # 100 of 128 values equal
    index = MemoryBandIndex()
    index.add_many(["template"], base[None, :])
    queries, ids, scores = index.near_pairs(np.vstack([shifted, close]), 0.55)
    assert list(zip(queries.tolist(), ids, strict=True)) == [(1, "template")]
    assert scores.tolist() == [100 / 128]


BANDS_KEPT = 6  # two bands of three shared: a candidate, at 6 of 128 equal values far from a near-duplicate


def test_a_frozen_index_answers_each_batch_as_an_index_fed_batch_after_batch(monkeypatch):
    from suggestions.analysis.duplicates import NEAR_DUPLICATE_THRESHOLD, near_duplicate_lists
    from suggestions.analysis.lsh import FrozenBandIndex

    monkeypatch.setattr(MemoryBandIndex, "MAX_PER_KEY", 4)  # copies of one text fill a band key's share
    texts = _texts(300, seed=3)
    texts[40:40] = [CAMPAIGN_COPY] * 30
    signatures = signatures_of_match_forms([match_form(t) for t in texts])
    ids = [f"s{i}" for i in range(len(signatures))]
    indexed = np.array([i for i in range(len(ids)) if i % 7], dtype=np.int64)  # some rows are not looked up
    fed, index = [], MemoryBandIndex()
    for start in range(0, len(indexed), 64):
        rows = indexed[start : start + 64]
        fed += find_near_duplicates_batch([ids[r] for r in rows], signatures[rows], index)
    frozen = FrozenBandIndex(ids, signatures, indexed)
    looked_up = []
    for start in range(0, len(indexed), 64):
        rows = indexed[start : start + 64]  # as duplicate_groups looks a batch up, in whichever process
        found = frozen.near_pairs_before(rows, NEAR_DUPLICATE_THRESHOLD, ids=[ids[r] for r in rows])
        looked_up += near_duplicate_lists(len(rows), *found)
    assert looked_up == fed
    assert sum(len(near) for near in fed) > 30
