"""What the portal stored, in `analyze_file`'s output format, so the shared scorer can compare the two paths."""

from __future__ import annotations

from collections import defaultdict


def stored_results(dataset_id: dict[int, str], *, k: int = 5) -> list[dict]:
    """The portal's stored analysis in analyze_file's format, with database ids mapped back to dataset ids:
    the duplicate group's canonical as `duplicate_of`, the idea as `idea`, the theme as `cluster`, and the first
    `k` similar rows that are in the data set."""
    from suggestions.models import SimilarSuggestion, Suggestion, ThemeMembership

    canonical, idea = {}, {}
    for pk, head, idea_id in Suggestion.objects.values_list("pk", "duplicate_group__canonical_id", "idea_id"):
        canonical[pk], idea[pk] = head, idea_id
    themes = {
        pk: (theme_id, label)
        for pk, theme_id, label in ThemeMembership.objects.values_list("suggestion_id", "theme_id", "theme__label")
    }
    similar = defaultdict(list)
    for pk, other, score in SimilarSuggestion.objects.order_by("suggestion_id", "rank").values_list(
        "suggestion_id", "other_id", "score"
    ):
        if len(similar[pk]) < k and other in dataset_id:
            similar[pk].append([dataset_id[other], round(float(score), 4)])
    results = []
    for pk, item_id in dataset_id.items():
        head = canonical.get(pk)
        theme_id, label = themes.get(pk, (None, ""))
        results.append(
            {
                "id": item_id,
                "duplicate_of": dataset_id[head] if head is not None and head != pk else None,
                "idea": f"i{idea[pk]}" if idea.get(pk) is not None else None,
                "cluster": f"t{theme_id}" if theme_id is not None else None,
                "cluster_label": label,
                "similar": similar[pk],
            }
        )
    return results
