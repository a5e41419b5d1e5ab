"""Writes of summaries, quotes and reports. Each is keyword-only, typed and atomic, and writes its audit row
in the same transaction. A refused request raises ReportError with a Persian message and changes nothing."""

import re
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from common.errors import Refused
from common.persian import TO_PERSIAN
from common.queue import enqueue_on_commit
from reports import figures
from reports.markup import render_markdown, visible_text
from reports.models import (
    Quote,
    Report,
    ReportCoverage,
    ReportStatus,
    ReportVersion,
    ThemeSummary,
)
from reports.redaction import LABELS, find_personal_data, redact
from reports.tasks import notify_report_published
from review.audit import record_action
from review.models import ReviewStatus
from review.roles import EDITOR_ROLES, has_role
from suggestions.models import Suggestion, Theme

MAX_QUOTE_CHARS = 600
MAX_EXTRA_TERMS = 20
_SPACES = re.compile(r"\s+")


class ReportError(Refused):
    """A request that cannot be carried out; the message is Persian and shown as it is."""


def _squash(text: str) -> str:
    return _SPACES.sub(" ", text or "").strip()


def _locked(version: ReportVersion) -> ReportVersion:
    return ReportVersion.objects.select_for_update().get(pk=version.pk)


def _require_draft(version: ReportVersion) -> None:
    if version.status == ReportStatus.PUBLISHED:
        raise ReportError("گزارش منتشرشده تغییرناپذیر است؛ برای اصلاح آن نسخهٔ تازه‌ای بسازید.")
    if version.status != ReportStatus.DRAFT:
        raise ReportError("فقط پیش‌نویس را می‌توان ویرایش کرد؛ اول گزارش را به پیش‌نویس برگردانید.")


def _check_period(period_start: datetime, period_end: datetime) -> None:
    if period_end <= period_start:
        raise ReportError("پایان دوره باید بعد از آغاز آن باشد.")


# Summaries and quotes -----------------------------------------------------------------------------------


@transaction.atomic
def save_theme_summary(*, theme: Theme, editor, text: str) -> ThemeSummary:
    summary, _ = ThemeSummary.objects.select_for_update().get_or_create(theme=theme)
    before = {"length": len(summary.text)}
    text = text.strip()
    if text != summary.text:
        summary.writers.add(editor)
    summary.text = text
    summary.updated_by = editor
    summary.save()
    record_action(
        actor=editor, action="summary_edit", target=summary, before=before, after={"length": len(summary.text)}
    )
    return summary


def quotable_suggestions(theme: Theme):
    """Accepted suggestions placed in the theme: the only ones a reviewer may quote."""
    return Suggestion.objects.filter(review__status=ReviewStatus.ACCEPTED, theme_membership__theme=theme)


def clean_extra_terms(raw: str) -> list[str]:
    terms = [term.strip() for term in re.split(r"[,،\n]", raw or "") if term.strip()]
    if len(terms) > MAX_EXTRA_TERMS:
        raise ReportError(f"حداکثر {MAX_EXTRA_TERMS} عبارت را می‌توان به دست پوشاند.".translate(TO_PERSIAN))
    if any(len(term) < 2 for term in terms):
        raise ReportError("هر عبارتی که باید پوشانده شود دست‌کم دو نویسه باشد.")
    return terms


@transaction.atomic
def add_quote(*, theme: Theme, suggestion: Suggestion, reviewer, excerpt: str, extra_terms: list[str]) -> Quote:
    """Quote a passage of an accepted suggestion of the theme. The passage must be the suggestion's own words;
    personal data in it is hidden at once, and the quote waits for a reviewer to confirm the result."""
    if not quotable_suggestions(theme).filter(pk=suggestion.pk).exists():
        raise ReportError("فقط از پیشنهادهای پذیرفته‌شدهٔ همین محور می‌توان نقل‌قول آورد.")
    excerpt = _squash(excerpt)
    if not excerpt:
        raise ReportError("بخشی از متن پیشنهاد را برای نقل‌قول بنویسید.")
    if len(excerpt) > MAX_QUOTE_CHARS:
        raise ReportError(f"نقل‌قول حداکثر {MAX_QUOTE_CHARS} نویسه باشد؛ بخش کوتاه‌تری برگزینید.".translate(TO_PERSIAN))
    if excerpt not in _squash(f"{suggestion.title} {suggestion.body}"):
        raise ReportError("نقل‌قول باید عین واژه‌های خود پیشنهاد باشد؛ متن را از پیشنهاد رونوشت کنید.")
    summary, _ = ThemeSummary.objects.get_or_create(theme=theme)
    if summary.quotes.filter(suggestion=suggestion).exists():
        raise ReportError("از این پیشنهاد پیش‌تر در همین محور نقل‌قول آورده شده است.")
    result = redact(excerpt, extra_terms=extra_terms)
    quote = Quote.objects.create(
        summary=summary,
        suggestion=suggestion,
        excerpt=excerpt,
        extra_terms=extra_terms,
        redacted_text=result.text,
        redaction_kinds=[finding.kind for finding in result.findings],
        position=summary.quotes.count(),
        added_by=reviewer,
    )
    record_action(
        actor=reviewer,
        action="quote_add",
        target=quote,
        after={"suggestion": suggestion.pk, "theme": theme.pk, "redactions": quote.redaction_kinds},
    )
    return quote


@transaction.atomic
def confirm_quote(*, quote: Quote, reviewer) -> Quote:
    """A reviewer read the redacted text and found no personal data left in it."""
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if quote.is_confirmed:
        return quote
    left = find_personal_data(quote.redacted_text)
    if left:
        kinds = "، ".join(sorted({finding.label for finding in left}))
        raise ReportError(f"در متن نقل‌قول هنوز اطلاعات شخصی ({kinds}) هست؛ آن را حذف و دوباره اضافه کنید.")
    quote.confirmed_by = reviewer
    quote.confirmed_at = timezone.now()
    quote.save(update_fields=["confirmed_by", "confirmed_at"])
    record_action(actor=reviewer, action="quote_confirm", target=quote, after={"redactions": quote.redaction_kinds})
    return quote


@transaction.atomic
def remove_quote(*, quote: Quote, reviewer) -> None:
    record_action(actor=reviewer, action="quote_remove", target=quote, before={"suggestion": quote.suggestion_id})
    quote.delete()


# Reports ------------------------------------------------------------------------------------------------


@transaction.atomic
def create_report(
    *, author, title: str, introduction: str, period_start: datetime, period_end: datetime, themes: list[Theme]
) -> ReportVersion:
    _check_period(period_start, period_end)
    report = Report.objects.create()
    version = ReportVersion.objects.create(
        report=report,
        number=1,
        title=title.strip(),
        introduction=introduction.strip(),
        period_start=period_start,
        period_end=period_end,
        author=author,
    )
    version.themes.set(themes)
    version.writers.add(author)
    record_action(actor=author, action="report_create", target=version, after=version.facts())
    return version


@transaction.atomic
def edit_report(
    *,
    version: ReportVersion,
    editor,
    title: str,
    introduction: str,
    period_start: datetime,
    period_end: datetime,
    themes: list[Theme],
    change_note: str = "",
) -> ReportVersion:
    version = _locked(version)
    _require_draft(version)
    _check_period(period_start, period_end)
    written = (version.title, version.introduction, version.period_start, version.period_end, version.change_note)
    chosen = set(version.themes.values_list("pk", flat=True))
    version.title = title.strip()
    version.introduction = introduction.strip()
    version.period_start = period_start
    version.period_end = period_end
    version.change_note = change_note.strip()
    version.save()
    version.themes.set(themes)
    now_written = (version.title, version.introduction, version.period_start, version.period_end, version.change_note)
    if now_written != written or {theme.pk for theme in themes} != chosen:
        version.writers.add(editor)
    record_action(actor=editor, action="report_edit", target=version, after={**version.facts(), "themes": len(themes)})
    return version


def _as_read(markdown: str) -> str:
    """A Markdown text as the public page and the PDF show it, followed by its source on a line of its own."""
    return f"{visible_text(render_markdown(markdown))}\n{markdown or ''}"


def _public_text_problems(version: ReportVersion, sections: list[tuple[Theme, ThemeSummary | None]]) -> list[str]:
    """Personal data in text staff wrote is refused, not hidden: they fix it and submit again. Markdown is
    checked as the public reads it, rendered and sanitised, so a comment or a character reference inside a
    number or an address («0912<!-- -->3456789», «ali&#64;example.com») cannot slip past; and as written,
    which is what the editor saw."""
    places = [
        ("عنوان", version.title),
        ("مقدمه", _as_read(version.introduction)),
        ("یادداشت اصلاح", version.change_note),
    ]
    for theme, summary in sections:
        places.append((f"عنوان محور «{theme.label}»", theme.label))
        places.append((f"خلاصهٔ محور «{theme.label}»", _as_read(summary.text if summary else "")))
    problems = []
    for place, text in places:
        found = find_personal_data(text or "")
        if found:
            kinds = "، ".join(sorted({finding.label for finding in found}))
            problems.append(f"در {place} اطلاعات شخصی ({kinds}) هست.")
    return problems


def _period_quotes(summary: ThemeSummary | None, version: ReportVersion):
    if summary is None:
        return Quote.objects.none()
    return summary.quotes.filter(
        suggestion__created_at__gte=version.period_start, suggestion__created_at__lt=version.period_end
    )


def _published_quotes(summary: ThemeSummary | None, version: ReportVersion):
    """The quotes a version shows: confirmed, of the period, and still of accepted suggestions."""
    return _period_quotes(summary, version).confirmed().filter(suggestion__review__status=ReviewStatus.ACCEPTED)


def _record_writers(version: ReportVersion) -> None:
    """Add to the version's writers everyone who wrote what it froze: each summary of its themes and each
    quote it shows. Its own title and introduction were recorded as they were written."""
    writers = set()
    for summary in ThemeSummary.objects.filter(theme__in=version.themes.all()):
        writers.update(summary.writers.values_list("pk", flat=True))
        writers.update(_published_quotes(summary, version).exclude(added_by=None).values_list("added_by_id", flat=True))
    version.writers.add(*writers)


def check_ready_to_submit(version: ReportVersion) -> list[str]:
    """Everything that keeps a draft from being submitted, in Persian; empty when it may go."""
    themes = list(version.themes.all())
    summaries = {summary.theme_id: summary for summary in ThemeSummary.objects.filter(theme__in=themes)}
    sections = [(theme, summaries.get(theme.pk)) for theme in themes]
    problems = []
    if not version.title.strip():
        problems.append("گزارش عنوان ندارد.")
    if not themes:
        problems.append("دست‌کم یک محور به گزارش بیفزایید.")
    if version.number > 1 and not version.change_note.strip():
        problems.append("برای نسخهٔ اصلاحی بنویسید چه چیزی و چرا تغییر کرده است (یادداشت اصلاح).")
    for theme, summary in sections:
        if summary is None or not summary.text.strip():
            problems.append(f"محور «{theme.label}» هنوز خلاصه ندارد.")
        quotes = _period_quotes(summary, version)
        if quotes.unconfirmed().exists():
            problems.append(f"پوشاندن اطلاعات شخصی در نقل‌قول‌های محور «{theme.label}» هنوز تأیید نشده است.")
        stale = quotes.exclude(suggestion__review__status=ReviewStatus.ACCEPTED)
        if stale.exists():
            problems.append(f"نقل‌قولی در محور «{theme.label}» از پیشنهادی است که دیگر پذیرفته نیست؛ آن را حذف کنید.")
    return problems + _public_text_problems(version, sections)


def build_content(version: ReportVersion) -> dict:
    """What a version shows the public: computed from the data now, frozen when it is submitted."""
    start, end = version.period_start, version.period_end
    themes = list(version.themes.all())
    summaries = {summary.theme_id: summary for summary in ThemeSummary.objects.filter(theme__in=themes)}
    sections = []
    for theme in themes:
        summary = summaries.get(theme.pk)
        quotes = list(_published_quotes(summary, version))
        sections.append(
            {
                "anchor": f"theme-{theme.pk}",
                "theme_id": theme.pk,
                "label": theme.label,
                "summary_html": render_markdown(summary.text if summary else ""),
                "figures": figures.theme_figures(theme.pk, start=start, end=end),
                "quotes": [quote.redacted_text for quote in quotes],
                # Each quote's suggestion: the public page offers to back its idea instead of copying it.
                "quote_ideas": [quote.suggestion_id for quote in quotes],
            }
        )
    sections.sort(key=lambda section: (-section["figures"]["distinct_ideas"], section["theme_id"]))
    return {
        "schema": 1,
        "title": version.title,
        "introduction_html": render_markdown(version.introduction),
        "change_note": version.change_note,
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "frozen_at": timezone.now().isoformat(),
        "method": figures.method_figures([theme.pk for theme in themes], start=start, end=end),
        "sections": sections,
    }


def _record_coverage(version: ReportVersion) -> None:
    labels = dict(version.themes.values_list("pk", "label"))
    rows = figures.coverage_rows(list(labels), start=version.period_start, end=version.period_end)
    ReportCoverage.objects.bulk_create(
        (
            ReportCoverage(version=version, suggestion_id=pk, theme_id=theme_id, theme_label=labels[theme_id])
            for pk, theme_id in rows
        ),
        batch_size=5000,
    )


@transaction.atomic
def submit_report(*, version: ReportVersion, submitter) -> ReportVersion:
    """Draft → submitted. The figures, texts and quotes are frozen now: the editor approves exactly what the
    public will read."""
    version = _locked(version)
    _require_draft(version)
    problems = check_ready_to_submit(version)
    if problems:
        raise ReportError(" ".join(problems))
    before = version.facts()
    version.content = build_content(version)
    version.status = ReportStatus.SUBMITTED
    version.submitted_by = submitter
    version.submitted_at = timezone.now()
    version.returned_note = ""
    version.save()
    _record_coverage(version)
    _record_writers(version)
    record_action(actor=submitter, action="report_submit", target=version, before=before, after=version.facts())
    return version


@transaction.atomic
def return_report(*, version: ReportVersion, user, note: str) -> ReportVersion:
    """Submitted or approved → draft, for changes: by an editor, or by the author taking it back."""
    version = _locked(version)
    if version.status not in (ReportStatus.SUBMITTED, ReportStatus.APPROVED):
        raise ReportError("فقط گزارشی که فرستاده یا تأیید شده و هنوز منتشر نشده را می‌توان برگرداند.")
    if not has_role(user, *EDITOR_ROLES) and user.pk != version.author_id:
        raise ReportError("فقط ویراستار یا نویسندهٔ گزارش می‌تواند آن را به پیش‌نویس برگرداند.")
    before = version.facts()
    version.status = ReportStatus.DRAFT
    version.content = None
    version.submitted_by = version.approved_by = None
    version.submitted_at = version.approved_at = None
    version.returned_note = note.strip()
    version.save()
    version.coverage.all().delete()
    record_action(actor=user, action="report_return", target=version, before=before, after=version.facts())
    return version


@transaction.atomic
def approve_report(*, version: ReportVersion, editor) -> ReportVersion:
    version = _locked(version)
    if not has_role(editor, *EDITOR_ROLES):
        raise ReportError("فقط ویراستار می‌تواند گزارش را تأیید کند.")
    if version.status != ReportStatus.SUBMITTED:
        raise ReportError("فقط گزارشی را که برای تأیید فرستاده شده می‌توان تأیید کرد.")
    if editor.pk in (version.author_id, version.submitted_by_id):
        raise ReportError("نویسنده نمی‌تواند گزارش خودش را تأیید کند؛ ویراستار دیگری باید آن را تأیید کند.")
    if version.is_written_by(editor):
        raise ReportError(
            "شما بخشی از این نسخه را نوشته‌اید (مقدمه، خلاصهٔ یک محور یا یک نقل‌قول)؛ "
            "ویراستار دیگری که در نوشتن آن نقشی نداشته باید آن را تأیید کند."
        )
    before = version.facts()
    version.status = ReportStatus.APPROVED
    version.approved_by = editor
    version.approved_at = timezone.now()
    version.save()
    record_action(actor=editor, action="report_approve", target=version, before=before, after=version.facts())
    return version


@transaction.atomic
def publish_report(*, version: ReportVersion, editor) -> ReportVersion:
    """Approved → published, for good. Submitters who asked to hear back are e-mailed after the commit."""
    version = _locked(version)
    if not has_role(editor, *EDITOR_ROLES):
        raise ReportError("فقط ویراستار می‌تواند گزارش را منتشر کند.")
    if version.status == ReportStatus.PUBLISHED:
        raise ReportError("این نسخه پیش‌تر منتشر شده است.")
    if version.status != ReportStatus.APPROVED:
        raise ReportError("فقط گزارش تأییدشده را می‌توان منتشر کرد.")
    before = version.facts()
    version.status = ReportStatus.PUBLISHED
    version.published_by = editor
    version.published_at = timezone.now()
    version.save()
    record_action(actor=editor, action="report_publish", target=version, before=before, after=version.facts())
    enqueue_on_commit(notify_report_published, version.pk)
    return version


@transaction.atomic
def start_correction(*, version: ReportVersion, author) -> ReportVersion:
    """A new draft version of a published report, copied from it; the published one stays as it is."""
    version = ReportVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != ReportStatus.PUBLISHED:
        raise ReportError("اصلاحیه فقط برای گزارش منتشرشده نوشته می‌شود؛ پیش‌نویس را مستقیم ویرایش کنید.")
    Report.objects.select_for_update().get(pk=version.report_id)
    if ReportVersion.objects.filter(report_id=version.report_id).unpublished().exists():
        raise ReportError("برای این گزارش پیش‌تر نسخهٔ اصلاحی باز شده است؛ همان را ادامه دهید.")
    latest = ReportVersion.objects.filter(report_id=version.report_id).order_by("-number").first()
    correction = ReportVersion.objects.create(
        report_id=version.report_id,
        number=latest.number + 1,
        title=latest.title,
        introduction=latest.introduction,
        period_start=latest.period_start,
        period_end=latest.period_end,
        author=author,
    )
    correction.themes.set(latest.themes.all())
    # The copied title and introduction are still their writers' words.
    correction.writers.add(author, *latest.writers.all())
    record_action(
        actor=author, action="report_correct", target=correction, after={**correction.facts(), "from": latest.pk}
    )
    return correction


def redaction_preview(quote: Quote) -> list[dict]:
    """What the redaction found in a quote, for the reviewer who confirms it (staff pages only)."""
    result = redact(quote.excerpt, extra_terms=quote.extra_terms)
    return [{"label": LABELS[finding.kind], "text": finding.text} for finding in result.findings]
