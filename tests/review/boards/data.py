"""Duplicate groups and themes for the board tests, built with factories as `suggestions.grouping` leaves them
(no analysis, no clustering); the tests that run the pipeline under a board's changes are in
tests/suggestions/test_board_changes_survive.py."""

from suggestions.models import DuplicateGroup, Suggestion, Theme
from tests.factories import AnalyzedSuggestionFactory, DuplicateGroupFactory, themed
from tests.suggestions.ideas import HOURS, IDEAS

CITIES = ["تهران", "اصفهان", "شیراز", "تبریز", "مشهد", "کرج"]
TITLE = "پیشنهاد برای انتخابات"
KEYWORDS = {
    "hours": ["ساعت", "نیمه‌شب", "تمدید"],
    "masks": ["ماسک", "دستکش", "رایگان"],
    "ballots": ["الکترونیک", "دستگاه", "هوشمند"],
    "observers": ["شمارش", "ناظران", "زنده"],
}
LABELS = {
    "hours": "تمدید ساعت رأی‌گیری",
    "masks": "ماسک و دستکش در شعبه",
    "ballots": "رأی‌گیری الکترونیک",
    "observers": "شفافیت شمارش آرا",
}


def lone_suggestion(body: str, **fields) -> Suggestion:
    """An analyzed suggestion in no group or theme."""
    return AnalyzedSuggestionFactory(title=fields.pop("title", TITLE), body=body, **fields)


def near_group(size: int = 3) -> DuplicateGroup:
    """One original and lightly edited copies of it: a near-duplicate group, or a campaign from five up."""
    bodies = [HOURS.replace("به شعبه‌ها بروند", f"به شعبه‌های {city} بروند") for city in CITIES[:size]]
    return DuplicateGroupFactory(members=[lone_suggestion(body) for body in bodies])


def exact_group(body: str, size: int) -> DuplicateGroup:
    """`size` copies of one text: an exact group."""
    return DuplicateGroupFactory(members=[lone_suggestion(body) for _ in range(size)])


def themed_corpus() -> list[Theme]:
    """Twelve suggestions on four ideas, one theme of three per idea, as a re-clustering leaves them; the themes
    in board order (largest first, then oldest)."""
    for key, bodies in IDEAS.items():
        themed(label=LABELS[key], keywords=KEYWORDS[key], bodies=bodies, title=TITLE)
    return list(Theme.objects.filter(is_active=True, size__gt=0).order_by("-size", "pk"))


def members(theme: Theme) -> set[int]:
    return set(Suggestion.objects.filter(theme_membership__theme=theme).values_list("pk", flat=True))
