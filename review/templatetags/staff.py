from django import template

from review.roles import EDITOR_ROLES, REVIEW_ROLES, has_role
from suggestions.models import Support

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
    return Support.objects.for_idea_of(suggestion).backers()


@register.filter
def group_supporters(group) -> int:
    """How many citizens backed the idea a duplicate group stands for (through any of its suggestions)."""
    return Support.objects.filter(idea__duplicate_group=group).backers()
