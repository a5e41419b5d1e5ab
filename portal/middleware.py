import logging

from django.db import DatabaseError, InterfaceError, OperationalError
from django.shortcuts import render

logger = logging.getLogger(__name__)


def is_database_unavailable(exception: BaseException | None) -> bool:
    """A database that cannot be reached or stopped answering, as opposed to a bug in a query."""
    return isinstance(exception, OperationalError | InterfaceError) or (
        isinstance(exception, DatabaseError) and "connect" in str(exception).lower()
    )


def database_unavailable_response(request, exception: BaseException):
    logger.error("Database unavailable: %s", exception.__class__.__name__)
    # Only a form that was sent can have lost something; a page that was only read must not say so.
    sent = ""
    if request.method == "POST":
        sent = "پیشنهاد شما" if request.path.startswith("/suggest/") else "آنچه فرستادید"
    response = render(request, "503.html", {"sent": sent}, status=503)
    response["Retry-After"] = "30"
    return response


class DatabaseUnavailableMiddleware:
    """Turns a database that cannot be reached into a fast Persian 503, never a false receipt. Failures in the
    middleware before the view reach `portal.views.server_error`, which answers the same."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_database_unavailable(exception):
            return database_unavailable_response(request, exception)
        return None
