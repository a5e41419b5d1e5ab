"""E-mails to submitters who left an address and agreed to be contacted, when a report covering their
suggestion is published. At most one per contact and report, however often the task runs."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from reports.models import ReportCoverage, ReportNotice, ReportVersion
from suggestions.models import Contact

logger = logging.getLogger(__name__)

# A claim older than this belongs to a worker that died mid-send; another run may take the notice over.
STALE_CLAIM = timedelta(minutes=15)
# The sweep leaves a version this young to the task its publication enqueued, and stops owing e-mails about a
# report published longer ago than the window: news a month late is no longer news.
SWEEP_GRACE = timedelta(minutes=5)
SWEEP_WINDOW = timedelta(days=30)


def _message(version: ReportVersion, contact: Contact, theme_id: int | None) -> tuple[str, str]:
    report_url = settings.SITE_URL + reverse("reports:version", args=[version.report_id, version.number])
    if theme_id:
        report_url += f"#theme-{theme_id}"
    track_url = settings.SITE_URL + reverse("reports:track") + f"?code={contact.suggestion.tracking_code}"
    subject = f"گزارش «{version.title}» منتشر شد"
    body = (
        "سلام،\n\n"
        f"پیشنهادی که با کد رهگیری {contact.suggestion.display_code} فرستاده بودید در گزارش «{version.title}» "
        "شمرده و بررسی شده است. گزارش را اینجا بخوانید:\n"
        f"{report_url}\n\n"
        "سرنوشت پیشنهاد خودتان را اینجا ببینید:\n"
        f"{track_url}\n\n"
        "این نامه را فرستادیم چون هنگام فرستادن پیشنهاد رضایت دادید که با شما تماس بگیریم.\n"
        "هم‌اندیشی"
    )
    return subject, body


def send_report_notices(*, version_id: int) -> int:
    """Send what is still unsent for a published version; returns how many e-mails went out."""
    version = ReportVersion.objects.published().filter(pk=version_id).first()
    if version is None:
        return 0
    covered = ReportCoverage.objects.filter(version=version)
    contacts = Contact.objects.filter(suggestion_id__in=covered.values("suggestion_id"), consent=True).exclude(email="")
    ReportNotice.objects.bulk_create(
        (
            ReportNotice(contact_id=pk, report_id=version.report_id, version=version)
            for pk in contacts.values_list("pk", flat=True)
        ),
        ignore_conflicts=True,
        batch_size=2000,
    )
    themes = dict(covered.values_list("suggestion_id", "theme_id"))
    sent = 0
    pending = ReportNotice.objects.filter(report_id=version.report_id, sent_at__isnull=True, contact__in=contacts)
    for notice in pending.select_related("contact__suggestion").iterator(chunk_size=500):
        now = timezone.now()
        # Claim first, with one conditional UPDATE: a second worker, or a re-run, finds nothing to claim.
        claimed = ReportNotice.objects.filter(
            Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - STALE_CLAIM), pk=notice.pk, sent_at__isnull=True
        ).update(claimed_at=now)
        if not claimed:
            continue
        contact = notice.contact
        subject, body = _message(version, contact, themes.get(contact.suggestion_id))
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [contact.email])
        except Exception:
            ReportNotice.objects.filter(pk=notice.pk).update(claimed_at=None)
            logger.exception("Report notice %s could not be sent; the next run tries again", notice.pk)
            continue
        ReportNotice.objects.filter(pk=notice.pk).update(sent_at=timezone.now())
        sent += 1
    return sent


def owed_versions(*, now=None) -> list[int]:
    """Published versions, between SWEEP_GRACE and SWEEP_WINDOW old, that still owe an e-mail: a covered contact
    who consented and left an address has no sent notice of the report. Their task was lost (the broker was
    down at publication, or the worker holding the message was killed) or stopped part-way."""
    now = now or timezone.now()
    owed = []
    recent = ReportVersion.objects.published().filter(
        published_at__gte=now - SWEEP_WINDOW, published_at__lt=now - SWEEP_GRACE
    )
    for version_id, report_id in recent.values_list("pk", "report_id"):
        covered = ReportCoverage.objects.filter(version_id=version_id).values("suggestion_id")
        sent = ReportNotice.objects.filter(report_id=report_id, sent_at__isnull=False).values("contact_id")
        contacts = Contact.objects.filter(suggestion_id__in=covered, consent=True).exclude(email="")
        if contacts.exclude(pk__in=sent).exists():
            owed.append(version_id)
    return owed


def send_owed_notices() -> int:
    """Send what every owed version still owes; what a live worker has claimed is left to it (STALE_CLAIM)."""
    return sum(send_report_notices(version_id=version_id) for version_id in owed_versions())
