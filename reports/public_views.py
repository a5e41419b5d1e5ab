"""The public reports: a list, each published version at its own address, its PDF and its open data.
Everything shown comes from the version's frozen content: aggregates and confirmed, redacted quotes."""

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from reports import exports, pdf
from reports.models import ReportVersion
from reports.presentation import present

PUBLIC_MAX_AGE = 300


def get_published_version_or_404(report_id: int, number: int | None = None) -> ReportVersion:
    versions = ReportVersion.objects.published().filter(report_id=report_id).select_related("report")
    if number is None:
        version = versions.order_by("-number").first()
        if version is None:
            raise Http404
        return version
    return get_object_or_404(versions, number=number)


def _public(response):
    """Downloads hold nothing but the frozen version, so shared caches may keep them a while. HTML pages
    are left alone: their header names a signed-in staff member, which no shared cache may hand on."""
    patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    return response


def _filename(version: ReportVersion, extension: str) -> str:
    return f"hamandishi-report-{version.report_id}-v{version.number}.{extension}"


@require_safe
def report_list(request):
    versions = ReportVersion.objects.latest_published_per_report().latest_first()
    return render(request, "reports/list.html", {"versions": versions})


def _page(request, version: ReportVersion):
    context = {
        **present(version, version.content),
        "version": version,
        "versions": ReportVersion.objects.published().filter(report_id=version.report_id).order_by("number"),
        "latest_number": ReportVersion.objects.published()
        .filter(report_id=version.report_id)
        .order_by("-number")
        .values_list("number", flat=True)
        .first(),
    }
    return render(request, "reports/report.html", context)


@require_safe
def report_latest(request, report_id: int):
    return _page(request, get_published_version_or_404(report_id))


@require_safe
def report_version(request, report_id: int, number: int):
    return _page(request, get_published_version_or_404(report_id, number))


@require_safe
def report_pdf(request, report_id: int, number: int):
    version = get_published_version_or_404(report_id, number)
    data = pdf.cached_pdf(version, context={**present(version, version.content), "version": version})
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{_filename(version, "pdf")}"'
    return _public(response)


@require_safe
def report_csv(request, report_id: int, number: int):
    version = get_published_version_or_404(report_id, number)
    response = HttpResponse(exports.report_csv(version), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(version, "csv")}"'
    return _public(response)


@require_safe
def report_json(request, report_id: int, number: int):
    version = get_published_version_or_404(report_id, number)
    response = JsonResponse(exports.report_json(version), json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'inline; filename="{_filename(version, "json")}"'
    return _public(response)
