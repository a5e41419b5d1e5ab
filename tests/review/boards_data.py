"""Analysed suggestions for the duplicate and theme board tests, made the way a worker makes them."""

from suggestions import pipeline
from suggestions.models import DuplicateGroup, Suggestion, Theme
from tests.suggestions.ideas import HOURS, IDEAS, analysed  # noqa: F401  (re-exported to the board tests)

CITIES = ["تهران", "اصفهان", "شیراز", "تبریز", "مشهد", "کرج"]


def near_group(size: int = 3) -> DuplicateGroup:
    """One original and lightly edited copies of it: a near-duplicate group, or a campaign from six up."""
    bodies = [HOURS.replace("به شعبه‌ها بروند", f"به شعبه‌های {city} بروند") for city in CITIES[:size]]
    members = [analysed(body) for body in bodies]
    group = members[-1].duplicate_group
    assert group is not None and group.size == size, "the copies should have formed one group"
    return group


def themed_corpus() -> list[Theme]:
    """Twelve suggestions on four ideas, clustered into themes; the active themes, largest first."""
    for bodies in IDEAS.values():
        for body in bodies:
            analysed(body)
    pipeline.recluster()
    themes = list(Theme.objects.filter(is_active=True, size__gt=0).order_by("-size", "pk"))
    assert len(themes) >= 2, "the corpus should make at least two themes"
    return themes


def members(theme: Theme) -> set[int]:
    return set(Suggestion.objects.filter(theme_membership__theme=theme).values_list("pk", flat=True))
