"""The public «already proposed?» hint: under the form as a citizen types, and under a receipt.

It may show only what a reviewer has let out: the title of a suggestion a reviewer accepted, or the theme under
which a published report counted it. A title no one has read never reaches a stranger, however like the typed
text it is. Copies of one text are one idea: each entry is shown once, with how many people sent it, and links
to the published report's section for its theme when there is one. The page lives here, not in the suggestions
app, because only this app knows reviews and published reports.
"""

from dataclasses import dataclass, field

from django.db.models import Q
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from reports.models import ReportCoverage, ReportStatus
from reports.redaction import redact
from review.models import Review, ReviewStatus
from suggestions import pipeline
from suggestions.analysis import display_form
from suggestions.choices import State
from suggestions.forms import SuggestionForm
from suggestions.models import Suggestion, Support
from suggestions.similar_lists import stored_similar
from suggestions.text import clean_user_text
from suggestions.tracking import parse_tracking_code
from suggestions.views import lookups_exhausted, similar_lookup_allowed

SIMILAR_MIN_CHARS = 20


@dataclass
class HintEntry:
    text: str
    people: int
    url: str = ""
    report_title: str = ""
    theme_label: str = ""
    idea_id: int = 0  # the suggestion that stands for the idea: what a citizen backs instead of copying it
    supporters: int = 0
    merged_ideas: list[Suggestion] = field(default_factory=list)  # a suggestion of every idea this entry stands for


def _group_key(suggestion: Suggestion):
    return suggestion.duplicate_group_id or ("alone", suggestion.pk)


def _rows_for(queryset, found: list[Suggestion], field: str):
    groups = {s.duplicate_group_id for s in found if s.duplicate_group_id}
    alone = {s.pk for s in found if not s.duplicate_group_id}
    return queryset.filter(Q(**{f"{field}__duplicate_group_id__in": groups}) | Q(**{f"{field}_id__in": alone}))


def public_hint(found: list[Suggestion], *, leave_out: Suggestion | None = None) -> list[HintEntry]:
    """What the public may read of these similar suggestions (best first, duplicate groups loaded): one entry per
    idea that a reviewer let out, in the order found."""
    found = [s for s in found if leave_out is None or _group_key(s) != _group_key(leave_out)]
    if not found:
        return []
    accepted: dict = {}
    for pk, title, group in (
        _rows_for(Review.objects.filter(status=ReviewStatus.ACCEPTED), found, "suggestion")
        .order_by("suggestion_id")
        .values_list("suggestion_id", "suggestion__title", "suggestion__duplicate_group_id")
    ):
        accepted.setdefault(group or ("alone", pk), {})[pk] = title
    reported: dict = {}
    for group, pk, theme_id, theme_label, report_id, number, report_title in (
        _rows_for(ReportCoverage.objects.filter(version__status=ReportStatus.PUBLISHED), found, "suggestion")
        .order_by("-version__published_at", "-version__number")
        .values_list(
            "suggestion__duplicate_group_id",
            "suggestion_id",
            "theme_id",
            "theme_label",
            "version__report_id",
            "version__number",
            "version__title",
        )
        .distinct()[:200]
    ):
        url = reverse("reports:version", args=[report_id, number]) + (f"#theme-{theme_id}" if theme_id else "")
        reported.setdefault(group or ("alone", pk), (url, report_title, theme_label))

    entries: dict[str, HintEntry] = {}
    for suggestion in found:
        key = _group_key(suggestion)
        titles, home = accepted.get(key), reported.get(key)
        if not titles and not home:
            continue  # nobody has let this idea out yet
        group = suggestion.duplicate_group
        canonical = group.canonical_id if group else suggestion.pk
        # Counted in a published report but no longer accepted: its theme is what is public of it.
        text = redact(titles.get(canonical) or next(iter(titles.values()))).text if titles else home[2]
        entry = HintEntry(text=text, people=group.size if group else 1, idea_id=canonical)
        if home:
            entry.url, entry.report_title, entry.theme_label = home
        same = display_form(text)
        if same in entries:  # two groups that say the same in the same words are one idea to a reader
            entries[same].people += entry.people
            entries[same].url = entries[same].url or entry.url
            entries[same].merged_ideas.append(suggestion)
        else:
            entry.merged_ideas.append(suggestion)
            entries[same] = entry
    for entry in entries.values():  # a hint lists a handful: one query each
        entry.supporters = Support.objects.for_ideas_of(entry.merged_ideas).backers()
    return list(entries.values())


def public_idea(suggestion: Suggestion) -> HintEntry | None:
    """The idea a suggestion belongs to, as the public may read it, or None when no reviewer has let it out (not
    accepted, not counted in a published report). The one rule for «is this idea public?»: the hint shows only
    such ideas, and only such ideas may be supported."""
    entries = public_hint([suggestion])
    return entries[0] if entries else None


@require_POST
def similar(request):
    """The htmx look-up under the body field, while a citizen types."""
    text = clean_user_text(request.POST.get("body", ""))[: SuggestionForm.BODY_LIMITS[1]]
    entries = []
    if len(text) >= SIMILAR_MIN_CHARS and similar_lookup_allowed(request):
        entries = public_hint(pipeline.similar_to_text(text))
    return render(request, "suggestions/_similar.html", {"entries": entries})


@require_safe
def receipt_similar(request, code: str):
    """Under a receipt: the ideas like the receipt's suggestion that the public may read."""
    if refused := lookups_exhausted(request):
        return refused
    suggestion = get_object_or_404(Suggestion, tracking_code=parse_tracking_code(code) or "")
    if suggestion.state == State.ANALYZED:
        found = [link.other for link in stored_similar(suggestion)]
    else:
        found = pipeline.similar_to_text(suggestion.body)
    entries = public_hint(found, leave_out=suggestion)
    return render(request, "suggestions/_similar_list.html", {"entries": entries})
