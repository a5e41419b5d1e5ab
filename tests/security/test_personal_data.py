"""A canary email and phone number sent with a suggestion never leave the contact table: not in public
pages, logs, task payloads or error pages."""

import logging

import pytest
from celery.signals import before_task_publish
from django.test import Client, TestCase
from django.urls import reverse

from suggestions.models import Contact, Suggestion
from tests.suggestions.helpers import form_data

pytestmark = pytest.mark.django_db

CANARY_EMAIL = "canary-4417@example.ir"
CANARY_PHONE = "09124417000"
CANARY_NAME = "قناری‌چهارچهارده"


def submit_with_canary(client):
    data = form_data(name=CANARY_NAME, email=CANARY_EMAIL, phone="۰۹۱۲۴۴۱۷۰۰۰", consent="on")
    return client.post(reverse("suggestions:suggest"), data)


def leaks(text: str) -> bool:
    return any(canary in text for canary in (CANARY_EMAIL, CANARY_PHONE, "4417000", CANARY_NAME))


def test_the_canary_is_stored_only_in_the_contact_table(citizen):
    submit_with_canary(citizen)
    contact = Contact.objects.get()
    assert contact.email == CANARY_EMAIL and contact.phone == CANARY_PHONE
    suggestion = Suggestion.objects.get()
    assert not leaks(f"{suggestion.title} {suggestion.body} {suggestion.normalized_text} {suggestion.ip_hash}")


def test_task_payloads_carry_only_the_suggestion_id(citizen):
    published = []

    def capture(body=None, **kwargs):
        published.append(repr(body))

    before_task_publish.connect(capture, weak=False)
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            submit_with_canary(citizen)
    finally:
        before_task_publish.disconnect(capture)
    suggestion = Suggestion.objects.get()
    assert published, "the analysis task was published"
    assert all(not leaks(body) for body in published)
    assert f"({suggestion.pk},)" in published[0] or f"[{suggestion.pk}]" in published[0]


def test_logs_of_submission_and_analysis_never_hold_the_canary(citizen, eager_tasks, caplog):
    caplog.set_level(logging.DEBUG)
    with TestCase.captureOnCommitCallbacks(execute=True):
        submit_with_canary(citizen)
    assert not leaks(caplog.text)


def test_public_pages_of_the_suggestion_never_show_the_canary(citizen):
    response = submit_with_canary(citizen)
    code = Suggestion.objects.get().tracking_code
    pages = [
        citizen.get(response["Location"]),
        citizen.get(reverse("reports:track"), {"code": code}),
        citizen.get("/"),
    ]
    assert all(page.status_code == 200 and not leaks(page.content.decode()) for page in pages)


def test_a_refused_form_does_not_echo_contact_details_into_an_error_page(citizen):
    response = citizen.post(reverse("suggestions:suggest"), form_data(email=CANARY_EMAIL, title="کوتاه"))
    assert response.status_code == 400
    # The form keeps what the citizen typed (so nothing is lost), but only inside its own input field.
    page = response.content.decode()
    assert page.count(CANARY_EMAIL) == 1 and f'value="{CANARY_EMAIL}"' in page


def test_the_not_found_page_does_not_reflect_the_address(citizen):
    page = Client().get(f"/{CANARY_EMAIL}/").content.decode()
    assert CANARY_EMAIL not in page
