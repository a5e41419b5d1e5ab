from django.conf import settings
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from common.ratelimit import check_rate, client_ip, hash_ip
from suggestions.caches import process_caches
from suggestions.forms import KEY_REUSED, SuggestionForm
from suggestions.models import Suggestion, Topic
from suggestions.services import IdempotencyKeyReused, submit_suggestion
from suggestions.topic_cache import active_topics
from suggestions.tracking import parse_tracking_code


def too_many_requests(request, retry_after: int):
    response = render(request, "429.html", {"retry_after": retry_after}, status=429)
    response["Retry-After"] = str(max(retry_after, 1))
    return response


def browser_of(request) -> str:
    """The browser's CSRF secret. A POST reaches a view only with one (the middleware refuses the rest), so it
    names the browser without a session row per visitor; only the test client, which skips CSRF, may lack it."""
    return request.META.get("CSRF_COOKIE", "")


@require_safe
def home(request):
    context = {
        "topics": Topic.objects.filter(is_active=True),
        "received_count": Suggestion.objects.count(),
    }
    return render(request, "suggestions/home.html", context)


# The blank form is the busiest page in a call for ideas. Its markup is the same for everyone but for three
# values, so it is rendered once per process (and per set of topics) with placeholders filled in per request:
# the whole page for visitors who are not signed in, the form alone for staff, whose page header differs.
_CLOCK_PLACEHOLDER = "FORMCLOCKPLACEHOLDER"
_KEY_PLACEHOLDER = "00000000-0000-4000-8000-00000000beef"
_CSRF_PLACEHOLDER = "CSRFTOKENPLACEHOLDER"


def _blank_form_markup(request, *, whole_page: bool) -> str:
    key = (whole_page, *((topic.pk, topic.name, topic.position) for topic in active_topics()))
    blank_forms = process_caches.blank_forms
    markup = blank_forms.get(key)
    if markup is None:
        form = SuggestionForm(initial={"form_clock": _CLOCK_PLACEHOLDER, "idempotency_key": _KEY_PLACEHOLDER})
        markup = render_to_string("suggestions/_suggestion_form.html", {"form": form, "csrf_token": _CSRF_PLACEHOLDER})
        if whole_page:
            markup = render_to_string("suggestions/suggest.html", {"form_html": markup}, request=request)
        if len(blank_forms) >= 4:  # the topics changed: drop the old renderings
            blank_forms.clear()
        blank_forms[key] = markup
    token = get_token(request)  # first: it sets the browser's secret when this is its first visit
    fresh = SuggestionForm.fresh_hidden_values(browser=browser_of(request))
    return (
        markup.replace(_CLOCK_PLACEHOLDER, fresh["form_clock"])
        .replace(_KEY_PLACEHOLDER, fresh["idempotency_key"])
        .replace(_CSRF_PLACEHOLDER, token)
    )


@require_http_methods(["GET", "HEAD", "POST"])
def suggest(request):
    if request.method != "POST":
        if request.user.is_authenticated:
            form_html = _blank_form_markup(request, whole_page=False)
            return render(request, "suggestions/suggest.html", {"form_html": form_html})
        return HttpResponse(_blank_form_markup(request, whole_page=True))
    form = SuggestionForm(request.POST, browser=browser_of(request))
    if not form.is_valid():
        if form.has_invalid_hidden_values():
            form.renew_hidden_values()  # so that sending the kept text again succeeds
        return render(request, "suggestions/suggest.html", {"form": form}, status=400)
    ip = client_ip(request)
    verdict = check_rate(scope="submit", ip=ip, rate=settings.SUBMIT_RATE_LIMIT)
    if not verdict.allowed:
        return too_many_requests(request, verdict.retry_after)
    try:
        suggestion = submit_suggestion(**form.submission_fields(), ip_hash=hash_ip(ip))
    except IdempotencyKeyReused as reused:
        # The same browser sent this form again with other text (back button, edit, send): keep the new
        # text on the page with a fresh key rather than answer with the old receipt and drop it.
        form.add_error(None, KEY_REUSED)
        form.renew_hidden_values()
        earlier = reverse("suggestions:receipt", args=[reused.earlier.tracking_code])
        return render(request, "suggestions/suggest.html", {"form": form, "earlier_receipt": earlier}, status=409)
    return redirect("suggestions:receipt", code=suggestion.tracking_code)


def lookups_exhausted(request):
    """A 429 when this address has used up its tracking-code look-ups, else None. /track/ and both receipt
    addresses draw on one allowance: each one answers whether a code exists."""
    verdict = check_rate(scope="track", ip=client_ip(request), rate=settings.TRACK_RATE_LIMIT)
    return None if verdict.allowed else too_many_requests(request, verdict.retry_after)


def similar_lookup_allowed(request) -> bool:
    """Whether this address may have another live look-up of similar suggestions while typing."""
    return check_rate(scope="similar", ip=client_ip(request), rate=settings.SIMILAR_RATE_LIMIT).allowed


@require_safe
def receipt(request, code: str):
    if refused := lookups_exhausted(request):
        return refused
    stored = parse_tracking_code(code)
    if stored is None:
        raise Http404
    suggestion = get_object_or_404(Suggestion.objects.select_related("topic"), tracking_code=stored)
    # The ideas like it that the public may read are fetched afterwards (htmx; reports.hints decides what
    # may be shown), so the receipt never waits for them.
    return render(request, "suggestions/receipt.html", {"suggestion": suggestion})
