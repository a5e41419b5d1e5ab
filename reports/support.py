"""Backing an idea that is already public, instead of filing a near copy of it: from the hint under the form and
from a published report's quotes. Only an idea the public may read can be backed (`hints.public_idea`, the rule
the hint itself follows); each browser backs an idea once, within the same per-address allowance as the form
(the «submit» counter: a support and a suggestion draw on one allowance). The page lives here, beside the hint,
because only this app knows reviews and published reports."""

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from common.ratelimit import check_rate, client_ip, hash_ip
from reports.hints import public_idea
from suggestions.forms import SupportForm, browser_tag
from suggestions.models import Suggestion, Support
from suggestions.services import AlreadySupported, do_support_idea, idea_of
from suggestions.tracking import parse_tracking_code
from suggestions.views import browser_of, lookups_exhausted, too_many_requests

NOT_PUBLIC = (
    "این ایده هنوز عمومی نیست: کارشناسان آن را نپذیرفته‌اند و در گزارش منتشرشده‌ای هم نیامده است؛ "
    "حمایت شما ثبت نشد. می‌توانید ایدهٔ خود را به‌صورت پیشنهاد بفرستید."
)


def _refused(request, idea_id: int):
    return render(request, "reports/support_refused.html", {"message": NOT_PUBLIC, "idea_id": idea_id}, status=409)


def _already(request, earlier: Support, entry):
    return render(request, "reports/support_already.html", {"support": earlier, "entry": entry})


@require_http_methods(["GET", "HEAD", "POST"])
def support_idea(request, idea_id: int):
    """The page that backs one idea: what the idea says, optional role and province, one button."""
    suggestion = get_object_or_404(Suggestion.objects.select_related("duplicate_group__canonical"), pk=idea_id)
    idea = idea_of(suggestion)
    entry = public_idea(idea)
    if entry is None:
        return _refused(request, idea_id)
    if request.method != "POST":
        get_token(request)  # a first visit gets its browser secret now, so the page can be bound to it
        earlier = Support.objects.for_idea_of(idea).filter(browser=browser_tag(browser_of(request))).first()
        if earlier is not None and browser_of(request):
            return _already(request, earlier, entry)
        form = SupportForm(browser=browser_of(request), idea_id=idea_id)
        return render(request, "reports/support.html", {"form": form, "entry": entry, "idea_id": idea_id})
    form = SupportForm(request.POST, browser=browser_of(request), idea_id=idea_id)
    if not form.is_valid():
        return render(request, "reports/support.html", {"form": form, "entry": entry, "idea_id": idea_id}, status=400)
    ip = client_ip(request)
    verdict = check_rate(scope="submit", ip=ip, rate=settings.SUBMIT_RATE_LIMIT)
    if not verdict.allowed:
        return too_many_requests(request, verdict.retry_after)
    try:
        with transaction.atomic():
            # Asked again inside the write: a reviewer may have taken the idea back since the page was drawn.
            entry = public_idea(Suggestion.objects.select_related("duplicate_group").get(pk=idea.pk))
            if entry is None:
                return _refused(request, idea_id)
            support = do_support_idea(
                idea=idea,
                idea_text=entry.text,
                browser=form.browser_digest,
                role=form.cleaned_data["role"],
                province=form.cleaned_data["province"],
                ip_hash=hash_ip(ip),
            )
    except AlreadySupported as already:
        return _already(request, already.earlier, entry)
    return redirect("hints:support_receipt", code=support.tracking_code)


@require_safe
def support_receipt(request, code: str):
    if refused := lookups_exhausted(request):
        return refused
    stored = parse_tracking_code(code)
    if stored is None:
        raise Http404
    support = get_object_or_404(Support, tracking_code=stored)
    return render(request, "reports/support_receipt.html", {"support": support})
