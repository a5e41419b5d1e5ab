"""Staff pages of summaries and reports. Reviewers write; editors approve and publish. Every write is one
service call; a refusal comes back as a Persian message and changes nothing."""

from django import forms
from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from reports import figures, services
from reports.forms import QuoteForm, ReportForm, ReturnForm, SummaryForm, jalali_text
from reports.models import Quote, ReportCoverage, ReportStatus, ReportVersion, ThemeSummary
from reports.presentation import present
from review.models import AuditEntry
from review.roles import EDITOR_ROLES, REVIEW_ROLES, has_role, require_role, role_required
from suggestions.models import Contact, Suggestion, Theme


def get_version_for_staff_or_404(user, pk: int) -> ReportVersion:
    require_role(user, *REVIEW_ROLES)
    return get_object_or_404(ReportVersion.objects.select_related("report", "author"), pk=pk)


def get_quote_for_staff_or_404(user, pk: int) -> Quote:
    require_role(user, *REVIEW_ROLES)
    return get_object_or_404(Quote.objects.select_related("summary__theme", "suggestion"), pk=pk)


def _context(**extra) -> dict:
    return {"staff_section": "reports", **extra}


def _refused(request, error: services.ReportError, back: str):
    messages.error(request, str(error))
    return redirect(back)


@role_required(*REVIEW_ROLES)
@require_http_methods(["GET"])
def desk(request):
    versions = ReportVersion.objects.select_related("report", "author").order_by("-report_id", "-number")
    themes = (
        Theme.objects.filter(is_active=True, size__gt=0)
        .select_related("report_summary")
        .annotate(
            quotes=Count("report_summary__quotes", distinct=True),
            unconfirmed=Count(
                "report_summary__quotes", filter=Q(report_summary__quotes__confirmed_at__isnull=True), distinct=True
            ),
        )
        .order_by("-size", "pk")
    )
    return render(request, "review/reports/desk.html", _context(versions=versions, themes=themes))


def _default_period() -> dict:
    first = Suggestion.objects.order_by("created_at").values_list("created_at", flat=True).first()
    today = timezone.localdate()
    return {
        "first_day": jalali_text(timezone.localtime(first).date() if first else today),
        "last_day": jalali_text(today),
    }


@role_required(*REVIEW_ROLES)
@require_http_methods(["GET", "POST"])
def create(request):
    if request.method == "GET":
        form = ReportForm(initial=_default_period())
        return render(request, "review/reports/form.html", _context(form=form))
    form = ReportForm(request.POST)
    if not form.is_valid():
        return render(request, "review/reports/form.html", _context(form=form), status=400)
    start, end = form.period()
    try:
        version = services.create_report(
            author=request.user,
            title=form.cleaned_data["title"],
            introduction=form.cleaned_data["introduction"],
            period_start=start,
            period_end=end,
            themes=list(form.cleaned_data["themes"]),
        )
    except services.ReportError as error:
        form.add_error(None, str(error))
        return render(request, "review/reports/form.html", _context(form=form), status=400)
    messages.success(request, "پیش‌نویس گزارش ساخته شد.")
    return redirect("review_reports:version", pk=version.pk)


@role_required(*REVIEW_ROLES)
@require_http_methods(["GET", "POST"])
def edit(request, pk: int):
    version = get_version_for_staff_or_404(request.user, pk)
    chosen = list(version.themes.all())
    is_correction = version.number > 1
    if not version.is_editable:
        messages.error(request, "فقط پیش‌نویس را می‌توان ویرایش کرد.")
        return redirect("review_reports:version", pk=pk)
    if request.method == "GET":
        initial = {
            "title": version.title,
            "introduction": version.introduction,
            "first_day": jalali_text(version.period_first_day),
            "last_day": jalali_text(version.period_last_day),
            "themes": chosen,
            "change_note": version.change_note,
        }
        form = ReportForm(initial=initial, chosen=chosen, is_correction=is_correction)
        return render(request, "review/reports/form.html", _context(form=form, version=version))
    form = ReportForm(request.POST, chosen=chosen, is_correction=is_correction)
    if not form.is_valid():
        return render(request, "review/reports/form.html", _context(form=form, version=version), status=400)
    start, end = form.period()
    try:
        services.edit_report(
            version=version,
            editor=request.user,
            title=form.cleaned_data["title"],
            introduction=form.cleaned_data["introduction"],
            period_start=start,
            period_end=end,
            themes=list(form.cleaned_data["themes"]),
            change_note=form.cleaned_data.get("change_note", ""),
        )
    except services.ReportError as error:
        form.add_error(None, str(error))
        return render(request, "review/reports/form.html", _context(form=form, version=version), status=400)
    messages.success(request, "پیش‌نویس ذخیره شد.")
    return redirect("review_reports:version", pk=pk)


@role_required(*REVIEW_ROLES)
@require_http_methods(["GET"])
def version_page(request, pk: int):
    version = get_version_for_staff_or_404(request.user, pk)
    live = version.content is None
    content = services.build_content(version) if live else version.content
    user = request.user
    context = _context(
        **present(version, content),
        version=version,
        live=live,
        problems=services.check_ready_to_submit(version) if version.is_editable else [],
        versions=version.report.versions.order_by("number"),
        audit=AuditEntry.objects.for_object(version)[:50],
        is_editor=has_role(user, *EDITOR_ROLES),
        is_author=user.pk == version.submitted_by_id or version.is_written_by(user),
        can_return=version.status in (ReportStatus.SUBMITTED, ReportStatus.APPROVED)
        and (has_role(user, *EDITOR_ROLES) or user.pk == version.author_id),
        return_form=ReturnForm(),
        has_open_version=version.report.versions.unpublished().exists(),
    )
    return render(request, "review/reports/version.html", context)


def _transition(request, pk: int, action, done: str, **kwargs):
    version = get_version_for_staff_or_404(request.user, pk)
    back = reverse("review_reports:version", args=[pk])
    try:
        result = action(version=version, **kwargs)
    except services.ReportError as error:
        return _refused(request, error, back)
    messages.success(request, done)
    return redirect("review_reports:version", pk=result.pk)


@role_required(*REVIEW_ROLES)
@require_POST
def submit(request, pk: int):
    return _transition(request, pk, services.submit_report, "گزارش برای تأیید فرستاده شد.", submitter=request.user)


@role_required(*REVIEW_ROLES)
@require_POST
def send_back(request, pk: int):
    form = ReturnForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    return _transition(request, pk, services.return_report, "گزارش به پیش‌نویس برگشت.", user=request.user, note=note)


@role_required(*EDITOR_ROLES)
@require_POST
def approve(request, pk: int):
    return _transition(request, pk, services.approve_report, "گزارش تأیید شد.", editor=request.user)


class PublishConfirmationForm(forms.Form):
    confirm = forms.BooleanField(
        label="می‌دانم که انتشار برگشت‌پذیر نیست و این نسخه همان‌طور که هست برای همه منتشر می‌شود.",
        error_messages={"required": "برای انتشار، تأیید کنید که می‌دانید انتشار برگشت‌پذیر نیست؛ چیزی منتشر نشد."},
    )


def _notice_count(version: ReportVersion) -> int:
    """At most this many submitters are e-mailed: those covered by the report who agreed and left an address."""
    covered = ReportCoverage.objects.filter(version=version).values("suggestion_id")
    return Contact.objects.filter(suggestion_id__in=covered, consent=True).exclude(email="").count()


@role_required(*EDITOR_ROLES)
@require_http_methods(["GET", "POST"])
def publish(request, pk: int):
    """Publishing cannot be undone: GET shows what will become public, and only a POST that carries the
    editor's confirmation publishes."""
    form = PublishConfirmationForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        return _transition(request, pk, services.publish_report, "گزارش منتشر شد.", editor=request.user)
    version = get_version_for_staff_or_404(request.user, pk)
    if version.status != ReportStatus.APPROVED:
        refusal = "این نسخه پیش‌تر منتشر شده است." if version.status == ReportStatus.PUBLISHED else ""
        error = services.ReportError(refusal or "فقط گزارش تأییدشده را می‌توان منتشر کرد.")
        return _refused(request, error, reverse("review_reports:version", args=[pk]))
    context = _context(**present(version, version.content), version=version, form=form, notices=_notice_count(version))
    return render(request, "review/reports/publish.html", context, status=400 if form.is_bound else 200)


@role_required(*REVIEW_ROLES)
@require_POST
def correct(request, pk: int):
    return _transition(
        request, pk, services.start_correction, "نسخهٔ اصلاحی ساخته شد؛ تغییرها را بنویسید.", author=request.user
    )


# Theme summaries and quotes -----------------------------------------------------------------------------


def _theme_context(theme: Theme, **extra) -> dict:
    summary = ThemeSummary.objects.filter(theme=theme).first()
    quotes = list(summary.quotes.select_related("suggestion", "confirmed_by")) if summary else []
    for quote in quotes:
        quote.preview = services.redaction_preview(quote)
    start = Suggestion.objects.order_by("created_at").values_list("created_at", flat=True).first() or timezone.now()
    return _context(
        theme=theme,
        summary=summary,
        quotes=quotes,
        figures=figures.theme_figures(theme.pk, start=start, end=timezone.now() + timezone.timedelta(seconds=1)),
        **extra,
    )


@role_required(*REVIEW_ROLES)
@require_http_methods(["GET", "POST"])
def theme_summary(request, theme_id: int):
    theme = get_object_or_404(Theme, pk=theme_id)
    quotable = services.quotable_suggestions(theme).order_by("-created_at")
    quote_form = QuoteForm(suggestions=quotable)
    if request.method == "GET":
        summary = ThemeSummary.objects.filter(theme=theme).first()
        form = SummaryForm(initial={"text": summary.text if summary else ""})
        return render(request, "review/reports/theme.html", _theme_context(theme, form=form, quote_form=quote_form))
    form = SummaryForm(request.POST)
    if not form.is_valid():
        context = _theme_context(theme, form=form, quote_form=quote_form)
        return render(request, "review/reports/theme.html", context, status=400)
    services.save_theme_summary(theme=theme, editor=request.user, text=form.cleaned_data["text"])
    messages.success(request, "خلاصهٔ محور ذخیره شد.")
    return redirect("review_reports:theme", theme_id=theme.pk)


@role_required(*REVIEW_ROLES)
@require_POST
def add_quote(request, theme_id: int):
    theme = get_object_or_404(Theme, pk=theme_id)
    quote_form = QuoteForm(request.POST, suggestions=services.quotable_suggestions(theme))
    summary = ThemeSummary.objects.filter(theme=theme).first()
    form = SummaryForm(initial={"text": summary.text if summary else ""})
    if quote_form.is_valid():
        try:
            data = quote_form.cleaned_data
            services.add_quote(
                theme=theme,
                suggestion=data["suggestion"],
                reviewer=request.user,
                excerpt=data["excerpt"],
                extra_terms=services.clean_extra_terms(data["extra_terms"]),
            )
        except services.ReportError as error:
            quote_form.add_error(None, str(error))
        else:
            messages.success(request, "نقل‌قول افزوده شد؛ متن پوشانده را بخوانید و تأیید کنید.")
            return redirect("review_reports:theme", theme_id=theme.pk)
    context = _theme_context(theme, form=form, quote_form=quote_form)
    return render(request, "review/reports/theme.html", context, status=400)


@role_required(*REVIEW_ROLES)
@require_POST
def confirm_quote(request, pk: int):
    quote = get_quote_for_staff_or_404(request.user, pk)
    try:
        services.confirm_quote(quote=quote, reviewer=request.user)
    except services.ReportError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "پوشاندن اطلاعات شخصی این نقل‌قول تأیید شد.")
    return redirect("review_reports:theme", theme_id=quote.summary.theme_id)


@role_required(*REVIEW_ROLES)
@require_POST
def remove_quote(request, pk: int):
    quote = get_quote_for_staff_or_404(request.user, pk)
    theme_id = quote.summary.theme_id
    services.remove_quote(quote=quote, reviewer=request.user)
    messages.success(request, "نقل‌قول حذف شد.")
    return redirect("review_reports:theme", theme_id=theme_id)
