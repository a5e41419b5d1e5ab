import time
import uuid

from django.core import signing

from suggestions.models import Topic


def form_data(**overrides) -> dict:
    """What a browser sends for a complete, valid suggestion form."""
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
        "form_clock": signing.dumps(time.time() - 60, salt="suggestions.form-clock"),
        "idempotency_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data
