import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from suggestions.analysis.normalize import display_form, fingerprint, match_form

ZWNJ = "\u200c"

DISPLAY_CASES = [
    ("html_tags", "<b>تمدید</b> ساعت<br/>رای", "تمدید ساعت رای"),
    ("html_entities", "ماسک&nbsp;و&amp;دستکش", "ماسک و&دستکش"),
    ("double_escaped_entity", "ماسک &amp;amp; دستکش", "ماسک & دستکش"),
    ("bidi_controls", "\u202bسلام\u202c \u200fدنیا\u200e \u2067ما\u2069", "سلام دنیا ما"),
    ("bom_and_zwj", "\ufeffسلام\u200d دنیا", "سلام دنیا"),
    ("no_break_and_thin_spaces", "ساعت\u00a0رای\u2009گیری\u202fتمام", "ساعت رای گیری تمام"),
    ("teh_marbuta", "مدرسة خوب", "مدرسه خوب"),
    ("heh_with_yeh", "خانۀ ملت", "خانه ملت"),
    ("hamza_below_alef", "إسلامی", "اسلامی"),
    ("decomposed_hamza_recomposed", "را\u0654ی", "رأی"),
    ("presentation_forms", "ﺳﻼﻡ", "سلام"),
    ("emoji_variation_selector", "عالی ❤️", "عالی ❤"),
    ("repeated_letters", "خیلییییی خوب", "خیلی خوب"),
    ("arabic_letters", "كارت ملي", "کارت ملی"),
    ("closing_tag_not_damaged", "</b>سلام", "سلام"),
    ("decimal_kept_whole", "فاصله 1.5 متر", "فاصله ۱٫۵ متر"),
    ("percent_kept_whole", "50% مردم", "۵۰٪ مردم"),
    ("latin_code_kept", "بیماری COVID-19 و ماسک N95", "بیماری COVID-19 و ماسک N95"),
    ("arabic_digits", "ساعت ٨ صبح", "ساعت ۸ صبح"),
    ("compound_spacing_fixed_by_hazm", "می شود", f"می{ZWNJ}شود"),
    ("plural_suffix_joined", "کتاب ها", f"کتاب{ZWNJ}ها"),
    ("mi_prefix_separated", "نمیدانم چه میگفت", f"نمی{ZWNJ}دانم چه می{ZWNJ}گفت"),
    ("straight_quotes_to_guillemets", '"نقل قول" خوب', "«نقل قول» خوب"),
    ("three_dots_to_ellipsis", "و ...", "و …"),
    ("space_after_comma", "سلام،دنیا", "سلام، دنیا"),
    ("no_space_inside_brackets_or_before_colon", "او گفت : ( بله )", "او گفت: (بله)"),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in DISPLAY_CASES], ids=[c[0] for c in DISPLAY_CASES])
def test_display_form_cleans_what_hazm_leaves(text, expected):
    assert display_form(text) == expected


MATCH_CASES = [
    ("three_digit_sets", ["ساعت ۲۴", "ساعت 24", "ساعت ٢٤"]),
    ("diacritics", ["رَأْیِ مردم", "رای مردم"]),
    ("kashida", ["مـــردم", "مردم"]),
    ("punctuation", ["سلام، دنیا!", "سلام دنیا"]),
    ("hamza_forms", ["رأی مسئول مؤسسه", "رای مسیول موسسه"]),
    ("arabic_letters", ["كارت ملي", "کارت ملی"]),
    ("compound_planning", [f"برنامه{ZWNJ}ریزی", "برنامه ریزی", "برنامهریزی"]),
    ("compound_mi_verb", [f"می{ZWNJ}شود", "می شود", "میشود"]),
    ("plural_suffix", [f"شعبه{ZWNJ}ها", "شعبه ها", "شعبهها"]),
    ("latin_case", ["ماسک n95", "ماسک N95"]),
    ("html", ["<p>تمدید ساعت</p>", "تمدید&nbsp;ساعت"]),
]


@pytest.mark.parametrize("spellings", [c[1] for c in MATCH_CASES], ids=[c[0] for c in MATCH_CASES])
def test_match_form_folds_spelling_variants_together(spellings):
    assert len({match_form(s) for s in spellings}) == 1


def test_match_form_keeps_different_numbers_apart():
    assert match_form("حداقل ۱۰ متر") != match_form("حداقل ۱۰۰ متر")


def test_fingerprint_is_32_lowercase_hex_characters():
    value = fingerprint("تمدید ساعت رای‌گیری")
    assert len(value) == 32
    assert value == value.lower()
    int(value, 16)


def test_fingerprint_joins_arabic_letters_and_missing_zwnj():
    assert fingerprint("صندوق‌های سیار برای بیماران") == fingerprint("صندوقهاي سيار براي بيماران")


PERSIAN_LETTERS = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیيكةۀأإؤئءآ"
NOISE = " \u200c\u200d\u200e.،؟!:«»()0123456789۰۱۲۳۴۵۶۷۸۹٫٪%abN-<>/&\u064b\u0640\n\u00a0\ufefb\ufe0f"
persian_text = st.text(st.sampled_from(list(PERSIAN_LETTERS + NOISE)), max_size=60)
persian_word = st.text(st.sampled_from(list("ابپتجچخدرزسشعفقکگلمنوهی")), min_size=1, max_size=8)


@settings(max_examples=300, deadline=None)
@given(persian_text)
def test_display_form_is_idempotent(text):
    once = display_form(text)
    assert display_form(once) == once


@settings(max_examples=1000, deadline=None)
@given(st.one_of(persian_text, st.text(max_size=60)))
def test_match_form_is_idempotent(text):
    once = match_form(text)
    assert match_form(once) == once


@settings(max_examples=500, deadline=None)
@given(persian_word, persian_word)
def test_match_form_equal_for_zwnj_space_and_joined_compound(first, second):
    assert match_form(first + ZWNJ + second) == match_form(first + " " + second) == match_form(first + second)


@settings(max_examples=200, deadline=None)
@given(persian_text)
def test_fingerprint_is_stable_through_display_form(text):
    assert fingerprint(text) == fingerprint(text)
    assert fingerprint(display_form(text)) == fingerprint(display_form(display_form(text)))


def test_display_form_agrees_with_hazms_full_normaliser_but_for_dictionary_compounds(monkeypatch):
    # The reimplemented spacing step leaves out only hazm's dictionary joining of word pairs
    # («فاصله گذاری» -> «فاصله‌گذاری»): with ZWNJ read as a space, the two agree.
    import random

    from hazm import Normalizer

    from benchmarks.harness.corpus import generate
    from suggestions.analysis import normalize

    texts = [item.text for item in generate(300, seed=3)]
    texts += ["سلام،دنیا!چطوری؟", "خیلییییی خوب و سلامممم", "به طول ۹متر و عرض۶", '"نقل قول"  و ...']
    random.Random(0).shuffle(texts)
    ours = [display_form(t) for t in texts]
    monkeypatch.setattr(normalize, "_hazm_normalize", Normalizer().normalize)
    theirs = [display_form(t) for t in texts]
    assert [t.replace(ZWNJ, " ") for t in ours] == [t.replace(ZWNJ, " ") for t in theirs]
    assert [match_form(t) for t in ours] == [match_form(t) for t in theirs]


def test_a_text_already_in_display_form_is_returned_itself_not_a_copy():
    text = "".join(["ستاد انتخابات رای‌گیری الکترونیکی را در همه شهرها اجرا کند ", str(len("x"))])
    shown = display_form(text)
    assert display_form(shown) == shown
    assert display_form(shown) is shown


def test_the_verbs_that_take_a_separated_mi_are_the_one_word_forms_hazms_lemmatizer_lists():
    import re

    from hazm import Lemmatizer

    from suggestions.analysis.normalize import _verbs

    listed = {form for form in Lemmatizer(joined_verb_parts=False).verbs if re.fullmatch("ن?می\u200c\\S+", form)}
    assert {form for form in _verbs() if re.fullmatch("ن?می\u200c\\S+", form)} == listed


def test_the_words_repeated_letters_are_checked_against_are_those_of_hazms_word_list():
    from hazm.utils import words_list

    from suggestions.analysis.normalize import _known_words

    assert _known_words() == frozenset(word for word, _, _ in words_list())
