import time

from suggestions.forms import SuggestionForm
from suggestions.models import Topic


def browser_secret(client) -> str:
    """The CSRF secret a test client's browser holds, as the intake form is bound to it ("" before its first
    page: the test client skips the CSRF check that would refuse such a post in production)."""
    cookie = client.cookies.get("csrftoken") if client is not None else None
    return cookie.value if cookie else ""


def form_data(client=None, **overrides) -> dict:
    """What a browser sends for a complete, valid suggestion form, handed out a minute ago to `client`'s
    browser (a fresh client by default)."""
    hidden = SuggestionForm.fresh_hidden_values(
        browser=browser_secret(client), started=time.time() - 60, key=overrides.get("idempotency_key")
    )
    data = {
        "role": "lawyer",
        "province": "isfahan",
        "topic": str(Topic.objects.get(slug="health-protocols").pk),
        "title": "ماسک رایگان در شعبه‌ها",
        "body": "پیشنهاد می‌کنم در ورودی همهٔ شعبه‌های اخذ رأی ماسک و دستکش رایگان داده شود.",
        "name": "",
        "email": "",
        "phone": "",
        "website": "",
        **hidden,
    }
    data.update(overrides)
    return data
