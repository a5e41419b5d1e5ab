"""Personas and data of the reviewer workspace tests (queue, decisions, accounts)."""

import pytest
from django.utils import timezone

from suggestions import analysis
from suggestions.choices import State
from suggestions.models import Theme, ThemeMembership
from tests.factories import SuggestionFactory, UserFactory


@pytest.fixture
def administrator(db):
    return UserFactory(username="administrator-persona", groups=["administrator"])


@pytest.fixture
def second_reviewer(db):
    return UserFactory(username="second-reviewer", groups=["reviewer"])


def analysed(**fields):
    """A suggestion as the worker leaves it: analysed, with its display and match forms."""
    suggestion = SuggestionFactory(state=State.ANALYSED, **fields)
    display = analysis.display_form(f"{suggestion.title}\n{suggestion.body}")
    suggestion.normalized_text = display
    suggestion.match_text = analysis.match_form(display)
    suggestion.analysed_at = timezone.now()
    suggestion.save()
    return suggestion


def place(suggestion, theme):
    ThemeMembership.objects.update_or_create(suggestion=suggestion, defaults={"theme": theme})


@pytest.fixture
def theme(db):
    return Theme.objects.create(label="ساعت رأی‌گیری", keywords=["ساعت", "رأی"], size=0)


@pytest.fixture
def other_theme(db):
    return Theme.objects.create(label="پروتکل‌های بهداشتی", keywords=["ماسک"], size=0)


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Many personas per test; the real hasher costs a third of a second each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
