from django.test import RequestFactory

from common.htmx import is_htmx, redirect_htmx

factory = RequestFactory()


def test_a_request_htmx_sends_asks_for_a_piece_of_the_page():
    assert is_htmx(factory.get("/", HTTP_HX_REQUEST="true"))
    assert not is_htmx(factory.get("/"))


def test_a_history_restore_asks_for_the_whole_page_though_htmx_sends_it():
    restore = factory.get("/", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert not is_htmx(restore)


def test_after_a_change_htmx_is_told_where_to_go_and_a_plain_form_is_redirected():
    told = redirect_htmx(factory.post("/", HTTP_HX_REQUEST="true"), "/review/")
    assert told.status_code == 200 and told["HX-Redirect"] == "/review/"
    plain = redirect_htmx(factory.post("/"), "/review/")
    assert plain.status_code == 302 and plain["Location"] == "/review/"
