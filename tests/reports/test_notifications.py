"""Submitters who left an e-mail and consented hear once that a report covering their suggestion is out."""

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db.models import QuerySet
from django.utils import timezone

from reports.models import ReportNotice, ReportVersion
from reports.tasks import notify_report_published, sweep_report_notices
from tests.reports.data import contact_for, draft_report, publish, theme_with_accepted, write_summary

pytestmark = pytest.mark.django_db


@pytest.fixture
def covered(reviewer):
    theme, accepted = theme_with_accepted(count=3)
    write_summary(theme, by=reviewer)
    contact_for(accepted[0], email="consented@example.ir", consent=True)
    contact_for(accepted[1], email="declined@example.ir", consent=False)
    contact_for(accepted[2], email="", consent=True)
    return theme, accepted


def test_publishing_enqueues_the_notice_task_after_commit(
    django_capture_on_commit_callbacks, eager_tasks, covered, reviewer, editor
):
    theme, _ = covered
    with django_capture_on_commit_callbacks(execute=True):
        publish(draft_report(author=reviewer, themes=[theme]), author=reviewer, editor=editor)
    assert [message.to for message in mail.outbox] == [["consented@example.ir"]]


def test_the_notice_names_the_report_and_links_the_theme_and_the_tracking_page(
    django_capture_on_commit_callbacks, eager_tasks, covered, reviewer, editor
):
    theme, accepted = covered
    with django_capture_on_commit_callbacks(execute=True):
        version = publish(draft_report(author=reviewer, themes=[theme]), author=reviewer, editor=editor)
    message = mail.outbox[0]
    assert "گزارش نخست هم‌اندیشی" in message.subject
    assert f"/reports/{version.report_id}/v/1/#theme-{theme.pk}" in message.body
    assert accepted[0].tracking_code in message.body
    assert "declined@example.ir" not in message.body


def test_running_the_task_again_sends_nothing_twice(covered, reviewer, editor):
    theme, _ = covered
    version = publish(draft_report(author=reviewer, themes=[theme]), author=reviewer, editor=editor)
    assert notify_report_published(version.pk) == 1
    assert notify_report_published(version.pk) == 0
    assert notify_report_published.apply(args=[version.pk]).get() == 0
    assert len(mail.outbox) == 1
    assert ReportNotice.objects.get().sent_at is not None


def test_a_correction_does_not_mail_the_same_submitter_again(covered, reviewer, editor):
    from reports import services

    theme, _ = covered
    first = publish(draft_report(author=reviewer, themes=[theme]), author=reviewer, editor=editor)
    notify_report_published(first.pk)
    correction = services.start_correction(version=first, author=reviewer)
    correction = services.edit_report(
        version=correction,
        editor=reviewer,
        title=correction.title,
        introduction="",
        period_start=correction.period_start,
        period_end=correction.period_end,
        themes=[theme],
        change_note="یک رقم اصلاح شد.",
    )
    second = publish(correction, author=reviewer, editor=editor)
    assert notify_report_published(second.pk) == 0
    assert len(mail.outbox) == 1


def test_a_notice_that_failed_to_send_is_tried_again_next_run(covered, reviewer, editor, monkeypatch):
    from reports import notifications

    theme, _ = covered
    version = publish(draft_report(author=reviewer, themes=[theme]), author=reviewer, editor=editor)

    def refuse(*args, **kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr(notifications, "send_mail", refuse)
    assert notify_report_published(version.pk) == 0
    monkeypatch.undo()
    assert notify_report_published(version.pk) == 1
    assert len(mail.outbox) == 1


def test_an_unpublished_version_mails_no_one(covered, reviewer):
    theme, _ = covered
    version = draft_report(author=reviewer, themes=[theme])
    assert notify_report_published(version.pk) == 0 and not mail.outbox


def _mailers_with(**environment) -> dict:
    script = (
        "import json, django; django.setup(); from django.conf import settings; print(json.dumps(settings.MAILERS))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DJANGO_READ_DOT_ENV": "false",
        "DJANGO_DEBUG": "true",
        **environment,
    }
    if "EMAIL_BACKEND" not in environment:
        env.pop("EMAIL_BACKEND", None)
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_mail_is_printed_to_the_console_by_default_and_sent_over_smtp_by_setting():
    assert _mailers_with()["default"]["BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    smtp = _mailers_with(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="mail.example.ir",
        EMAIL_PORT="587",
        EMAIL_USE_TLS="true",
    )["default"]
    assert smtp["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert smtp["OPTIONS"]["host"] == "mail.example.ir" and smtp["OPTIONS"]["port"] == 587
    assert smtp["OPTIONS"]["use_tls"] is True


def test_publishing_while_the_broker_is_down_still_publishes_and_says_nothing_went_wrong(
    django_capture_on_commit_callbacks, dead_broker, covered, reviewer, editor, caplog
):
    theme, _ = covered
    with django_capture_on_commit_callbacks(execute=True):
        version = publish(draft_report(author=reviewer, themes=[theme]), author=reviewer, editor=editor)
    version.refresh_from_db()
    assert version.status == "published"
    assert "review.notify_report_published" in caplog.text


def _published_minutes_ago(version, minutes: float):
    # A published version refuses every change; the clock is moved under it with a plain queryset, as time
    # passing would.
    moved = timezone.now() - timedelta(minutes=minutes)
    QuerySet(model=ReportVersion).filter(pk=version.pk).update(published_at=moved)
    return version


def test_the_notices_of_a_task_lost_with_its_worker_are_sent_by_the_next_sweep(covered, reviewer, editor):
    theme, _ = covered
    # Published with its task never run: the message died with a killed worker, or the broker was down.
    version = publish(draft_report(author=reviewer, themes=[theme]), author=reviewer, editor=editor)
    _published_minutes_ago(version, 10)
    assert sweep_report_notices() == 1
    assert [message.to for message in mail.outbox] == [["consented@example.ir"]]
    assert sweep_report_notices() == 0 and len(mail.outbox) == 1


def test_a_notice_claimed_by_a_worker_killed_mid_send_is_sent_once_its_claim_is_stale(covered, reviewer, editor):
    theme, accepted = covered
    version = _published_minutes_ago(
        publish(draft_report(author=reviewer, themes=[theme]), author=reviewer, editor=editor), 30
    )
    contact = accepted[0].contact
    notice = ReportNotice.objects.create(
        contact=contact, report_id=version.report_id, version=version, claimed_at=timezone.now() - timedelta(minutes=1)
    )
    assert sweep_report_notices() == 0 and not mail.outbox  # a live worker may still be sending it
    ReportNotice.objects.filter(pk=notice.pk).update(claimed_at=timezone.now() - timedelta(minutes=16))
    assert sweep_report_notices() == 1
    assert ReportNotice.objects.get(pk=notice.pk).sent_at is not None


def test_the_sweep_leaves_a_version_just_published_to_its_own_task(covered, reviewer, editor):
    theme, _ = covered
    publish(draft_report(author=reviewer, themes=[theme]), author=reviewer, editor=editor)
    assert sweep_report_notices() == 0 and not mail.outbox


def test_the_sweep_does_not_mail_about_a_report_published_long_ago(covered, reviewer, editor):
    theme, _ = covered
    version = publish(draft_report(author=reviewer, themes=[theme]), author=reviewer, editor=editor)
    _published_minutes_ago(version, 60 * 24 * 40)
    assert sweep_report_notices() == 0 and not mail.outbox


def test_beat_runs_the_notice_sweep():
    assert "reports.sweep_report_notices" in {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
