from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from portal.ratelimit import check_rate, client_ip, hash_ip
from suggestions.forms import SuggestionForm, TrackForm
from suggestions.models import Suggestion, Topic
from suggestions.services import submit_suggestion
from suggestions.tracking import parse_tracking_code


def too_many_requests(request, retry_after: int):
    response = render(request, "429.html", {"retry_after": retry_after}, status=429)
    response["Retry-After"] = str(max(retry_after, 1))
    return response


def home(request):
    context = {
        "topics": Topic.objects.filter(is_active=True),
        "received_count": Suggestion.objects.count(),
    }
    return render(request, "suggestions/home.html", context)


@require_http_methods(["GET", "POST"])
def suggest(request):
    if request.method == "GET":
        return render(request, "suggestions/suggest.html", {"form": SuggestionForm()})
    form = SuggestionForm(request.POST)
    if not form.is_valid():
        return render(request, "suggestions/suggest.html", {"form": form}, status=400)
    ip = client_ip(request)
    verdict = check_rate(scope="submit", ip=ip, rate=settings.SUBMIT_RATE_LIMIT)
    if not verdict.allowed:
        return too_many_requests(request, verdict.retry_after)
    suggestion = submit_suggestion(**form.submission_fields(), ip_hash=hash_ip(ip))
    return redirect("suggestions:receipt", code=suggestion.tracking_code)


def receipt(request, code: str):
    stored = parse_tracking_code(code)
    if stored is None:
        raise Http404
    suggestion = get_object_or_404(Suggestion.objects.select_related("topic"), tracking_code=stored)
    return render(request, "suggestions/receipt.html", {"suggestion": suggestion})


def track(request):
    if "code" not in request.GET:
        return render(request, "suggestions/track.html", {"form": TrackForm()})
    verdict = check_rate(scope="track", ip=client_ip(request), rate=settings.TRACK_RATE_LIMIT)
    if not verdict.allowed:
        return too_many_requests(request, verdict.retry_after)
    form = TrackForm(request.GET)
    if not form.is_valid():
        return render(request, "suggestions/track.html", {"form": form}, status=400)
    suggestion = Suggestion.objects.select_related("topic").filter(tracking_code=form.cleaned_data["code"]).first()
    if suggestion is None:
        return render(request, "suggestions/track.html", {"form": form, "not_found": True}, status=404)
    return render(request, "suggestions/track.html", {"form": form, "suggestion": suggestion})
