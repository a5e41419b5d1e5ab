"""The reviewer workspace: queue, «next», the review page and its decisions, bulk actions, audit, dashboard.

Views parse input, call one service and pick a response. htmx requests (HX-Request) get the `_*.html`
partial; everything else gets the full page or a redirect, so every action also works without JavaScript.
"""

import csv
import json
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from common.htmx import is_htmx, render_htmx
from common.persian import jalali_datetime, persian_number
from review import queries, services
from review.audit import action_labels, describe_entries
from review.forms import (
    AcceptForm,
    AuditFilterForm,
    BulkForm,
    DuplicateForm,
    FollowUpForm,
    NotesForm,
    QueueFilterForm,
    RejectForm,
)
from review.models import AuditEntry, RejectReason, ReviewStatus
from review.queries import OPEN, queue
from review.roles import EDITOR_ROLES, REVIEW_ROLES, has_role, role_required
from review.spreadsheet import spreadsheet_row
from suggestions.choices import Province, Role
from suggestions.models import Contact, Suggestion, Theme, Topic
from suggestions.similar_lists import stored_similar

AUDIT_PAGE_SIZE = 50


def _filter_form(data, *, counts=None) -> QueueFilterForm:
    themes = Theme.objects.filter(is_active=True).only("pk", "label").order_by("label")
    topics = Topic.objects.only("pk", "name")
    return QueueFilterForm(data, themes=themes, topics=topics, counts=counts)


def _filters_from_query(query: str):
    """The queue filters a review page or a «next» button carries along; None when they do not parse."""
    form = _filter_form(QueryDict(query))
    return form.filters() if form.is_valid() else None


def _carried_query(request) -> str:
    """The queue's filters without its page number, to carry from the queue to a review page and back."""
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("text", None)
    return query.urlencode()


# The queue ----------------------------------------------------------------------------------------------


@role_required(*REVIEW_ROLES)
@require_GET
def queue_page(request):
    status = request.GET.get("status") or OPEN
    counts = queries.filter_counts()
    status_counts = queries.counts_for_status(counts, status)
    form = _filter_form(request.GET, counts=status_counts)
    context = {
        "staff_section": "queue",
        "form": form,
        "counts_at": datetime.fromisoformat(counts["at"]),
        "query": _carried_query(request),
        "my_assignments": queries.open_assignment_count(request.user),
    }
    if not form.is_valid():
        context["page"] = None
        return render_htmx(request, "review/queue.html", "review/_queue_results.html", context, status=400)
    filters = form.filters()
    context["page"] = queries.queue_page(
        filters.apply(queue().for_queue()),
        number=form.cleaned_data.get("page") or 1,
        cached_count=_cached_count(filters, status_counts),
    )
    if not context["page"].rows and context["page"].number > 1:
        # Past the end of a list whose count ran out of time: a known count would have given the last page.
        raise Http404("این صفحه از صف بررسی وجود ندارد.")
    context["bulk_form"] = BulkForm(initial={"scope": "selected"})
    context["bulk_themes"] = form.fields["theme"].choices[1:]
    return render_htmx(request, "review/queue.html", "review/_queue_results.html", context)


def _cached_count(filters: queries.QueueFilters, status_counts: dict) -> int | None:
    """How many match, from the cached filter counts, when the filters are the status and one facet."""
    facet = filters.counted_facet()
    if facet is None:
        return None
    name, value = facet
    if name == "status":
        return status_counts["status"].get(filters.status, 0)
    return status_counts[name].get(value, 0)


@role_required(*REVIEW_ROLES)
@require_POST
def next_suggestion(request):
    query = request.POST.get("filters", "")
    filters = _filters_from_query(query)
    if filters is None:
        messages.error(request, "فیلترهای صف درست نیستند؛ آن‌ها را در صفحهٔ صف اصلاح کنید.")
        return redirect(f"{reverse('review:queue')}?{query}")
    suggestion = services.claim_next_suggestion(reviewer=request.user, queue=filters.apply(queue()))
    if suggestion is None:
        messages.info(request, "پیشنهاد بررسی‌نشدهٔ آزادی با این فیلترها نمانده است.")
        return redirect(f"{reverse('review:queue')}?{query}")
    return redirect(f"{reverse('review:suggestion', args=[suggestion.pk])}?{query}")


# The review page ----------------------------------------------------------------------------------------


def _review_context(request, suggestion: Suggestion, **extra) -> dict:
    review = getattr(suggestion, "review", None)
    membership = getattr(suggestion, "theme_membership", None)
    version = review.version if review else 0
    query = extra.pop("query", None)
    if query is None:
        query = _carried_query(request)
    context = {
        "staff_section": "queue",
        "suggestion": suggestion,
        "review": review,
        "status": review.status if review else ReviewStatus.PENDING,
        "status_label": review.get_status_display() if review else ReviewStatus.PENDING.label,
        "holder": review.claim_holder() if review else None,
        "assignment": queries.open_assignment_of(suggestion),
        "recused": suggestion.recusals.filter(reviewer=request.user).exists(),
        "membership": membership,
        "accept_form": AcceptForm(initial={"version": version, "theme": membership.theme_id if membership else None}),
        "reject_form": RejectForm(initial={"version": version}),
        "duplicate_form": DuplicateForm(initial={"version": version}),
        "follow_up_form": FollowUpForm(initial={"version": version}),
        "notes_form": NotesForm(
            initial={
                "private_notes": review.private_notes if review else "",
                "tags": "، ".join(review.tags) if review else "",
            }
        ),
        "reject_reasons": RejectReason.choices,
        "audit": list(queries.audit_for(suggestion)),
        "can_view_contact": request.user.has_perm("review.view_contact"),
        "query": query,
        "normalised": request.GET.get("text") == "normalised",
    }
    context.update(extra)
    return context


@role_required(*REVIEW_ROLES)
@require_GET
def suggestion_page(request, pk: int):
    suggestion = queries.get_suggestion_for_reviewer_or_404(request.user, pk)
    filters = _filters_from_query(_carried_query(request)) or queries.QueueFilters()
    queued = filters.apply(queue())
    context = _review_context(
        request,
        suggestion,
        similar=stored_similar(suggestion),
        group_members=_group_members(suggestion),
        previous=queries.neighbour_in_queue(queued, suggestion, before=True),
    )
    return render(request, "review/suggestion.html", context)


def _group_members(suggestion: Suggestion) -> list:
    if not suggestion.duplicate_group_id:
        return []
    return list(
        Suggestion.objects.filter(duplicate_group_id=suggestion.duplicate_group_id)
        .exclude(pk=suggestion.pk)
        .only("pk", "title", "tracking_code", "created_at", "duplicate_score")
        .order_by("created_at")[:5]
    )


@role_required(*REVIEW_ROLES)
@require_GET
def suggestion_text(request, pk: int):
    """The text as sent, or in its normalised form: the toggle above the text."""
    suggestion = queries.get_suggestion_for_reviewer_or_404(request.user, pk)
    if not is_htmx(request):
        query = request.GET.copy()
        return redirect(f"{reverse('review:suggestion', args=[pk])}?{query.urlencode()}")
    context = {"suggestion": suggestion, "normalised": request.GET.get("text") == "normalised"}
    response = render(request, "review/_text.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


DECISIONS = {
    "accept": (AcceptForm, "پذیرش ثبت شد."),
    "reject": (RejectForm, "رد ثبت شد."),
    "duplicate": (DuplicateForm, "به‌عنوان تکراری ثبت شد."),
    "follow-up": (FollowUpForm, "برای پیگیری علامت خورد."),
}


def _carry_out(decision: str, *, suggestion, reviewer, data: dict):
    version = data["version"]
    if decision == "accept":
        return services.accept_suggestion(
            suggestion=suggestion, reviewer=reviewer, theme=data["theme"], version=version
        )
    if decision == "reject":
        return services.reject_suggestion(
            suggestion=suggestion, reviewer=reviewer, reason=data["reason"], note=data["note"], version=version
        )
    if decision == "duplicate":
        return services.mark_duplicate(
            suggestion=suggestion, reviewer=reviewer, original=data["original"], version=version
        )
    return services.mark_follow_up(suggestion=suggestion, reviewer=reviewer, note=data["note"], version=version)


@role_required(*REVIEW_ROLES)
@require_POST
def decide(request, pk: int, decision: str):
    suggestion = queries.get_suggestion_for_reviewer_or_404(request.user, pk)
    form_class, done = DECISIONS[decision]
    form = form_class(request.POST)
    query = request.POST.get("filters", "")
    if not form.is_valid():
        errors = [error for errors in form.errors.values() for error in errors]
        return _decision_response(request, suggestion, query=query, error=" ".join(errors), status=400)
    try:
        _carry_out(decision, suggestion=suggestion, reviewer=request.user, data=form.cleaned_data)
    except services.ReviewConflict as conflict:
        return _decision_response(request, suggestion, query=query, error=str(conflict), status=409)
    except services.ReviewError as error:
        return _decision_response(request, suggestion, query=query, error=str(error), status=400)
    return _decision_response(request, suggestion, query=query, success=done)


@role_required(*REVIEW_ROLES)
@require_POST
def recuse(request, pk: int):
    suggestion = queries.get_suggestion_for_reviewer_or_404(request.user, pk)
    services.recuse_from_suggestion(suggestion=suggestion, reviewer=request.user)
    done = "کناره‌گیری شما ثبت شد؛ این پیشنهاد دیگر به شما داده نمی‌شود."
    return _decision_response(request, suggestion, query=request.POST.get("filters", ""), success=done)


@role_required(*REVIEW_ROLES)
@require_POST
def release(request, pk: int):
    suggestion = queries.get_suggestion_for_reviewer_or_404(request.user, pk)
    services.release_claim(suggestion=suggestion, reviewer=request.user)
    return _decision_response(
        request, suggestion, query=request.POST.get("filters", ""), success="پیشنهاد را برای دیگران آزاد کردید."
    )


def _decision_response(request, suggestion, *, query: str, success: str = "", error: str = "", status: int = 200):
    if not error and not is_htmx(request):
        messages.success(request, success)
        return redirect(f"{reverse('review:suggestion', args=[suggestion.pk])}?{query}")
    suggestion = queries.get_suggestion_for_reviewer_or_404(request.user, suggestion.pk)
    context = _review_context(request, suggestion, query=query, success=success, error=error, oob=is_htmx(request))
    if is_htmx(request):
        context["group_members"] = _group_members(suggestion)
        return render_htmx(request, "review/suggestion.html", "review/_decision.html", context, status=status)
    filters = _filters_from_query(query) or queries.QueueFilters()
    queued = filters.apply(queue())
    context.update(
        similar=stored_similar(suggestion),
        group_members=_group_members(suggestion),
        previous=queries.neighbour_in_queue(queued, suggestion, before=True),
    )
    return render(request, "review/suggestion.html", context, status=status)


@role_required(*REVIEW_ROLES)
@require_POST
def notes(request, pk: int):
    suggestion = queries.get_suggestion_for_reviewer_or_404(request.user, pk)
    form = NotesForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            tags = services.clean_tags(form.cleaned_data["tags"])
        except services.ReviewError as problem:
            error = str(problem)
        else:
            services.save_private_notes(
                suggestion=suggestion, reviewer=request.user, notes=form.cleaned_data["private_notes"], tags=tags
            )
    else:
        error = " ".join(error for errors in form.errors.values() for error in errors)
    query = request.POST.get("filters", "")
    if not is_htmx(request) and not error:
        messages.success(request, "یادداشت و برچسب‌ها ذخیره شد.")
        return redirect(f"{reverse('review:suggestion', args=[pk])}?{query}")
    suggestion = queries.get_suggestion_for_reviewer_or_404(request.user, pk)
    context = _review_context(
        request, suggestion, query=query, notes_error=error, notes_saved=not error, oob=is_htmx(request)
    )
    if error:
        context["notes_form"] = form
    return render_htmx(request, "review/suggestion.html", "review/_notes.html", context, status=400 if error else 200)


@role_required(*REVIEW_ROLES)
@require_GET
def contact(request, pk: int):
    """Contact details, only with the separate permission; every look is written to the audit log."""
    if not request.user.has_perm("review.view_contact"):
        return render(request, "403.html", status=403)
    suggestion = queries.get_suggestion_for_reviewer_or_404(request.user, pk)
    services.record_contact_view(suggestion=suggestion, viewer=request.user)
    details = Contact.objects.filter(suggestion=suggestion).first()
    if is_htmx(request):
        return render_htmx(request, "", "review/_contact.html", {"contact": details, "suggestion": suggestion})
    context = _review_context(request, suggestion, contact=details, contact_shown=True)
    context.update(similar=stored_similar(suggestion), group_members=_group_members(suggestion))
    return render(request, "review/suggestion.html", context)


# Bulk actions -------------------------------------------------------------------------------------------


@role_required(*REVIEW_ROLES)
@require_POST
def bulk(request):
    query = request.POST.get("filters", "")
    back = f"{reverse('review:queue')}?{query}"
    form = BulkForm(request.POST)
    if not form.is_valid():
        for error in (error for errors in form.errors.values() for error in errors):
            messages.error(request, error)
        return redirect(back)
    data = form.cleaned_data
    if data["scope"] == "all":
        filters = _filters_from_query(query)
        if filters is None:
            messages.error(request, "فیلترهای صف درست نیستند؛ هیچ تغییری داده نشد.")
            return redirect(back)
        ids = list(filters.apply(queue()).values_list("pk", flat=True)[: settings.REVIEW_BULK_LIMIT + 1])
    else:
        ids = data["ids"]
    if data["action"] == "assign":
        return _assign(request, ids=ids, reviewer=data["reviewer"], back=back)
    if data["action"] == "unassign":
        return _withdraw(request, ids=ids, back=back)
    try:
        if data["action"] == "reject_spam":
            result = services.bulk_reject_as_spam(suggestion_ids=ids, reviewer=request.user)
        elif data["action"] == "move_theme":
            result = services.bulk_move_to_theme(suggestion_ids=ids, reviewer=request.user, theme=data["theme"])
        else:
            result = services.bulk_mark_reviewed(suggestion_ids=ids, reviewer=request.user)
    except services.ReviewError as error:
        messages.error(request, str(error))
        return redirect(back)
    text = f"{persian_number(len(result.changed))} پیشنهاد تغییر کرد."
    if result.skipped:
        skipped = persian_number(len(result.skipped))
        text += f" {skipped} پیشنهاد تصمیم‌گرفته، در دست همکار یا تحلیل‌نشده بود و دست نخورد."
    messages.success(request, text)
    return redirect(back)


def _assign(request, *, ids: list[int], reviewer, back: str):
    try:
        result = services.assign_suggestions(suggestion_ids=ids, reviewer=reviewer, editor=request.user)
    except services.ReviewError as error:
        messages.error(request, str(error))
        return redirect(back)
    text = f"{persian_number(len(result.assigned))} پیشنهاد به «{reviewer.get_username()}» سپرده شد."
    if result.skipped:
        skipped = persian_number(len(result.skipped))
        text += f" {skipped} پیشنهاد تصمیم‌گرفته، تحلیل‌نشده یا از آن‌هایی بود که او از بررسی‌شان کناره گرفته و سپرده نشد."
    messages.success(request, text)
    return redirect(back)


def _withdraw(request, *, ids: list[int], back: str):
    try:
        withdrawn = services.withdraw_assignments(suggestion_ids=ids, editor=request.user)
    except services.ReviewError as error:
        messages.error(request, str(error))
        return redirect(back)
    messages.success(request, f"سپردن {persian_number(len(withdrawn))} پیشنهاد پس گرفته شد.")
    return redirect(back)


# Audit --------------------------------------------------------------------------------------------------


def _audit_entries(form: AuditFilterForm, *, user=None):
    entries = queries.audit_visible_to(user) if user is not None else AuditEntry.objects.all()
    data = form.cleaned_data
    if data.get("actor"):
        entries = entries.filter(actor_name=data["actor"].strip())
    if data.get("action"):
        entries = entries.filter(action=data["action"])
    if data.get("object_id"):
        entries = entries.filter(object_id=data["object_id"])
    if data.get("date_from"):
        entries = entries.filter(at__gte=queries.start_of_day(data["date_from"]))
    if data.get("date_to"):
        entries = entries.filter(at__lt=queries.start_of_day(data["date_to"]) + timezone.timedelta(days=1))
    return entries


@role_required(*REVIEW_ROLES)
@require_GET
def audit_log(request):
    """Editors read the whole log; reviewers what was done to suggestions, and their own actions."""
    form = AuditFilterForm(request.GET, actions=list(action_labels().items()))
    context = {
        "staff_section": "audit",
        "form": form,
        "query": _carried_query(request),
        "can_export": has_role(request.user, *EDITOR_ROLES),
    }
    if not form.is_valid():
        return render(request, "review/audit.html", {**context, "entries": [], "page_number": 1}, status=400)
    try:
        number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        number = 1
    start = queries.page_start(number, AUDIT_PAGE_SIZE)
    if start is None:
        raise Http404("این صفحه از گزارش ممیزی وجود ندارد.")
    entries = list(_audit_entries(form, user=request.user)[start : start + AUDIT_PAGE_SIZE + 1])
    if number > 1 and not entries:
        raise Http404("این صفحه از گزارش ممیزی وجود ندارد.")
    context.update(
        entries=describe_entries(entries[:AUDIT_PAGE_SIZE]),
        page_number=number,
        has_next=len(entries) > AUDIT_PAGE_SIZE,
        has_previous=number > 1,
    )
    return render(request, "review/audit.html", context)


class _Echo:
    def write(self, value):
        return value


@role_required(*EDITOR_ROLES)
@require_GET
def audit_csv(request):
    """The filtered log as CSV: UTC times, usernames of staff, actions and review facts; no personal data."""
    form = AuditFilterForm(request.GET, actions=list(action_labels().items()))
    if not form.is_valid():
        return HttpResponse("فیلترهای گزارش ممیزی درست نیستند.", status=400, content_type="text/plain; charset=utf-8")
    writer = csv.writer(_Echo())

    def rows():
        yield "\ufeff"  # so spreadsheet programs read the Persian as UTF-8
        yield writer.writerow(["at_utc", "actor", "action", "object_type", "object_id", "before", "after"])
        for entry in _audit_entries(form).iterator(chunk_size=2000):
            # A username may begin with + - or @, which a spreadsheet would run as a formula.
            yield writer.writerow(
                spreadsheet_row(
                    [
                        entry.at.astimezone(timezone.UTC).isoformat(),
                        entry.actor_name,
                        entry.action,
                        entry.object_type,
                        entry.object_id,
                        json.dumps(entry.before, ensure_ascii=False) if entry.before is not None else "",
                        json.dumps(entry.after, ensure_ascii=False) if entry.after is not None else "",
                    ]
                )
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{timezone.now():%Y%m%d-%H%M}.csv"'
    return response


# Dashboard ----------------------------------------------------------------------------------------------


@role_required(*REVIEW_ROLES)
@require_GET
def dashboard(request):
    figures = queries.dashboard_figures()
    charts = _charts(figures)
    for chart in charts:
        chart["json_id"] = f"chart-{chart['id']}-data"
        # A chart of several series has a column each in its table: it takes the whole row to be read.
        chart["wide"] = len(chart["series"]) > 1
        # Named categories (statuses, themes, provinces) are drawn as horizontal bars, read along the side.
        chart["horizontal"] = chart["id"] not in ("roles", "throughput")
        chart["height_rem"] = min(30, max(16, 1.5 * len(chart["labels"]) + 3)) if chart["horizontal"] else 16
        chart["payload"] = {
            "type": chart["type"],
            "labels": chart["labels"],
            "series": chart["series"],
            "horizontal": chart["horizontal"],
        }
        chart["rows"] = [
            {"label": label, "values": [series["data"][i] for series in chart["series"]]}
            for i, label in enumerate(chart["labels"])
        ]
    context = {
        "staff_section": "dashboard",
        "figures_at": datetime.fromisoformat(figures["at"]),
        "charts": charts,
        "loads": queries.open_loads(),
        # Figures cached before supports were counted lack these; the next refresh brings them.
        "suggestions_received": figures.get("suggestions"),
        "supporters": figures.get("supporters"),
        "supported_ideas": figures.get("supported_ideas"),
    }
    return render(request, "review/dashboard.html", context)


def _charts(figures: dict) -> list[dict]:
    """Each chart as its labels and series, used both for Chart.js (json_script) and the table beside it."""
    status_label = dict(ReviewStatus.choices)
    role_label = dict(Role.choices)
    province_label = dict(Province.choices)

    weeks = figures["weeks"]
    by_role_week = figures["by_role_week"]
    days = figures["throughput_days"]
    reviewers = sorted({name for name, _, _ in figures["throughput"]})
    done = {(name, day): n for name, day, n in figures["throughput"]}
    return [
        {
            "id": "backlog",
            "title": "پیشنهادها بر پایهٔ وضعیت بررسی",
            "type": "bar",
            "labels": [status_label[s] for s in ReviewStatus.values],
            "series": [{"label": "تعداد", "data": [figures["backlog"].get(s, 0) for s in ReviewStatus.values]}],
        },
        {
            "id": "ages",
            "title": "عمر پیشنهادهای در انتظار تصمیم",
            "type": "bar",
            "labels": [label for label, _ in figures["ages"]],
            "series": [{"label": "تعداد", "data": [n for _, n in figures["ages"]]}],
        },
        {
            "id": "roles",
            "title": "پیشنهادهای هر هفته بر پایهٔ نقش فرستنده",
            "type": "line",
            "labels": [jalali_datetime(_as_datetime(week), with_time=False) for week in weeks],
            "series": [
                {"label": role_label[role], "data": [by_role_week.get(f"{week}|{role}", 0) for week in weeks]}
                for role in Role.values
            ],
        },
        {
            "id": "themes",
            "title": "بزرگ‌ترین محورها",
            "type": "bar",
            "labels": [label for _, label, _ in figures["themes"]],
            "series": [{"label": "تعداد", "data": [n for _, _, n in figures["themes"]]}],
        },
        {
            "id": "provinces",
            "title": "پیشنهادها بر پایهٔ استان",
            "type": "bar",
            "labels": [province_label.get(p, "بی‌استان") for p, _ in figures["provinces"]],
            "series": [{"label": "تعداد", "data": [n for _, n in figures["provinces"]]}],
        },
        {
            "id": "throughput",
            "title": "تصمیم‌های هر بررسی‌کننده در روز",
            "type": "bar",
            "labels": [jalali_datetime(_as_datetime(day), with_time=False) for day in days],
            "series": [{"label": name, "data": [done.get((name, day), 0) for day in days]} for name in reviewers],
        },
    ]


def _as_datetime(iso_day: str):
    return datetime.fromisoformat(iso_day)
