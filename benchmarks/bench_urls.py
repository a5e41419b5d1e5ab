"""The product's URLs plus one trivial view: the yardstick `benchmarks/intake.py` compares the form against, and
the address `benchmarks.harness.portal.start_portal` waits for."""

from django.http import HttpResponse
from django.urls import include, path

from portal.urls import handler404, handler500  # noqa: F401


def trivial(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/trivial/", trivial, name="bench-trivial"),
    path("", include("portal.urls")),
]
