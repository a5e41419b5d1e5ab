"""The demo accounts seed_demo makes can take a report the whole way, whoever of them drafts it."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from reports import services
from reports.models import ReportStatus, ReportVersion
from review.roles import EDITOR_ROLES, has_role
from suggestions.management.commands.seed_demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from tests.reports.data import draft_report, theme_with_accepted, write_summary

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_accounts(settings):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("seed_demo", suggestions=0, stdout=out)
    users = {user.username: user for user in get_user_model().objects.filter(username__in=dict(DEMO_ACCOUNTS))}
    assert set(users) == set(dict(DEMO_ACCOUNTS))
    assert all(user.check_password(DEMO_PASSWORD) for user in users.values())
    return users, out.getvalue()


def test_a_report_the_demo_editor_drafts_is_approved_and_published_by_another_demo_account(client, demo_accounts):
    users, _ = demo_accounts
    editor = users["editor"]
    theme, _ = theme_with_accepted()
    write_summary(theme, by=editor)
    version = services.submit_report(version=draft_report(author=editor, themes=[theme]), submitter=editor)

    approvers = [user for user in users.values() if user != editor and has_role(user, *EDITOR_ROLES)]
    assert approvers, "a second demo editor approves what the first one wrote"
    client.force_login(approvers[0])
    client.post(reverse("review_reports:approve", args=[version.pk]))
    client.post(reverse("review_reports:publish", args=[version.pk]), {"confirm": "on"})
    assert ReportVersion.objects.get(pk=version.pk).status == ReportStatus.PUBLISHED


def test_seed_demo_says_who_drafts_and_who_approves(demo_accounts):
    _, output = demo_accounts
    for username, _ in DEMO_ACCOUNTS:
        assert f"{username} / {DEMO_PASSWORD}" in output
    assert "editor2" in output and "approves" in output


def test_the_demo_reviewer_is_not_sent_to_an_admin_that_has_nothing_for_them(client, demo_accounts):
    users, _ = demo_accounts
    assert not users["reviewer"].is_staff
    assert users["editor"].is_staff and users["editor2"].is_staff
