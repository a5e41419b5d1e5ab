"""Each web process keeps the active topics for a few seconds instead of asking the database on every request."""

import pytest
from django.urls import reverse

from suggestions.models import Suggestion, Topic
from tests.suggestions.helpers import form_data

pytestmark = pytest.mark.django_db


def test_the_form_page_asks_the_database_nothing_once_drawn(citizen, django_assert_num_queries):
    citizen.get(reverse("suggestions:suggest"))
    with django_assert_num_queries(0):
        response = citizen.get(reverse("suggestions:suggest"))
    assert response.status_code == 200


def test_a_topic_added_in_this_process_is_offered_at_once(citizen):
    citizen.get(reverse("suggestions:suggest"))
    Topic.objects.create(slug="queues", name="صف‌های رأی‌دهندگان", position=99)
    assert "صف‌های رأی‌دهندگان" in citizen.get(reverse("suggestions:suggest")).content.decode()


def test_a_topic_deactivated_in_this_process_is_refused_at_once(citizen):
    topic = Topic.objects.get(slug="observation")
    citizen.get(reverse("suggestions:suggest"))
    topic.is_active = False
    topic.save()
    response = citizen.post(reverse("suggestions:suggest"), form_data(citizen, topic=topic.pk))
    assert response.status_code == 400
    assert Suggestion.objects.count() == 0


def test_a_change_made_by_another_process_is_seen_after_the_cache_time(citizen, settings):
    topic = Topic.objects.get(slug="observation")
    citizen.get(reverse("suggestions:suggest"))
    Topic.objects.filter(pk=topic.pk).update(is_active=False)  # no signal reaches this process
    assert citizen.post(reverse("suggestions:suggest"), form_data(citizen, topic=topic.pk)).status_code == 302
    settings.TOPIC_CACHE_SECONDS = 0
    assert citizen.post(reverse("suggestions:suggest"), form_data(citizen, topic=topic.pk)).status_code == 400


def test_the_admin_offers_no_way_to_delete_a_topic(admin_client):
    topic = Topic.objects.get(slug="other")
    response = admin_client.get(reverse("admin:suggestions_topic_delete", args=[topic.pk]))
    assert response.status_code == 403
    assert Topic.objects.filter(pk=topic.pk).exists()


def test_the_page_drawn_once_for_the_public_never_shows_a_reviewers_header(citizen, reviewer):
    from django.test import Client

    citizen.get(reverse("suggestions:suggest"))
    staff = Client()
    staff.force_login(reviewer)
    assert "خروج (reviewer-persona)" in staff.get(reverse("suggestions:suggest")).content.decode()
    assert "reviewer-persona" not in Client().get(reverse("suggestions:suggest")).content.decode()
