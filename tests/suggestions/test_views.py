import pytest
from django.urls import reverse

from suggestions.choices import State
from suggestions.models import Contact, Suggestion
from tests.suggestions.helpers import form_data

pytestmark = pytest.mark.django_db


def test_the_form_page_offers_every_field(citizen):
    page = citizen.get(reverse("suggestions:suggest")).content.decode()
    for name in ("role", "province", "topic", "title", "body", "email", "phone", "consent", "idempotency_key"):
        assert f'name="{name}"' in page


def test_a_valid_submission_leads_to_its_receipt(citizen):
    response = citizen.post(reverse("suggestions:suggest"), form_data())
    suggestion = Suggestion.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("suggestions:receipt", args=[suggestion.tracking_code])


def test_the_receipt_shows_the_code_in_persian_digits(citizen, suggestion):
    page = citizen.get(reverse("suggestions:receipt", args=[suggestion.tracking_code])).content.decode()
    assert suggestion.display_code in page
    assert "دریافت شد" in page


def test_an_invalid_submission_stores_nothing_and_says_why_in_persian(citizen):
    response = citizen.post(reverse("suggestions:suggest"), form_data(title="کوتاه", body="کوتاه"))
    assert response.status_code == 400
    assert "عنوان باید دست‌کم ۱۰" in response.content.decode()
    assert Suggestion.objects.count() == 0


def test_a_refused_submission_keeps_what_the_citizen_typed(citizen):
    body = "متن بلندی که شهروند با زحمت نوشته است و نباید از دست برود چون خیلی مهم است."
    response = citizen.post(reverse("suggestions:suggest"), form_data(title="کوتاه", body=body))
    assert body in response.content.decode()


def test_pressing_submit_twice_creates_one_suggestion(citizen):
    data = form_data()
    first = citizen.post(reverse("suggestions:suggest"), data)
    second = citizen.post(reverse("suggestions:suggest"), data)
    assert Suggestion.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_contact_details_are_stored_but_never_shown_on_the_receipt(citizen):
    citizen.post(
        reverse("suggestions:suggest"), form_data(email="canary-7731@example.ir", phone="09127731000", consent="on")
    )
    suggestion = Suggestion.objects.get()
    assert Contact.objects.get(suggestion=suggestion).phone == "09127731000"
    page = citizen.get(reverse("suggestions:receipt", args=[suggestion.tracking_code])).content.decode()
    track = citizen.get(reverse("reports:track"), {"code": suggestion.tracking_code}).content.decode()
    for shown in (page, track):
        assert "canary-7731" not in shown and "7731000" not in shown


def test_no_raw_address_is_stored(citizen):
    citizen.post(reverse("suggestions:suggest"), form_data(), REMOTE_ADDR="203.0.113.9")
    suggestion = Suggestion.objects.get()
    assert suggestion.ip_hash and "203.0.113.9" not in suggestion.ip_hash


def test_too_many_submissions_from_one_address_get_a_persian_429(citizen, settings):
    settings.SUBMIT_RATE_LIMIT = "2/600"
    for _ in range(2):
        citizen.post(reverse("suggestions:suggest"), form_data())
    response = citizen.post(reverse("suggestions:suggest"), form_data())
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "بیش از حد" in response.content.decode()
    assert Suggestion.objects.count() == 2


def test_submissions_go_through_when_the_cache_is_down(citizen, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "common.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }
    response = citizen.post(reverse("suggestions:suggest"), form_data())
    assert response.status_code == 302
    assert Suggestion.objects.count() == 1


def test_a_broker_that_is_down_still_leads_to_a_receipt(citizen, dead_broker):
    response = citizen.post(reverse("suggestions:suggest"), form_data())
    assert response.status_code == 302
    assert Suggestion.objects.get().state == State.RECEIVED


def test_the_receipt_of_an_unknown_code_is_a_404(citizen):
    assert citizen.get(reverse("suggestions:receipt", args=["0000000000000000"])).status_code == 404


def test_the_live_lookup_lists_similar_suggestions_as_the_citizen_types(citizen, eager_tasks):
    from suggestions import pipeline
    from tests.security.test_public_hint import decide
    from tests.suggestions.ideas import IDEAS, analyzed

    for bodies in IDEAS.values():
        for body in bodies:
            decide(analyzed(body, title=body[:40]))  # only what a reviewer accepted is shown
    pipeline.recluster()
    response = citizen.post(
        reverse("hints:similar"), {"body": "ماسک و دستکش رایگان در ورودی شعبه‌ها داده شود"}, HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert "آیا پیشنهاد مشابهی قبلاً ثبت شده است؟" in page
    assert IDEAS["masks"][0][:40] in page
    assert page.count("<li>") <= 5


def test_the_live_lookup_stays_silent_for_a_few_words(citizen):
    response = citizen.post(reverse("hints:similar"), {"body": "ماسک"})
    assert response.status_code == 200
    assert response.content.decode().strip() == ""


def test_the_live_lookup_refuses_get(citizen):
    assert citizen.get(reverse("hints:similar")).status_code == 405


def test_each_blank_form_carries_its_own_idempotency_key_and_no_placeholder(citizen):
    import re

    pages = [citizen.get(reverse("suggestions:suggest")).content.decode() for _ in range(2)]
    keys = [re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1) for page in pages]
    assert keys[0] != keys[1]
    assert all("PLACEHOLDER" not in page and "beef" not in page for page in pages)


def test_the_cached_blank_form_posts_successfully(citizen, no_fill_delay):
    import re

    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    page = browser.get(reverse("suggestions:suggest")).content.decode()
    hidden = dict(re.findall(r'name="(csrfmiddlewaretoken|form_clock|idempotency_key)" value="([^"]+)"', page))
    data = form_data(form_clock=hidden["form_clock"], idempotency_key=hidden["idempotency_key"])
    data["csrfmiddlewaretoken"] = hidden["csrfmiddlewaretoken"]
    assert browser.post(reverse("suggestions:suggest"), data).status_code == 302


def test_a_new_topic_appears_on_the_form_at_once(citizen):
    from suggestions.models import Topic

    citizen.get(reverse("suggestions:suggest"))
    Topic.objects.create(slug="postal-voting", name="رأی‌گیری پستی", position=3)
    assert "رأی‌گیری پستی" in citizen.get(reverse("suggestions:suggest")).content.decode()


def test_the_receipt_fetches_similar_suggestions_afterwards_until_analyzed(citizen, suggestion):
    page = citizen.get(reverse("suggestions:receipt", args=[suggestion.tracking_code])).content.decode()
    assert reverse("hints:receipt_similar", args=[suggestion.tracking_code]) in page
    listing = citizen.get(reverse("hints:receipt_similar", args=[suggestion.tracking_code]))
    assert listing.status_code == 200


def test_the_receipt_lists_copies_of_one_text_once_with_how_often_it_was_sent(citizen):
    from suggestions.models import SimilarSuggestion
    from tests.security.test_public_hint import decide
    from tests.suggestions.ideas import IDEAS, analyzed

    copies = [decide(analyzed(IDEAS["masks"][0], title="ماسک رایگان")) for _ in range(3)]
    other = decide(analyzed(IDEAS["masks"][1], title="ماسک مجانی"))
    mine = analyzed(IDEAS["masks"][2], title="دماسنج در شعبه")
    SimilarSuggestion.objects.filter(suggestion=mine).delete()
    for rank, shown in enumerate([copies[0], copies[1], other, copies[2]]):
        SimilarSuggestion.objects.create(suggestion=mine, other=shown, score=0.9 - rank / 10, rank=rank)
    page = citizen.get(reverse("hints:receipt_similar", args=[mine.tracking_code])).content.decode()
    assert page.count("ماسک رایگان") == 1
    assert "۳ نفر" in page
    assert "ماسک مجانی" in page
