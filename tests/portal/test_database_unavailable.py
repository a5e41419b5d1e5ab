"""A database that fails before the view runs (a staff session read by the session time-out middleware, say)
reaches Django's 500 handler, not the middleware's process_exception: it must give the same Persian 503."""

from django.db import OperationalError
from django.test import RequestFactory

from portal.views import server_error


def test_a_database_that_stops_answering_outside_the_view_gives_the_persian_503():
    request = RequestFactory().get("/review/")
    try:
        raise OperationalError("the database server did not answer within 6 s")
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "پایگاه داده پاسخ نمی‌دهد" in response.content.decode()


def test_any_other_failure_outside_the_view_is_still_a_500():
    request = RequestFactory().get("/review/")
    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(request)
    assert response.status_code == 500
