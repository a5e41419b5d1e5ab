import json
from itertools import combinations

import pytest

from suggestions.analysis import analyze_corpus
from tests.shared_data import DEV_SET


@pytest.fixture(scope="module")
def dev_result():
    if not DEV_SET.exists():
        pytest.skip(f"the development set is not at {DEV_SET}")
    rows = [json.loads(line) for line in DEV_SET.open(encoding="utf-8")]
    return rows, analyze_corpus([(r["id"], r["text"]) for r in rows], semantic=False)


def _root(out, item_id):
    seen = set()
    while out[item_id]["duplicate_of"] and item_id not in seen:
        seen.add(item_id)
        item_id = out[item_id]["duplicate_of"]
    return item_id


def test_every_output_row_has_the_analyze_file_fields(dev_result):
    rows, result = dev_result
    assert [r["id"] for r in result] == [r["id"] for r in rows]
    for item in result:
        assert set(item) == {"id", "duplicate_of", "idea", "cluster", "cluster_label", "similar"}
        assert isinstance(item["cluster"], str) and item["cluster_label"]
        assert len(item["similar"]) <= 5
        scores = [score for _, score in item["similar"]]
        assert scores == sorted(scores, reverse=True)


def test_two_different_ideas_are_never_merged_on_the_dev_set(dev_result):
    rows, result = dev_result
    out = {r["id"]: r for r in result}
    idea = {r["id"]: r["dup_group"] for r in rows}
    merged_pairs = [(a, b) for a, b in combinations(out, 2) if _root(out, a) == _root(out, b)]
    assert merged_pairs
    assert all(idea[a] == idea[b] for a, b in merged_pairs)


def test_every_spelling_variant_is_merged_on_the_dev_set(dev_result):
    rows, result = dev_result
    out = {r["id"]: r for r in result}
    exact = {r["id"]: r["exact_group"] for r in rows}
    assert all(_root(out, a) == _root(out, b) for a, b in combinations(out, 2) if exact[a] == exact[b])


def test_duplicate_group_members_share_a_cluster(dev_result):
    _, result = dev_result
    out = {r["id"]: r for r in result}
    assert all(r["cluster"] == out[_root(out, r["id"])]["cluster"] for r in result)


def test_an_item_never_lists_itself_as_similar(dev_result):
    _, result = dev_result
    assert all(r["id"] not in {s[0] for s in r["similar"]} for r in result)


def test_analyze_corpus_rejects_repeated_ids():
    with pytest.raises(ValueError):
        analyze_corpus([("1", "سلام"), ("1", "دنیا")], semantic=False)


def test_analyze_corpus_of_nothing_is_empty():
    assert analyze_corpus([], semantic=False) == []


def test_members_of_one_idea_share_a_cluster(dev_result):
    _, result = dev_result
    cluster_of_idea = {}
    for item in result:
        assert cluster_of_idea.setdefault(item["idea"], item["cluster"]) == item["cluster"]


def test_each_line_names_its_idea_by_the_first_text_of_the_idea(dev_result):
    _, result = dev_result
    position = {item["id"]: n for n, item in enumerate(result)}
    members = {}
    for item in result:
        members.setdefault(item["idea"], []).append(item["id"])
    assert all(idea == min(ids, key=position.get) for idea, ids in members.items())
    assert all(
        item["idea"] == next(r for r in result if r["id"] == (item["duplicate_of"] or item["id"]))["idea"]
        for item in result
    )


def test_each_row_gets_the_signature_of_its_match_form_though_each_form_is_signed_once():
    import numpy as np

    from suggestions.analysis import duplicate_groups
    from suggestions.analysis.minhash import signature_of_match_form

    matches = ["ساعترایگیریتمدیدشود", "ماسکرایگان", "ساعترایگیریتمدیدشود", ""]
    _, signatures = duplicate_groups(["a", "b", "c", "d"], matches)
    assert len(signatures.unique) == 3
    assert signatures.shape == (4, len(signatures.unique[0]))
    expected = np.vstack([signature_of_match_form(m) for m in matches])
    assert (np.asarray(signatures) == expected).all()
    assert (signatures[[2, 1]] == expected[[2, 1]]).all()
    assert (signatures[0] == expected[0]).all()


def test_form_keys_number_the_match_forms_in_order_and_give_the_empty_one_zero():
    from suggestions.analysis import duplicate_groups

    _, signatures = duplicate_groups(list("abcde"), ["ماسکرایگان", "", "ساعتتمدید", "ماسکرایگان", ""])
    assert signatures.form_keys() == [1, 0, 3, 1, 0]
