import logging

from django.db import DatabaseError, InterfaceError, OperationalError
from django.shortcuts import render

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    """Turns a database that cannot be reached into a fast Persian 503, never a false receipt."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError | InterfaceError) or (
            isinstance(exception, DatabaseError) and "connect" in str(exception).lower()
        ):
            logger.error("Database unavailable: %s", exception.__class__.__name__)
            response = render(request, "503.html", status=503)
            response["Retry-After"] = "30"
            return response
        return None
