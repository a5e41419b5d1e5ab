"""Ideas and labels on the development set: what a reviewer reads on the themes board."""

import json
from collections import defaultdict
from itertools import combinations

import pytest

from suggestions.analysis import cluster_themes, display_form, duplicate_groups, match_form, theme_vectors, themes
from suggestions.analysis.corpus import similar_lists
from suggestions.analysis.ideas import group_ideas, idea_labels, idea_similar
from suggestions.analysis.vectors import LexicalVectorizer, semantic_available, semantic_vectors
from tests.shared_data import DEV_SET


@pytest.fixture(scope="module")
def dev_analysis():
    if not DEV_SET.exists():
        pytest.skip(f"the development set is not at {DEV_SET}")
    rows = [json.loads(line) for line in DEV_SET.open(encoding="utf-8")]
    ids = [r["id"] for r in rows]
    displays = [display_form(r["text"]) for r in rows]
    matches = [match_form(d) for d in displays]
    canonical, signatures = duplicate_groups(ids, matches)
    lexical = LexicalVectorizer().fit_transform(displays)
    # Ideas are told apart by meaning: without the e5 tier, paraphrases are left apart and so are ideas.
    dense = semantic_vectors(displays) if semantic_available() else None
    similar = similar_lists(ids, canonical, matches, signatures, lexical, dense)
    ideas = group_ideas(ids=ids, canonical=canonical, similar=idea_similar(similar, ids, lexical, dense))
    labels, model = cluster_themes(theme_vectors(displays, dense), ideas, displays, copies=canonical)
    return rows, displays, ideas, labels, model


def _spaced(text: str) -> str:
    return " ".join(text.split())


def test_every_theme_label_is_a_phrase_of_two_to_five_words_written_in_one_of_its_texts(dev_analysis):
    _, displays, _, labels, model = dev_analysis
    for theme, label in enumerate(model.labels):
        texts = [_spaced(displays[i]) for i in range(len(displays)) if labels[i] == theme]
        assert 2 <= len(label.split()) <= 5, label
        assert any(_spaced(label) in text for text in texts), label


def test_no_theme_label_is_a_list_of_words_from_different_sentences(dev_analysis):
    _, _, _, _, model = dev_analysis
    assert not [label for label in model.labels if "،" in label or "," in label]


def test_a_label_holds_no_conjugated_verb_and_no_courtesy():
    displays = [
        "با سلام، آموزش عوامل اجرایی به صورت مجازی برگزار شود. خواهشمندم",
        "خواهشمندم آموزش عوامل اجرایی آنلاین باشد",
        "فیلم آموزش عوامل اجرایی ساخته شود",
        "ماسک رایگان در شعبه توزیع شود",
        "ماسک رایگان در ورودی بدهید",
        "ماسک برای همه",
    ]
    labels, _ = themes.label_themes([0, 0, 0, 1, 1, 1], displays)
    assert labels == ["آموزش عوامل اجرایی", "ماسک رایگان"]


def test_two_themes_never_share_a_label_and_the_larger_keeps_the_phrase_both_use():
    # Both themes are mostly «تعرفه‌های رای»: the larger (five texts) keeps it, the other shows its own phrase.
    displays = [
        "تعرفه‌های رای کم است",
        "کاغذ مرغوب، تعرفه‌های رای",
        "تعرفه‌های رای را زیاد چاپ کنید",
        "کاغذ مرغوب برای تعرفه‌های رای",
        "تعرفه‌های رای کافی نیست",
        "صندوق سیار، تعرفه‌های رای",
        "تعرفه‌های رای بد است",
        "تعرفه‌های رای برای صندوق سیار",
        "تعرفه‌های رای زود برسد",
    ]
    labels, _ = themes.label_themes([0, 0, 0, 0, 1, 1, 1, 1, 1], displays)
    assert labels == ["کاغذ مرغوب", "تعرفه‌های رای"]


def test_a_small_theme_whose_repeated_phrase_is_taken_shows_a_longer_one_it_holds():
    displays = [
        "شمارش آرا سریع باشد",
        "شمارش آرا شفاف باشد",
        "شمارش آرا با دوربین",
        "شمارش آرا در مساجد انجام شود",
        "شمارش آرا دیر نشود",
    ]
    labels, _ = themes.label_themes([0, 0, 0, 1, 1], displays)
    assert labels == ["شمارش آرا", "شمارش آرا در مساجد"]


def test_the_dev_set_themes_all_have_labels_of_their_own(dev_analysis):
    _, _, _, _, model = dev_analysis
    assert len(set(model.labels)) == len(model.labels)


@pytest.mark.parametrize(
    ("texts", "label", "cut"),
    [
        # «۸ نفر نیروی اضافی»: the label is what is counted, not «نفر» cut from its number.
        (
            ["حداقل ۸ نفر نیروی اضافی در هر شعبه مستقر شود", "حداقل ۵ نفر نیروی اضافی بیاورید", "۱۰ نفر نیروی اضافی"],
            "نیروی اضافی",
            "نفر",
        ),
        # «صورت مجازی» says nothing without «به»: a phrase starts at «به صورت», never at its second word.
        (
            ["آموزش عوامل به صورت مجازی برگزار شود", "شمارش آرا به صورت مجازی انجام شود", "ثبت نام به صورت مجازی"],
            "به صورت مجازی",
            "صورت",
        ),
    ],
)
def test_neither_label_nor_keyword_starts_with_a_word_cut_from_the_one_before_it(texts, label, cut):
    displays = [*texts, "ماسک رایگان در شعبه توزیع شود", "ماسک رایگان در ورودی بدهید"]
    labels, keywords = themes.label_themes([0, 0, 0, 1, 1], displays)
    assert labels[0] == label
    assert keywords[0] and not [keyword for keyword in keywords[0] if keyword.split()[0] == cut]


def test_a_label_runs_neither_from_a_title_into_its_body_nor_through_an_opening_formula():
    displays = [
        display_form("تبلیغات مجازی\nلطفا تبلیغات نامزدها فقط در فضای مجازی انجام شود."),
        display_form("تبلیغات مجازی\nلطفا تبلیغات نامزدها در تلویزیون باشد."),
        display_form("تبلیغات مجازی\nپیشنهاد بنده این است که تبلیغات نامزدها آنلاین باشد."),
        "ماسک رایگان در شعبه توزیع شود",
        "ماسک رایگان در ورودی بدهید",
    ]
    labels, _ = themes.label_themes([0, 0, 0, 1, 1], displays)
    assert labels[0] in {"تبلیغات مجازی", "تبلیغات نامزدها"}


def test_a_title_the_theme_repeats_is_its_label_even_where_it_ends_on_a_stop_word():
    # «شخصی» is a stop word: no phrase of the bodies ends on it, and the label was a list of words.
    displays = [
        display_form("خودکار شخصی\nلطفا از رأی‌دهندگان خواسته شود خودکار شخصی همراه داشته باشند."),
        display_form("خودکار شخصی\nپیشنهاد بنده این است که هر رأی‌دهنده خودکار شخصی همراه بیاورد."),
        display_form("خودکار شخصی\nخواهشمندم رأی‌دهندگان خودکار شخصی ببرند تا خطر کم شود."),
        "ماسک رایگان در شعبه توزیع شود",
        "ماسک رایگان در ورودی بدهید",
    ]
    labels, _ = themes.label_themes([0, 0, 0, 1, 1], displays)
    assert labels[0] == "خودکار شخصی"


def test_a_label_grows_into_the_title_its_texts_repeat_before_a_longer_run_of_their_bodies():
    # «اجرایی درباره پروتکل‌های بهداشتی آموزش» is five words of the bodies, cut from «عوامل» by an ezafe no
    # spelling shows; the title holding «پروتکل‌های بهداشتی» is what the writers meant.
    displays = [
        display_form(f"آموزش پروتکل‌های بهداشتی\nعوامل اجرایی درباره پروتکل‌های بهداشتی آموزش ویژه ببینند {why}.")
        for why in ("تا خطر ابتلا کم شود", "چون صف‌ها طولانی بود", "تا مشارکت بیشتر شود")
    ] + ["ماسک رایگان در شعبه توزیع شود", "ماسک رایگان در ورودی بدهید"]
    labels, _ = themes.label_themes([0, 0, 0, 1, 1], displays)
    assert labels[0] == "آموزش پروتکل‌های بهداشتی"


def test_a_title_most_themes_share_is_no_themes_label():
    # Writers who keep one title for any text: it says nothing of the theme whose own phrases are rarest.
    bodies = [
        ["ساعت رأی‌گیری تا نیمه‌شب تمدید شود.", "لطفا زمان رای گیری را بیشتر کنید.", "رأی‌گیری در دو روز باشد."],
        ["ماسک و دستکش رایگان داده شود.", "ماسک و دستکش مجانی بدهید.", "ماسک و دستکش در ورودی باشد."],
        ["شمارش آرا زنده پخش شود.", "شمارش آرا با حضور ناظران باشد.", "شمارش آرا سریع اعلام شود."],
    ]
    displays = [display_form(f"پیشنهاد برای انتخابات\n{body}") for theme in bodies for body in theme]
    labels, _ = themes.label_themes([0, 0, 0, 1, 1, 1, 2, 2, 2], displays)
    assert "پیشنهاد برای انتخابات" not in labels
    assert labels[1:] == ["ماسک و دستکش", "شمارش آرا"]


def test_no_phrase_a_label_is_chosen_from_cuts_a_word_from_the_word_its_ezafe_binds_it_to():
    phrases = [
        written
        for text in ("صندوق‌ها با ظرفیت کم در فضای باز برگزار شود", "تعرفه‌های رای در مراکز قرنطینه توزیع شود")
        for _, written in themes._phrases_of(text)
    ]
    assert "تعرفه‌های رای در مراکز قرنطینه" in phrases
    assert not [p for p in phrases if p.endswith("فضای") or p.startswith("رای") or p.endswith("تعرفه‌های")]


def test_ideas_on_the_dev_set_join_few_different_ideas_and_most_paraphrases(dev_analysis):
    rows, _, ideas, _, _ = dev_analysis
    said = {(a, b) for a, b in combinations(range(len(rows)), 2) if ideas[a] == ideas[b]}
    true = {(a, b) for a, b in combinations(range(len(rows)), 2) if rows[a]["dup_group"] == rows[b]["dup_group"]}
    assert len(said & true) / len(said) >= 0.95
    if semantic_available():
        assert len(said & true) / len(true) >= 0.8


def test_an_idea_never_straddles_two_themes_on_the_dev_set(dev_analysis):
    _, _, ideas, labels, _ = dev_analysis
    themes_of = defaultdict(set)
    for idea, theme in zip(ideas, labels.tolist(), strict=True):
        themes_of[idea].add(theme)
    assert all(len(found) == 1 for found in themes_of.values())


def test_an_idea_label_is_a_clause_written_in_one_of_its_members(dev_analysis):
    rows, displays, ideas, _, _ = dev_analysis
    members = defaultdict(list)
    for row, idea in zip(rows, ideas, strict=True):
        members[idea].append(row["id"])
    texts = {row["id"]: row["text"] for row in rows}
    shown = {row["id"]: _spaced(display) for row, display in zip(rows, displays, strict=True)}
    for idea, label in idea_labels(members, texts).items():
        assert label
        assert any(_spaced(label.removesuffix(" …")) in shown[m] for m in members[idea]), label


def test_next_to_each_theme_label_stands_the_label_of_its_largest_idea(dev_analysis):
    rows, _, ideas, labels, model = dev_analysis
    assert len(model.ideas) == len(model.labels)
    texts = {row["id"]: row["text"] for row in rows}
    for theme, shown in enumerate(model.ideas):
        members = defaultdict(list)
        for row, idea, label in zip(rows, ideas, labels.tolist(), strict=True):
            if label == theme:
                members[idea].append(row["id"])
        largest = max(len(ids) for ids in members.values())
        candidates = idea_labels({idea: ids for idea, ids in members.items() if len(ids) == largest}, texts)
        assert shown in candidates.values()


def test_a_theme_model_keeps_its_ideas_through_the_stored_format(dev_analysis):
    _, _, _, _, model = dev_analysis
    arrays, metadata = model.to_arrays()
    assert themes.ThemeModel.from_arrays(arrays, metadata).ideas == model.ideas
    del metadata["ideas"]  # a model stored before ideas had labels
    assert themes.ThemeModel.from_arrays(arrays, metadata).ideas == []


def test_a_word_both_themes_use_is_shown_as_first_written_in_theme_order_when_read_in_two_processes(monkeypatch):
    # Theme 0 writes «رأی» three times, theme 1 «رای» three times: on a tie the spelling met first is shown, for
    # both themes, however the themes were shared out among processes.
    displays = ["رأی زود", "رأی دیر", "رأی کم", "رای امن", "رای سالم", "رای ساده"]
    alone = themes.label_themes([0, 0, 0, 1, 1, 1], displays)
    monkeypatch.setattr(themes, "_READ_TASK", 1)  # one theme per task: theme 1 read in another task than theme 0
    shared = themes.label_themes([0, 0, 0, 1, 1, 1], displays, workers=2)
    assert alone[1][1][0] == "رأی"
    assert shared == alone


def test_the_dev_set_themes_read_a_few_at_a_time_in_two_processes_get_the_labels_and_keywords_of_one(
    dev_analysis, monkeypatch
):
    _, displays, ideas, labels, _ = dev_analysis
    alone = themes.label_themes(labels, displays, copies=ideas)
    monkeypatch.setattr(themes, "_READ_TASK", 5)
    assert themes.label_themes(labels, displays, copies=ideas, workers=2) == alone
