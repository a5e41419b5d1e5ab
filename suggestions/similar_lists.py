"""Similar suggestions as people see them: copies of one text are one entry, shown with their count.

The stored lists (``SimilarSuggestion``) name suggestions, so that every copy can be found and
scored; a citizen or a reviewer who saw the same title three times in a list of five would be
reading one idea three times.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from suggestions.models import Suggestion


def one_per_group[T](items: Iterable[T], *, suggestion_of: Callable[[T], Suggestion] = lambda s: s) -> list[T]:
    """The items in order, without those whose suggestion shares a duplicate group with an earlier one."""
    seen: set = set()
    kept = []
    for item in items:
        suggestion = suggestion_of(item)
        group = suggestion.duplicate_group_id or ("alone", suggestion.pk)
        if group not in seen:
            seen.add(group)
            kept.append(item)
    return kept


def stored_similar(suggestion: Suggestion) -> list:
    """A suggestion's stored similar links (at most five are stored), best first, one per duplicate group, each
    with its group loaded."""
    links = suggestion.similar_links.select_related("other__duplicate_group")
    return one_per_group(links, suggestion_of=lambda link: link.other)
