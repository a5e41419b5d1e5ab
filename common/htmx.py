"""The htmx answers every view gives: the `_*.html` partial when htmx asks for a piece of a page, otherwise the
full page, so every action also works without JavaScript."""

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers


def is_htmx(request) -> bool:
    """htmx asks for a piece of the page. Not on a history restore: after Back with htmx's cache gone, htmx sends
    HX-Request too, but it will put the answer in place of the whole page."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def render_htmx(request, full: str, partial: str, context: dict, status: int = 200) -> HttpResponse:
    """The partial for htmx, the full page otherwise; caches keep the two apart (Vary: HX-Request)."""
    response = render(request, partial if is_htmx(request) else full, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def redirect_htmx(request, url: str) -> HttpResponse:
    """After a change: htmx is told to load `url` as a whole page (HX-Redirect); a plain form gets a 302."""
    if request.headers.get("HX-Request") == "true":
        response = HttpResponse()
        response["HX-Redirect"] = url
        return response
    return redirect(url)
