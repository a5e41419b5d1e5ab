"""/track/: what became of one suggestion, told to the person who sent it. The page lives here because this
app knows the answer (`fate.fate_of`); it reads the code as the intake does, with its TrackForm."""

from django.shortcuts import render
from django.views.decorators.http import require_safe

from reports.fate import fate_of
from suggestions.forms import TrackForm
from suggestions.models import Suggestion, Support
from suggestions.views import lookups_exhausted


@require_safe
def track(request):
    if "code" not in request.GET:
        return render(request, "reports/track.html", {"form": TrackForm()})
    if refused := lookups_exhausted(request):
        return refused
    form = TrackForm(request.GET)  # its clean_code is suggestions.tracking.parse_tracking_code
    if not form.is_valid():
        return render(request, "reports/track.html", {"form": form}, status=400)
    code = form.cleaned_data["code"]
    # What fate_of reads of the suggestion, in the same query.
    suggestion = (
        Suggestion.objects.select_related("duplicate_group", "theme_membership__theme")
        .filter(tracking_code=code)
        .first()
    )
    if suggestion is None:
        # A support has a code of its own, in the same format: the page says it is a support, and of what.
        support = Support.objects.filter(tracking_code=code).first()
        if support is not None:
            return render(request, "reports/track.html", {"form": form, "support": support})
        return render(request, "reports/track.html", {"form": form, "not_found": True}, status=404)
    return render(request, "reports/track.html", {"form": form, "suggestion": suggestion, "fate": fate_of(suggestion)})
