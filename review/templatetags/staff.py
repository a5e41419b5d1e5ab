from django import template

from review.roles import EDITOR_ROLES, REVIEW_ROLES, has_role

register = template.Library()


@register.filter
def is_reviewer(user) -> bool:
    """Any staff role: reviewer, editor or administrator."""
    return has_role(user, *REVIEW_ROLES)


@register.filter
def is_editor(user) -> bool:
    return has_role(user, *EDITOR_ROLES)
