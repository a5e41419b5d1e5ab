import time

import pytest

from suggestions.forms import SuggestionForm
from tests.suggestions.helpers import form_data

pytestmark = pytest.mark.django_db


def errors_of(**overrides):
    form = SuggestionForm(data=form_data(**overrides))
    form.is_valid()
    return form.errors


def test_a_complete_form_is_valid():
    assert errors_of() == {}


def test_a_short_title_is_refused_in_persian():
    assert errors_of(title="کوتاه")["title"] == ["عنوان باید دست‌کم ۱۰ و حداکثر ۱۵۰ نویسه باشد."]


def test_a_body_over_five_thousand_characters_is_refused():
    assert "متن پیشنهاد باید" in errors_of(body="الف" * 2600)["body"][0]


def test_invisible_characters_do_not_count_towards_the_minimum_length():
    assert "title" in errors_of(title="\u202e\u202e\u202e\u202e\u202e\u202eکوتاه")


def test_a_malformed_email_is_refused_in_persian(settings):
    assert errors_of(email="not-an-email", consent="on")["email"][0].startswith("نشانی رایانامه درست نیست")


def test_a_landline_number_is_refused_as_a_mobile():
    assert "تلفن همراه" in errors_of(phone="02188776655", consent="on")["phone"][0]


def test_contact_details_without_consent_are_refused():
    assert "consent" in errors_of(email="a@example.ir")


def test_a_filled_honeypot_is_refused():
    assert errors_of(website="http://spam.example")["__all__"] == ["این فرم را نمی‌توان به این شکل فرستاد."]


def test_a_form_sent_faster_than_a_person_can_type_is_refused():
    hidden = SuggestionForm.fresh_hidden_values(browser="", started=time.time())
    assert "خیلی سریع" in errors_of(**hidden)["__all__"][0]


def test_a_forged_form_clock_is_refused():
    assert "معتبر نیست" in errors_of(form_clock="12345")["__all__"][0]


def test_the_body_is_stored_without_a_bidi_override():
    form = SuggestionForm(data=form_data(body="پیشنهاد \u202eمی‌کنم\u202c ساعت رأی‌گیری تمدید شود تا ازدحام کم شود."))
    assert form.is_valid()
    assert "\u202e" not in form.cleaned_data["body"]
