import pytest

from suggestions.analysis import main_clauses
from suggestions.analysis.vectors import is_finite_verb


@pytest.mark.parametrize("word", ["شود", "می‌شود", "کنید", "نشوند", "بدهند", "بیفتد", "نیاورند", "بشه", "است"])
def test_conjugated_verbs_are_recognised(word):
    assert is_finite_verb(word)


@pytest.mark.parametrize("word", ["مردم", "بدون", "چشم", "ساعت", "تمدید", "شهروند", "نیمه‌شب"])
def test_nouns_that_look_conjugated_are_not_verbs(word):
    assert not is_finite_verb(word)


def test_a_purpose_clause_after_the_verb_is_dropped():
    text = "ساعت رای‌گیری تمدید شود تا ازدحام کمتر شود."
    assert main_clauses(text) == "ساعت رای‌گیری تمدید شود"


def test_ta_before_a_noun_is_part_of_the_request():
    text = "ساعت رای‌گیری تا ساعت ۲۴ تمدید شود."
    assert main_clauses(text) == text


def test_a_reason_with_ke_after_an_imperative_is_dropped():
    text = "شعبه‌های بیشتری باز کنید که صف‌ها شلوغ نشود"
    assert main_clauses(text) == "شعبه‌های بیشتری باز کنید"


def test_a_leading_reason_clause_is_dropped():
    text = "برای اینکه صف‌ها شلوغ نشود، شعبه‌های بیشتری دایر کنید."
    assert main_clauses(text) == "شعبه‌های بیشتری دایر کنید."


def test_every_sentence_keeps_its_own_request():
    text = "ماسک رایگان توزیع شود تا کسی بیمار نشود. صندوق‌ها هر ساعت ضدعفونی شوند."
    assert main_clauses(text) == "ماسک رایگان توزیع شود صندوق‌ها هر ساعت ضدعفونی شوند."


def test_a_text_that_is_all_reason_is_kept_whole():
    text = "برای اینکه کسی بیمار نشود،"
    assert main_clauses(text) == text
