"""Who may do what on staff pages. Groups: reviewer, editor (approves and publishes reports), administrator."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

REVIEWER = "reviewer"
EDITOR = "editor"
ADMINISTRATOR = "administrator"
ALL_ROLES = (REVIEWER, EDITOR, ADMINISTRATOR)
# Editors and administrators may do everything a reviewer does.
REVIEW_ROLES = ALL_ROLES
EDITOR_ROLES = (EDITOR, ADMINISTRATOR)


def has_role(user, *roles: str) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    names = getattr(user, "_role_names", None)
    if names is None:
        names = set(user.groups.values_list("name", flat=True))
        user._role_names = names  # one query per request, however many checks a page makes
    return bool(names.intersection(roles))


def role_required(*roles: str):
    """Login first, then one of the roles; a logged-in user without it gets a Persian 403.
    Every staff response is marked no-store so no shared cache or back button keeps it."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                response = redirect_to_login(request.get_full_path())
            elif not has_role(request.user, *roles):
                response = render(request, "403.html", status=403)
            else:
                response = view(request, *args, **kwargs)
            add_never_cache_headers(response)
            return response

        return wrapper

    return decorator
