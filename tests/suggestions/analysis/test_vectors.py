import json

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from suggestions.analysis import LexicalVectorizer, ThemeSpace, cluster_themes, display_form, snapshot_format
from suggestions.analysis.vectors import CharNgramsByWord, content_words, spaced_fold, surface_phrases, unit_rows

TEXTS = [
    "ساعت رای‌گیری تا نیمه‌شب تمدید شود",
    "ماسک و دستکش رایگان در ورودی شعبه‌ها توزیع شود",
    "رای‌گیری اینترنتی با کارت هوشمند ملی و کد یکبار مصرف",
    "صندوق سیار به بیمارستان‌ها برود، ساعت کار شعبه‌ها هم تمدید شود",
    "ماسک N95 برای ناظران",
]
NEW = ["واژه‌ای تازه: پیامک نوبت‌دهی", "تمدید ساعت"]


def _folded(texts):
    return [spaced_fold(display_form(t)) for t in texts]


def _char_wb(max_features=None):
    return TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, max_features=max_features, dtype=np.float32
    )


def test_character_ngrams_cut_per_word_equal_scikit_learns_char_wb_tfidf_for_known_and_new_words():
    reference, by_word = _char_wb(), CharNgramsByWord()
    expected, fitted = reference.fit_transform(_folded(TEXTS)), by_word.fit_transform(_folded(TEXTS))
    columns = [reference.vocabulary_[gram] for gram in by_word.vocabulary_]
    assert sorted(columns) == list(range(len(reference.vocabulary_)))
    assert np.allclose(expected[:, columns].toarray(), fitted.toarray())
    assert np.allclose(
        reference.transform(_folded(NEW))[:, columns].toarray(), by_word.transform(_folded(NEW)).toarray()
    )


@pytest.mark.parametrize("chars", [True, False])
def test_a_text_turned_into_vectors_alone_gets_the_figures_of_a_batch_to_the_bit(chars):
    vectorizer = LexicalVectorizer(chars=chars)
    vectorizer.fit_transform([display_form(t) for t in TEXTS])
    texts = [display_form(t) for t in NEW + TEXTS[:2]]  # new words, some known ones, only known ones
    batch = vectorizer.transform(texts)
    assert all(batch[row].nnz for row in range(1, len(texts)))
    for row, text in enumerate(texts):
        assert (vectorizer.transform([text]) != batch[row]).nnz == 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sparse_rows_are_scaled_to_unit_length_as_scikit_learn_scales_them_to_the_bit(dtype):
    from scipy import sparse
    from sklearn.preprocessing import normalize

    rows = sparse.random(40, 300, density=0.2, format="csr", dtype=dtype, random_state=np.random.default_rng(3))
    rows.data *= 1000
    rows.data[rows.indptr[7] : rows.indptr[8]] = 0  # stored zeros: a row of zeros stays one
    expected = normalize(rows, copy=True)
    scaled = unit_rows(rows.copy())
    assert scaled.dtype == dtype and not scaled[7].toarray().any()
    assert np.array_equal(scaled.data, expected.data) and np.array_equal(scaled.indices, expected.indices)


def test_character_ngrams_keep_the_most_frequent_when_capped():
    by_word = CharNgramsByWord(max_features=40)
    assert by_word.fit_transform(_folded(TEXTS)).shape == (len(TEXTS), 40)
    counts = {}
    for text in _folded(TEXTS):
        for gram in _char_wb().build_analyzer()(text):
            counts[gram] = counts.get(gram, 0) + 1
    least_kept = min(counts[gram] for gram in by_word.vocabulary_)
    assert all(counts[gram] <= least_kept for gram in set(counts) - set(by_word.vocabulary_))


@pytest.mark.parametrize("chars", [True, False])
def test_a_lexical_vectorizer_transforms_the_same_after_being_stored_as_arrays_and_json(chars):
    displays = [display_form(t) for t in TEXTS]
    vectorizer = LexicalVectorizer(chars=chars)
    vectorizer.fit_transform(displays)
    space = ThemeSpace(chars=chars)
    _, model = cluster_themes(space.fit_transform(displays), list(range(len(displays))), displays, n_themes=2)
    data, metadata = snapshot_format.dumps(vectorizer, space, model)
    restored, _, _ = snapshot_format.loads(data, json.loads(json.dumps(metadata)))
    new = [display_form(t) for t in NEW]
    assert (restored.transform(new) != vectorizer.transform(new)).nnz == 0


def _pairs(text):
    return {written for key, written in surface_phrases(text) if " " in key}


@pytest.mark.parametrize(
    ("text", "pair", "made"),
    [
        ("آموزش عوامل اجرایی به صورت مجازی باشد", "عوامل اجرایی", True),
        ("صندوق سیار به بیمارستان برود", "صندوق سیار", True),
        ("ماسک، دستکش و الکل", "ماسک دستکش", False),  # punctuation between
        ("ماسک و دستکش", "ماسک و", False),  # a stop word is no part of a phrase
        ("انتخابات دو روز برگزار شود", "روز برگزار", False),  # «برگزار» is half of the verb «برگزار شود»
        ("ساعت رای‌گیری تمدید شود", "ساعت رای‌گیری", True),
        ("مردم رای بدهند", "رای بدهند", False),  # a conjugated verb is no part of a phrase
    ],
)
def test_a_phrase_is_two_content_words_side_by_side_outside_a_verb(text, pair, made):
    assert (pair in _pairs(text)) is made


@pytest.mark.parametrize("spelling", ["رای", "رأی", "راي"])
def test_every_spelling_of_a_word_hazm_would_cut_to_one_letter_is_kept_as_the_same_content_word(spelling):
    # hazm's stemmer takes «ای» off «رای» («ر») but not off «رأی»: the word is kept whole, whichever the spelling.
    assert content_words(f"{spelling} شعبه") == content_words("رای شعبه")
    assert content_words(f"{spelling} شعبه")[0] == "رای"


def test_pair_dots_give_each_pairs_cosine_however_many_blocks_the_pairs_fill(monkeypatch):
    from suggestions.analysis import vectors

    monkeypatch.setattr(vectors, "PAIR_BLOCK", 3)
    matrix = LexicalVectorizer().fit_transform([display_form(t) for t in TEXTS])
    left, right = np.array([0, 1, 2, 3, 4, 0, 3]), np.array([1, 1, 4, 0, 2, 3, 3])
    full = (matrix @ matrix.T).toarray()
    assert np.allclose(vectors.pair_dots(matrix, left, right), full[left, right], atol=1e-6)


def test_pair_dots_of_dense_rows_are_the_dot_products_of_each_pair_across_blocks():
    import numpy as np

    from suggestions.analysis.vectors import PAIR_BLOCK, pair_dots

    rng = np.random.default_rng(7)
    rows = rng.standard_normal((50, 8)).astype(np.float32)
    left = rng.integers(0, 50, size=PAIR_BLOCK + 3)
    right = rng.integers(0, 50, size=PAIR_BLOCK + 3)
    expected = (rows[left] * rows[right]).sum(axis=1)
    assert np.allclose(pair_dots(rows, left, right), expected, atol=1e-5)


@pytest.mark.parametrize(
    ("plural", "singular"),
    [
        ("شعب اخذ رای", "شعبه‌های اخذ رای"),
        ("شمارش آرا", "شمارش رأی"),
        ("ساعات کار", "ساعت کار"),
        ("عوامل اجرایی", "عامل اجرایی"),
    ],
)
def test_an_arabic_plural_has_the_stem_of_its_singular(plural, singular):
    assert content_words(plural) == content_words(singular)
