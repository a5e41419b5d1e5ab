"""The PDF of a published version, drawn server-side by WeasyPrint with Vazirmatn embedded.

WeasyPrint shapes Persian through Pango and HarfBuzz (Debian: libpango-1.0-0, libpangoft2-1.0-0). It reads
nothing but the font files: every other address the document might name is refused, so no text in a report
can make the server fetch a URL.
"""

from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string

from reports.models import ReportVersion

FONT_DIR = Path(settings.NODE_MODULES) / "vazirmatn" / "fonts" / "ttf"


def font_url(weight: str) -> str:
    return (FONT_DIR / f"Vazirmatn-{weight}.ttf").resolve().as_uri()


def _fetcher():
    from weasyprint.urls import URLFetcher

    allowed_prefix = FONT_DIR.resolve().as_uri() + "/"

    class FontsOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if not url.startswith(allowed_prefix) or ".." in url:
                raise ValueError(f"refused to fetch {url!r} while drawing a report")
            return super().fetch(url, headers)

    return FontsOnly(allowed_protocols={"file"}, allow_redirects=False)


def render_pdf(version: ReportVersion, *, context: dict) -> bytes:
    from weasyprint import HTML  # imported late: loading Pango costs a moment nobody else should pay

    html = render_to_string(
        "reports/report_pdf.html",
        {
            **context,
            "font_regular": font_url("Regular"),
            "font_bold": font_url("Bold"),
            "bar_steps": range(0, 101, 5),
        },
    )
    return HTML(string=html, url_fetcher=_fetcher(), base_url=FONT_DIR.resolve().as_uri() + "/").write_pdf()


def cached_pdf(version: ReportVersion, *, context: dict) -> bytes:
    """A published version never changes, so its PDF is drawn once and kept."""
    key = f"reports:pdf:{version.pk}:{version.published_at.timestamp() if version.published_at else 0}"
    data = cache.get(key)
    if data is None:
        data = render_pdf(version, context=context)
        cache.set(key, data, settings.REPORT_PDF_CACHE_SECONDS)
    return data
