from django import template

from review.queries import idea_id_of, supporters_of_ideas
from review.roles import EDITOR_ROLES, REVIEW_ROLES, has_role

register = template.Library()


@register.filter
def is_reviewer(user) -> bool:
    """Any staff role: reviewer, editor or administrator."""
    return has_role(user, *REVIEW_ROLES)


@register.filter
def is_editor(user) -> bool:
    return has_role(user, *EDITOR_ROLES)


@register.filter
def idea_supporters(suggestion) -> int:
    """How many citizens backed the idea this suggestion belongs to (one query: for one page's headline only)."""
    return supporters_of_ideas([idea_id_of(suggestion)]).get(idea_id_of(suggestion), 0)


@register.filter
def group_supporters(group) -> int:
    """How many citizens backed the idea a duplicate group stands for (its canonical suggestion)."""
    return supporters_of_ideas([group.canonical_id]).get(group.canonical_id, 0)
