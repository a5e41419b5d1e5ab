"""Personas and data of the reviewer workspace tests (queue, decisions, accounts); their suggestions, groups
and placements come from tests/factories.py."""

import pytest

from suggestions.models import Theme
from tests.factories import UserFactory


@pytest.fixture
def administrator(db):
    return UserFactory(username="administrator-persona", groups=["administrator"])


@pytest.fixture
def second_reviewer(db):
    return UserFactory(username="second-reviewer", groups=["reviewer"])


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
