import json

import numpy as np
import pytest
from scipy import sparse
from sklearn.preprocessing import normalize as l2_normalize

from suggestions.analysis import (
    LexicalVectorizer,
    ThemeSpace,
    cluster_themes,
    display_form,
    match_form,
    match_themes,
    theme_vectors,
    themes,
)
from suggestions.analysis.themes import ThemeModel, kmeans_plus_plus, significant_average_linkage
from suggestions.analysis.vectors import is_finite_verb, stop_words
from tests.shared_data import DEV_SET


@pytest.fixture(scope="module")
def dev_rows():
    if not DEV_SET.exists():
        pytest.skip(f"the development set is not at {DEV_SET}")
    return [json.loads(line) for line in DEV_SET.open(encoding="utf-8")]


def _themes(rows, n_themes=None):
    displays = [display_form(r["text"]) for r in rows]
    vectors = LexicalVectorizer().fit_transform(displays)
    groups = [match_form(d) for d in displays]
    labels, model = cluster_themes(vectors, groups, displays, n_themes=n_themes)
    members = {}
    for row, label in zip(rows, labels.tolist(), strict=True):
        members.setdefault(label, set()).add(row["id"])
    return members, model, vectors


def test_match_themes_keeps_the_old_identity_of_a_cluster_that_mostly_stayed():
    old = {"hygiene": {1, 2, 3, 4}, "hours": {5, 6, 7}}
    new = {0: {5, 6, 7, 8}, 1: {1, 2, 3}, 2: {9, 10}}
    assert match_themes(old, new) == {0: "hours", 1: "hygiene", 2: None}


def test_match_themes_gives_a_new_identity_when_overlap_is_too_small():
    assert match_themes({"a": set(range(10))}, {0: {9, 20, 21, 22, 23, 24, 25, 26, 27, 28}}) == {0: None}


def test_reclustering_the_same_collection_in_another_order_keeps_every_theme(dev_rows):
    before, _, _ = _themes(dev_rows)
    after, _, _ = _themes(list(reversed(dev_rows)))
    mapping = match_themes(before, after, min_jaccard=0.5)
    assert None not in mapping.values()
    assert len(set(mapping.values())) == len(before)


def test_number_of_themes_can_be_overridden(dev_rows):
    members, model, _ = _themes(dev_rows, n_themes=7)
    assert len(members) == 7
    assert len(model.labels) == 7


def test_copies_of_one_text_share_a_theme(dev_rows):
    members, _, _ = _themes(dev_rows)
    theme_of = {i: t for t, ids in members.items() for i in ids}
    by_form = {}
    for row in dev_rows:
        by_form.setdefault(match_form(row["text"]), set()).add(theme_of[row["id"]])
    assert all(len(themes) == 1 for themes in by_form.values())


def test_theme_labels_are_persian_keywords_without_stop_words(dev_rows):
    _, model, _ = _themes(dev_rows)
    for keywords in model.keywords:
        assert keywords
        assert not {match_form(w) for w in keywords} & stop_words()


def test_new_text_joins_the_theme_of_its_own_copy(dev_rows):
    members, model, vectors = _themes(dev_rows)
    theme_of = {i: t for t, ids in members.items() for i in ids}
    row = dev_rows[0]
    vectorizer = LexicalVectorizer()
    vectorizer.fit_transform([display_form(r["text"]) for r in dev_rows])
    theme, score = model.assign(vectorizer.transform([display_form(row["text"])]))
    assert theme == theme_of[row["id"]]
    assert score > 0.5


def test_separate_topics_become_separate_themes_without_being_told_how_many():
    rng = np.random.default_rng(0)
    centres = np.eye(4, 16) * 5
    points = l2_normalize(np.vstack([c + rng.normal(0, 0.3, size=(12, 16)) for c in centres]))
    labels = significant_average_linkage(points)
    assert len(set(labels.tolist())) == 4
    assert all(len(set(labels[i * 12 : (i + 1) * 12].tolist())) == 1 for i in range(4))


def test_kmeans_plus_plus_starts_one_centre_in_each_of_four_far_apart_topics():
    points = _topics(4, 30).astype(np.float32)
    starts = kmeans_plus_plus(points, 4, np.random.default_rng(3))
    topic_of_start = (starts @ np.eye(4, points.shape[1], dtype=np.float32).T).argmax(axis=1)
    assert sorted(topic_of_start.tolist()) == [0, 1, 2, 3]


def test_kmeans_plus_plus_gives_the_same_centres_for_the_same_seed():
    points = _topics(5, 20).astype(np.float32)
    first = kmeans_plus_plus(points, 7, np.random.default_rng(11))
    assert np.array_equal(first, kmeans_plus_plus(points, 7, np.random.default_rng(11)))


def test_kmeans_plus_plus_asked_for_more_centres_than_rows_gives_each_row_once():
    points = _topics(2, 3).astype(np.float32)
    starts = kmeans_plus_plus(points, 10, np.random.default_rng(0))
    assert sorted(map(tuple, starts.tolist())) == sorted(map(tuple, points.tolist()))


def test_kmeans_plus_plus_among_copies_of_one_row_still_gives_k_centres():
    points = np.tile(np.array([[0.6, 0.8]], dtype=np.float32), (9, 1))
    starts = kmeans_plus_plus(points, 3, np.random.default_rng(0))
    assert starts.shape == (3, 2)
    assert np.allclose(starts, [0.6, 0.8])


def test_a_collection_of_one_text_is_one_theme():
    assert significant_average_linkage(np.ones((1, 3))).tolist() == [0]


def test_dev_set_theme_count_is_chosen_between_one_and_the_number_of_texts(dev_rows):
    members, model, _ = _themes(dev_rows)
    assert 1 < len(members) < len({match_form(r["text"]) for r in dev_rows})
    assert len(model.labels) == len(members)


def test_theme_labels_leave_out_conjugated_verbs(dev_rows):
    _, model, _ = _themes(dev_rows)
    assert not [w for keywords in model.keywords for w in keywords if is_finite_verb(w)]


def test_theme_vectors_weigh_lexical_and_centred_semantic_halves_equally():
    displays = ["ساعت رای‌گیری تمدید شود", "ماسک رایگان توزیع شود", "رای‌گیری اینترنتی شود"]
    dense = l2_normalize(np.random.default_rng(1).normal(size=(3, 8)))
    vectors = theme_vectors(displays, dense).toarray()
    lexical = vectors[:, :-8]
    assert np.allclose(np.linalg.norm(lexical, axis=1), 1)
    assert np.allclose(np.linalg.norm(vectors[:, -8:], axis=1), 1)


def test_labels_of_large_themes_are_read_from_a_sample_of_their_members(monkeypatch):
    monkeypatch.setattr(themes, "_LABEL_SAMPLE", 5)
    displays = ["ماسک رایگان در شعبه"] * 50 + ["صندوق سیار برای بیماران"] * 50
    labels, keywords = themes.label_themes([0] * 50 + [1] * 50, displays)
    assert "ماسک" in labels[0] and "سیار" in labels[1]


def test_a_label_shows_a_phrase_met_in_different_texts_instead_of_its_words_apart():
    displays = [
        "آموزش عوامل اجرایی به صورت مجازی",
        "همه عوامل اجرایی واکسن بزنند",
        "برای عوامل اجرایی شعب تست بگیرید",
        "ماسک رایگان در شعبه",
        "ماسک رایگان در ورودی",
        "ماسک برای همه",
    ]
    _, keywords = themes.label_themes([0, 0, 0, 1, 1, 1], displays)
    assert "عوامل اجرایی" in keywords[0]
    assert not {"عوامل", "اجرایی"} & set(keywords[0])


def test_a_label_joins_overlapping_phrases_into_one_longer_phrase():
    displays = [
        "برای آموزش عوامل اجرایی کلاس مجازی بگذارید",
        "دوره آموزش عوامل اجرایی آنلاین باشد",
        "فیلم آموزش عوامل اجرایی بسازید",
        "ماسک برای همه",
        "ماسک در ورودی",
        "ماسک رایگان",
    ]
    _, keywords = themes.label_themes([0, 0, 0, 1, 1, 1], displays)
    assert keywords[0][0] == "آموزش عوامل اجرایی"


def test_a_phrase_grows_by_a_pair_most_texts_with_its_last_word_use_however_common_the_next_word():
    displays = [
        "شعب اخذ رای در فضای باز",
        "شعب اخذ رای در پارک",
        "حیاط مدارس برای شعب اخذ رای",
        "رای مردم در فضای باز",
        "صندوق سیار به خانه",
        "صندوق سیار برای رای بیماران",
        "صندوق سیار برای رای سالمندان",
        "ساعت رای‌گیری تا نیمه‌شب",
        "ساعت رای‌گیری برای رای کارمندان",
    ]
    _, keywords = themes.label_themes([0] * 4 + [1] * 3 + [2] * 2, displays)
    assert "شعب اخذ رای" in keywords[0]


def test_a_pair_met_once_in_each_of_two_themes_is_a_phrase_in_neither():
    displays = ["دستکش یکبار مصرف", "دستکش پلاستیکی", "کد یکبار مصرف", "کد پیامکی"]
    _, keywords = themes.label_themes([0, 0, 1, 1], displays)
    assert not [w for w in keywords[0] + keywords[1] if " " in w]


def test_a_pair_is_no_phrase_when_most_texts_with_one_of_its_words_do_not_use_it():
    # «ماسک» is the most distinctive word and most of its texts say «شعبه‌ها ماسک», but most texts with
    # «شعبه‌ها» do not: the two words only stand side by side, they are no phrase.
    displays = [
        "ورودی شعبه‌ها ماسک رایگان",
        "همه شعبه‌ها ماسک فراوان",
        "در شعبه‌ها ماسک مجانی",
        "کنار شعبه‌ها ماسک ارزان",
        "ماسک در شعبه‌ها اجباری",
        "شعبه‌ها تمیز باشند",
        "شعبه‌ها باز بمانند",
        "شعبه‌ها شلوغ نشوند",
        "شعبه‌ها بزرگ باشند",
        "صندوق سیار به شعبه‌ها",
        "صندوق سیار به خانه",
        "صندوق سیار برای بیماران",
        "ساعت کار شعبه‌ها",
        "ساعت رای‌گیری تا نیمه‌شب",
        "ساعت رای‌گیری بیشتر",
    ]
    _, keywords = themes.label_themes([0] * 9 + [1] * 3 + [2] * 3, displays)
    assert keywords[0][0] == "ماسک"
    assert "صندوق سیار" in keywords[1]


def test_words_side_by_side_only_in_one_text_and_its_copies_are_not_made_a_phrase():
    displays = ["برای هر رای‌دهنده دستکش یکبار مصرف تهیه شود"] * 3 + ["صندوق سیار به بیمارستان برود"] * 3
    _, keywords = themes.label_themes([0, 0, 0, 1, 1, 1], displays, copies=["a", "a", "a", "b", "b", "b"])
    assert not [w for w in keywords[0] + keywords[1] if " " in w]


def _topics(n_topics: int, per_topic: int, seed: int = 0) -> np.ndarray:
    """Unit rows around ``n_topics`` orthogonal directions, ``per_topic`` rows each, in topic order."""
    rng = np.random.default_rng(seed)
    centres = np.eye(n_topics, 32) * 5
    return l2_normalize(np.vstack([c + rng.normal(0, 0.3, size=(per_topic, 32)) for c in centres]))


def test_one_idea_is_never_split_across_themes_even_when_its_members_read_like_other_topics(monkeypatch):
    points = _topics(3, 20)
    # Rows 0 (topic 0) and 25 (topic 1) are one idea: the whole idea goes to one theme.
    groups = list(range(len(points)))
    groups[25] = 0
    displays = ["ماسک رایگان"] * len(points)
    for limit in (themes.AGGLOMERATIVE_LIMIT, 10):  # average linkage, then k-means
        monkeypatch.setattr(themes, "AGGLOMERATIVE_LIMIT", limit)
        labels, _ = cluster_themes(points, groups, displays)
        assert labels[0] == labels[25]


def test_a_large_collection_chooses_its_number_of_themes_itself(monkeypatch):
    monkeypatch.setattr(themes, "AGGLOMERATIVE_LIMIT", 10)  # the k-means path, at a test's size
    points = _topics(4, 40)
    labels, model = cluster_themes(points, list(range(len(points))), ["صندوق سیار"] * len(points))
    assert len(model.labels) == 4
    assert all(len(set(labels[i * 40 : (i + 1) * 40].tolist())) == 1 for i in range(4))


def _space_inputs():
    texts = ("ماسک رایگان در شعبه‌ها داده شود", "ساعت رأی‌گیری تمدید شود", "صندوق سیار")
    displays = [display_form(text) for text in texts]
    rng = np.random.default_rng(0)
    dense = l2_normalize(rng.normal(size=(3, 8)).astype(np.float32))
    return displays, dense


def test_a_theme_space_places_a_text_without_its_e5_vector_by_its_words_alone():
    displays, dense = _space_inputs()
    space = ThemeSpace()
    fitted = space.fit_transform(displays, dense)
    later = space.transform(displays[:1])
    assert later.shape[1] == fitted.shape[1]
    assert not later[:, -8:].toarray().any()
    assert later[:, :-8].nnz > 0


def test_a_theme_space_fitted_without_any_e5_vector_is_lexical():
    displays, dense = _space_inputs()
    space = ThemeSpace()
    vectors = space.fit_transform(displays, np.zeros_like(dense))
    assert space.mean is None
    assert vectors.shape == space.lexical.transform(displays).shape


def test_a_model_holds_its_projection_term_by_term_and_places_a_sparse_row_as_the_product_says(tmp_path):
    rng = np.random.default_rng(11)
    projection = rng.normal(size=(6, 400)).astype(np.float32)
    model = ThemeModel(
        centroids=l2_normalize(rng.normal(size=(3, 6)).astype(np.float32)),
        labels=["a", "b", "c"],
        keywords=[[], [], []],
        sizes=[1, 1, 1],
        projection=projection.copy(),
    )
    row = sparse.random(1, 400, density=0.05, format="csr", dtype=np.float32, random_state=4)
    expected = l2_normalize(row.toarray() @ projection.T)
    assert np.allclose(model.project(row), expected, atol=1e-6)
    arrays, metadata = model.to_arrays()
    np.savez(tmp_path / "model.npz", **arrays)
    with np.load(tmp_path / "model.npz") as stored:
        read = ThemeModel.from_arrays(dict(stored), metadata)
    for held in (model, read):
        assert held.projection.T.flags.c_contiguous  # a product with a sparse row copies nothing
        assert np.array_equal(held.projection, projection)
    assert np.array_equal(read.project(row), model.project(row))
