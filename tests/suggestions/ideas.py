"""Persian suggestions of four different ideas, three wordings each, and ways to run the real pipeline on them:
`analyzed` as the worker analyzes one, `clustered_corpus` and `near_copies` for the groups and themes it makes.
The texts are shared by every test tree; the pipeline runs only in tests/suggestions/ (and the fault and
benchmark tests of the worker itself); elsewhere tests use tests/factories.py."""

from django.test import TestCase

from suggestions import pipeline
from suggestions.models import DuplicateGroup, Suggestion, Theme
from suggestions.tasks import analyze_suggestion
from tests.factories import SuggestionFactory

HOURS = "پیشنهاد می‌کنم ساعت رأی‌گیری تا ساعت ۲۴ تمدید شود تا مردم مجبور نباشند همه در یک زمان به شعبه‌ها بروند."
IDEAS = {
    "hours": [
        HOURS,
        "لطفا زمان رای گیری را تا نیمه شب تمدید کنید که مردم همه با هم به شعبه ها نروند و شلوغی کم شود.",
        "رأی‌گیری در دو روز برگزار شود تا جمعیت در شعبه‌ها پخش شود و ازدحام پیش نیاید.",
    ],
    "masks": [
        "در ورودی همهٔ شعبه‌های اخذ رأی ماسک و دستکش رایگان به رأی‌دهندگان داده شود.",
        "به هر رای دهنده در ورودی شعبه ماسک و دستکش مجانی بدهید تا بیماری پخش نشود.",
        "مأموران شعبه باید دمای بدن رأی‌دهندگان را بسنجند و ماسک اضافه داشته باشند.",
    ],
    "ballots": [
        "رأی‌گیری الکترونیک در شهرهای بزرگ اجرا شود تا زمان حضور در شعبه کوتاه شود.",
        "با دستگاه‌های رأی‌گیری الکترونیکی، شمارش آرا سریع‌تر و حضور مردم در شعبه کوتاه‌تر می‌شود.",
        "احراز هویت رأی‌دهندگان با کارت ملی هوشمند و بدون تماس دست انجام شود.",
    ],
    "observers": [
        "شمارش آرا در همهٔ شعبه‌ها به صورت زنده از تلویزیون و اینترنت پخش شود.",
        "ناظران مستقل و نمایندگان نامزدها در همهٔ شعبه‌ها هنگام شمارش آرا حضور داشته باشند.",
        "نتیجهٔ هر شعبه بلافاصله پس از شمارش روی سایت وزارت کشور منتشر شود.",
    ],
}


def analyzed(body: str, title: str = "پیشنهاد برای انتخابات", **fields) -> Suggestion:
    suggestion = SuggestionFactory(title=title, body=body, **fields)
    # Run what waits for commit (adding to the band index), as a real worker's transaction would.
    with TestCase.captureOnCommitCallbacks(execute=True):
        analyze_suggestion(suggestion.pk)
    suggestion.refresh_from_db()
    return suggestion


def clustered_corpus() -> list[Theme]:
    """The twelve suggestions of IDEAS analyzed by the worker and clustered into themes by a real re-clustering;
    the active themes, largest first."""
    for bodies in IDEAS.values():
        for body in bodies:
            analyzed(body)
    pipeline.recluster()
    themes = list(Theme.objects.filter(is_active=True, size__gt=0).order_by("-size", "pk"))
    assert len(themes) >= 2, "the corpus should make at least two themes"
    return themes


def near_copies(size: int = 3) -> DuplicateGroup:
    """HOURS and lightly edited copies of it, analyzed by the worker: the near-duplicate group it forms."""
    cities = ["تهران", "اصفهان", "شیراز", "تبریز", "مشهد", "کرج"]
    bodies = [HOURS.replace("به شعبه‌ها بروند", f"به شعبه‌های {city} بروند") for city in cities[:size]]
    members = [analyzed(body) for body in bodies]
    group = members[-1].duplicate_group
    assert group is not None and group.size == size, "the copies should have formed one group"
    return group
