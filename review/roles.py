"""Who may do what on staff pages. Groups: reviewer, editor (approves and publishes reports), administrator."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
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


def require_role(user, *roles: str) -> None:
    """Refuse (403) anyone without one of the roles; access helpers call it before they fetch."""
    if not has_role(user, *roles):
        raise PermissionDenied


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


# What each role manages in the admin; everything else there is the superuser's. Contacts are left out on
# purpose: the workspace shows them one at a time and writes each look into the audit log. Accounts are left
# out too, so nobody can raise their own powers.
ADMIN_PERMISSIONS = {
    EDITOR: ["suggestions.view_topic", "suggestions.add_topic", "suggestions.change_topic"],
    ADMINISTRATOR: [
        "suggestions.view_topic",
        "suggestions.add_topic",
        "suggestions.change_topic",
        "review.view_auditentry",
        # Unlocking an account locked out after failed sign-ins is deleting its access attempt.
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "axes.view_accesslog",
        "axes.view_accessfailurelog",
        # A reviewer who lost their phone: delete the device, they set up a new one at their next sign-in.
        "otp_totp.view_totpdevice",
        "otp_totp.delete_totpdevice",
    ],
}


def grant_admin_permissions(**kwargs) -> None:
    """After every migrate (and every test-database flush): the staff groups exist and hold their admin
    permissions. Only adds; a permission granted by hand is left alone."""
    from django.contrib.auth.models import Group, Permission

    for role in ALL_ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        wanted = [name.split(".") for name in ADMIN_PERMISSIONS.get(role, [])]
        if wanted:
            query = Permission.objects.none()
            for app_label, codename in wanted:
                query |= Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            group.permissions.add(*query)
