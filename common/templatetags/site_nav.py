"""What the site's header offers a signed-in person."""

from django import template
from django.contrib import admin

register = template.Library()


@register.filter
def may_use_admin(user) -> bool:
    """The admin link shows only to those the admin has something for: staff with a permission on one of its
    models. A reviewer has none, and would meet an empty page."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    if user.is_superuser:
        return True
    labels = {model._meta.app_label for model in admin.site._registry}
    return any(user.has_module_perms(label) for label in labels)
