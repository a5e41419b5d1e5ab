"""What the intake form refuses, and how it says so: text that shows nothing, oversized posts, a form sent too
fast, and a form's key sent from another browser or with other content."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from suggestions.forms import SuggestionForm
from suggestions.models import Contact, Suggestion
from tests.suggestions.helpers import form_data

pytestmark = pytest.mark.django_db

INVISIBLE = {
    "zwnj": "\u200c",
    "zero width space": "\u200b",
    "zero width joiner": "\u200d",
    "bom": "\ufeff",
    "hangul filler": "\u3164",
    "combining mark": "\u0301",
    "emoji": "😷",
}


def errors_of(**overrides):
    form = SuggestionForm(data=form_data(**overrides))
    form.is_valid()
    return form.errors


def hidden_values(page: str) -> dict:
    return dict(re.findall(r'name="(csrfmiddlewaretoken|form_clock|idempotency_key)" value="([^"]+)"', page))


@pytest.mark.parametrize("kind", INVISIBLE)
def test_a_title_and_body_that_show_no_letter_are_refused_in_persian(citizen, kind):
    char = INVISIBLE[kind]
    response = citizen.post(reverse("suggestions:suggest"), form_data(title=char * 12, body=char * 40))
    page = response.content.decode()
    assert response.status_code == 400
    assert "عنوان باید حرف یا رقم داشته باشد" in page
    assert "متن پیشنهاد باید حرف یا رقم داشته باشد" in page
    assert Suggestion.objects.count() == 0


def test_invisible_characters_do_not_make_a_short_title_long_enough():
    errors = errors_of(title="کوتاه" + "\u200c" * 10, body="ماسک" + "\u200b" * 40)
    assert errors["title"] == ["عنوان باید دست‌کم ۱۰ و حداکثر ۱۵۰ نویسه باشد."]
    assert errors["body"] == ["متن پیشنهاد باید دست‌کم ۳۰ و حداکثر ۵٬۰۰۰ نویسه باشد."]


def test_persian_text_with_its_zwnj_is_still_accepted_and_stored_as_typed(citizen):
    body = "پیشنهاد می‌کنم صندوق‌های سیار به خانه‌های سالمندان بروند تا آن‌ها ناچار به آمدن نباشند."
    assert citizen.post(reverse("suggestions:suggest"), form_data(body=body)).status_code == 302
    assert Suggestion.objects.get().body == body


def test_a_hundred_thousand_character_body_is_refused_with_the_stated_limit_in_persian_digits(citizen):
    response = citizen.post(reverse("suggestions:suggest"), form_data(body="الف" * 100_000))
    page = response.content.decode()
    assert response.status_code == 400
    assert "متن پیشنهاد باید دست‌کم ۳۰ و حداکثر ۵٬۰۰۰ نویسه باشد." in page
    assert "12000" not in page and "۱۲۰۰۰" not in page


def test_the_refusal_of_an_oversized_post_does_not_send_the_post_back(citizen):
    response = citizen.post(reverse("suggestions:suggest"), form_data(body="ب" * 1_200_000, title="ت" * 50_000))
    assert response.status_code == 400
    assert len(response.content) < 100_000


def test_a_form_sent_too_fast_says_so_once_without_claiming_a_field_is_wrong(citizen, settings):
    settings.FORM_MIN_FILL_SECONDS = 60
    page = citizen.get(reverse("suggestions:suggest")).content.decode()
    response = citizen.post(reverse("suggestions:suggest"), form_data(citizen, **hidden_values(page)))
    shown = response.content.decode()
    assert response.status_code == 400
    assert shown.count("فرم خیلی سریع فرستاده شد") == 1
    assert "فرم کامل نیست" not in shown
    assert "is-invalid" not in shown


def test_a_form_sent_too_fast_goes_through_when_sent_again_after_the_wait(citizen, settings):
    settings.FORM_MIN_FILL_SECONDS = 60
    handed = hidden_values(citizen.get(reverse("suggestions:suggest")).content.decode())
    first = citizen.post(reverse("suggestions:suggest"), form_data(citizen, **handed))
    assert first.status_code == 400
    settings.FORM_MIN_FILL_SECONDS = 0  # the wait is over
    again = hidden_values(first.content.decode())
    assert citizen.post(reverse("suggestions:suggest"), form_data(citizen, **again)).status_code == 302


def test_another_browser_cannot_send_a_form_handed_to_someone_else(no_fill_delay):
    mine, theirs = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    handed = hidden_values(mine.get(reverse("suggestions:suggest")).content.decode())
    mine_sent = mine.post(reverse("suggestions:suggest"), form_data(mine, **handed))
    assert mine_sent.status_code == 302

    their_page = hidden_values(theirs.get(reverse("suggestions:suggest")).content.decode())
    stolen = {**handed, "csrfmiddlewaretoken": their_page["csrfmiddlewaretoken"]}
    response = theirs.post(reverse("suggestions:suggest"), form_data(theirs, **stolen))
    assert response.status_code == 400
    assert mine_sent["Location"] not in response.content.decode()
    assert "فرم معتبر نیست" in response.content.decode()


def test_another_key_cannot_be_slipped_into_a_form(citizen):
    earlier = citizen.post(reverse("suggestions:suggest"), form_data(citizen))
    assert earlier.status_code == 302
    someone_elses_key = str(Suggestion.objects.get().idempotency_key)
    response = citizen.post(
        reverse("suggestions:suggest"), {**form_data(citizen), "idempotency_key": someone_elses_key}
    )
    assert response.status_code == 400
    assert earlier["Location"] not in response.content.decode()


def test_the_same_form_sent_again_with_other_text_is_refused_and_keeps_the_new_text(citizen):
    citizen.get(reverse("suggestions:suggest"))
    data = form_data(citizen)
    first = citizen.post(reverse("suggestions:suggest"), data)
    new_body = "متن دیگری که شهروند پس از بازگشت به فرم نوشت: صف جداگانه برای سالمندان در هر شعبه باشد."
    second = citizen.post(reverse("suggestions:suggest"), {**data, "body": new_body})
    page = second.content.decode()
    assert second.status_code == 409
    assert "متن تازهٔ شما ثبت نشد" in page
    assert new_body in page
    assert Suggestion.objects.count() == 1 and Suggestion.objects.get().body == data["body"]
    assert first["Location"] in page  # the browser that sent both may see its own earlier receipt

    renewed = hidden_values(page)
    assert renewed["idempotency_key"] != data["idempotency_key"]
    third = citizen.post(reverse("suggestions:suggest"), {**data, "body": new_body, **renewed})
    assert third.status_code == 302
    assert sorted(Suggestion.objects.values_list("body", flat=True)) == sorted([data["body"], new_body])


def test_the_same_form_sent_again_with_other_contact_details_is_refused(citizen):
    data = form_data(citizen, email="first@example.ir", consent="on")
    citizen.post(reverse("suggestions:suggest"), data)
    second = citizen.post(reverse("suggestions:suggest"), {**data, "email": "second@example.ir"})
    assert second.status_code == 409
    assert list(Contact.objects.values_list("email", flat=True)) == ["first@example.ir"]


def test_a_double_click_still_gives_one_receipt(citizen):
    data = form_data(citizen, email="same@example.ir", consent="on")
    first = citizen.post(reverse("suggestions:suggest"), data)
    second = citizen.post(reverse("suggestions:suggest"), data)
    assert first["Location"] == second["Location"]
    assert Suggestion.objects.count() == 1
