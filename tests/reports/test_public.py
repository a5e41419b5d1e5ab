"""The public side of reports: the list, each version's page, the PDF and the open data; and the canary:
personal data planted in suggestions and contacts never reaches any of them."""

import csv
import io
import json
import re
import shutil
import subprocess

import pytest
from django.urls import reverse

from reports import services
from review.models import ReviewStatus
from suggestions.choices import Province, Role
from tests.reports.data import (
    CANARY_EMAIL,
    CANARY_NAME,
    CANARY_NATIONAL_ID,
    CANARY_PHONE_FA,
    CANARY_PHONE_LATIN,
    CANARY_TEXTS,
    contact_for,
    draft_report,
    make_suggestion,
    publish,
    quote_and_confirm,
    theme_with_accepted,
    write_summary,
)

pytestmark = pytest.mark.django_db
ZWNJ = "\u200c"


@pytest.fixture
def published(reviewer, editor):
    theme, accepted = theme_with_accepted(count=4, role=Role.SOCIAL_ACTIVIST, province=Province.KHUZESTAN)
    planted = make_suggestion(
        theme=theme,
        status=ReviewStatus.ACCEPTED,
        title=f"پیشنهاد {CANARY_NAME} {CANARY_PHONE_LATIN}",
        body=(
            f"صندوق سیار برای سالمندان بفرستید. برای هماهنگی با {CANARY_PHONE_FA} یا {CANARY_EMAIL} تماس بگیرید؛ "
            f"کد ملی من {CANARY_NATIONAL_ID} است."
        ),
    )
    contact_for(planted, name=CANARY_NAME, email=CANARY_EMAIL, phone=CANARY_PHONE_LATIN, consent=True)
    write_summary(theme, by=reviewer, text="بیشتر پیشنهادها **صندوق سیار** می‌خواستند.\n\n- سالمندان\n- بیماران")
    quote_and_confirm(theme, planted, by=reviewer)
    quote_and_confirm(theme, accepted[0], by=reviewer)
    version = publish(draft_report(author=reviewer, themes=[theme]), author=reviewer, editor=editor)
    return version, theme, planted


def leaked(text: str) -> list[str]:
    flat = text.replace(ZWNJ, "")
    return [canary for canary in (*CANARY_TEXTS, CANARY_NAME) if canary.replace(ZWNJ, "") in flat]


def pdf_text(data: bytes, tmp_path) -> str:
    if not shutil.which("pdftotext"):
        return data.decode("latin-1")  # without poppler-utils, the raw bytes are the best there is
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout


def test_the_list_shows_published_reports_only(client, published, reviewer):
    version, theme, _ = published
    draft_report(author=reviewer, themes=[theme], title="پیش‌نویس پنهان")
    page = client.get(reverse("reports:list")).content.decode()
    assert version.title in page and "پیش‌نویس پنهان" not in page
    assert reverse("reports:version", args=[version.report_id, 1]) in page


def test_the_report_page_is_right_to_left_with_one_heading_and_jalali_dates(client, published):
    version, theme, _ = published
    response = client.get(reverse("reports:version", args=[version.report_id, version.number]))
    page = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fa" dir="rtl">' in page and len(re.findall(r"<h1[\s>]", page)) == 1
    assert re.search(r"منتشرشده در [۰-۹]+ [^\s]+ [۰-۹]{4}", page)
    assert not re.search(r"\d{4}-\d{2}-\d{2}", page)


def test_each_theme_section_has_a_permanent_link(client, published):
    version, theme, _ = published
    page = client.get(reverse("reports:latest", args=[version.report_id])).content.decode()
    assert f'id="theme-{theme.pk}"' in page
    assert f'href="/reports/{version.report_id}/v/1/#theme-{theme.pk}"' in page


def test_each_chart_has_its_data_as_a_table_beside_it(client, published):
    version, theme, _ = published
    page = client.get(reverse("reports:latest", args=[version.report_id])).content.decode()
    chart_ids = re.findall(r'<canvas data-chart="([^"]+)"', page)
    assert f"data-theme-{theme.pk}-province" in chart_ids
    for chart_id in chart_ids:
        assert f'<script id="{chart_id}" type="application/json">' in page
    assert page.count("<table") >= len(chart_ids)
    assert "خوزستان" in page and "فعال اجتماعی" in page
    assert "vendor/chartjs/chart.umd.min.js" in page and "js/reports.js" in page
    assert "<script>" not in page and " style=" not in page


def test_the_summary_and_the_redacted_quote_are_shown(client, published):
    version, _, _ = published
    page = client.get(reverse("reports:latest", args=[version.report_id])).content.decode()
    assert "<strong>صندوق سیار</strong>" in page
    assert "صندوق سیار برای سالمندان بفرستید" in page and "[شمارهٔ تلفن حذف شد]" in page


def test_open_data_holds_the_aggregates(client, published):
    version, theme, _ = published
    args = [version.report_id, version.number]
    rows = list(csv.reader(io.StringIO(client.get(reverse("reports:csv", args=args)).content.decode("utf-8-sig"))))
    assert rows[0] == ["section", "theme", "measure", "category", "count", "share_percent"]
    assert ["method", "", "received", "", "5", ""] in rows
    assert ["theme", theme.label, "by_province", "خوزستان", "4", "80.0"] in rows
    assert ["theme", theme.label, "by_province", "سایر (گروه‌های کمتر از ۳ نفر)", "1", "20.0"] in rows
    data = json.loads(client.get(reverse("reports:json", args=args)).content)
    assert data["method"]["counted"] == 5 and data["themes"][0]["figures"]["distinct_ideas"] == 5
    assert "quotes" not in json.dumps(data) and "summary_html" not in data["themes"][0]


def test_the_pdf_renders_its_pages(client, published, tmp_path):
    version, theme, _ = published
    response = client.get(reverse("reports:pdf", args=[version.report_id, version.number]))
    data = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert data.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = pdf_text(data, tmp_path).replace(ZWNJ, "")
        assert version.title.replace(ZWNJ, "") in text and theme.label.replace(ZWNJ, "") in text
    if shutil.which("pdffonts"):
        fonts = subprocess.run(["pdffonts", str(tmp_path / "report.pdf")], capture_output=True, text=True).stdout
        assert "Vazirmatn" in fonts and "yes" in fonts  # embedded
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-r", "40", "-png", str(tmp_path / "report.pdf"), str(tmp_path / "page")], check=True
        )
        pages = sorted(tmp_path.glob("page-*.png"))
        assert pages and all(page.stat().st_size > 2000 for page in pages)


def test_no_planted_personal_data_reaches_any_public_output(client, published, tmp_path):
    version, _, planted = published
    args = [version.report_id, version.number]
    outputs = {
        "list": client.get(reverse("reports:list")).content.decode(),
        "latest": client.get(reverse("reports:latest", args=[version.report_id])).content.decode(),
        "version": client.get(reverse("reports:version", args=args)).content.decode(),
        "csv": client.get(reverse("reports:csv", args=args)).content.decode("utf-8-sig"),
        "json": client.get(reverse("reports:json", args=args)).content.decode(),
        "pdf": pdf_text(client.get(reverse("reports:pdf", args=args)).content, tmp_path),
    }
    other = make_suggestion()
    outputs["track"] = client.get(reverse("reports:track"), {"code": other.tracking_code}).content.decode()
    for name, text in outputs.items():
        assert leaked(text) == [], name


def test_the_pdf_is_drawn_once_and_kept(client, published, monkeypatch):
    from reports import pdf

    version, _, _ = published
    url = reverse("reports:pdf", args=[version.report_id, version.number])
    first = client.get(url).content
    monkeypatch.setattr(pdf, "render_pdf", lambda *args, **kwargs: pytest.fail("drawn twice"))
    assert client.get(url).content == first


def test_the_pdf_fetches_nothing_but_its_fonts():
    from reports.pdf import _fetcher

    fetcher = _fetcher()
    for url in ("http://127.0.0.1:1/x.png", "file:///etc/passwd", "https://example.com/a.css"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_a_report_whose_quote_lost_its_acceptance_cannot_be_submitted(reviewer):
    from review.models import Review

    theme, accepted = theme_with_accepted()
    write_summary(theme, by=reviewer)
    quote_and_confirm(theme, accepted[0], by=reviewer)
    Review.objects.filter(pk=accepted[0].pk).update(status=ReviewStatus.REJECTED)
    with pytest.raises(services.ReportError, match="دیگر پذیرفته نیست"):
        services.submit_report(version=draft_report(author=reviewer, themes=[theme]), submitter=reviewer)


CAMPAIGN_BODY = (
    "صندوق سیار برای سالمندان و بیماران به خانه‌ها فرستاده شود تا کسی برای رأی دادن از خانه بیرون نرود. "
    "برای هماهنگی با {name} به شمارهٔ {phone} تماس بگیرید."
)


@pytest.fixture
def with_campaigns(reviewer, editor):
    """A report whose period holds five campaigns of three to seven copies each, one carrying its sender's name
    and phone number."""
    from suggestions.models import GroupKind
    from tests.reports.data import make_group

    theme, accepted = theme_with_accepted(label="صندوق سیار", count=5)
    for n, canonical in enumerate(accepted):
        canonical.body = IDEAS_FOR_CAMPAIGNS[n]
        if n == 0:
            canonical.body = CAMPAIGN_BODY.format(name=CANARY_NAME, phone=CANARY_PHONE_FA)
            contact_for(canonical, name=CANARY_NAME, email=CANARY_EMAIL, phone=CANARY_PHONE_LATIN, consent=True)
        canonical.save(update_fields=["body"])
        campaign = make_group(canonical, kind=GroupKind.CAMPAIGN)
        for _ in range(2 + n):
            make_suggestion(theme=theme, status=ReviewStatus.ACCEPTED, group=campaign, body=canonical.body)
    write_summary(theme, by=reviewer)
    return publish(draft_report(author=reviewer, themes=[theme]), author=reviewer, editor=editor), theme


IDEAS_FOR_CAMPAIGNS = [
    "",
    "ساعت رأی‌گیری تا نیمه‌شب تمدید شود.",
    "در ورودی شعبه‌ها ماسک و دستکش رایگان داده شود و مأموران شعبه دمای بدن رأی‌دهندگان را بسنجند و "
    "فاصله‌گذاری اجتماعی را در صف‌های طولانی بیرون شعبه‌ها رعایت کنند.",
    "شمارش آرا به صورت زنده پخش شود.",
    "رأی‌گیری الکترونیک در شهرهای بزرگ اجرا شود.",
]


def test_the_campaigns_table_shows_what_each_campaign_asked_for_its_theme_and_its_count(client, with_campaigns):
    version, theme = with_campaigns
    page = client.get(reverse("reports:version", args=[version.report_id, version.number])).content.decode()
    table = page[page.index('id="campaigns"') :]
    table = table[: table.index("</table>")]
    assert "ساعت رأی‌گیری تا نیمه‌شب تمدید شود" in table
    assert "صندوق سیار برای سالمندان و بیماران" in table
    # What it asked for, not why, and no personal data: the phone number is gone.
    assert "تا کسی برای رأی دادن" not in table and leaked(table) == []
    assert "حذف شد" in table  # the name and the number were there to remove
    assert theme.label in table
    # A long request is shortened at a word, one line of the table.
    assert "مأموران شعبه" in table and "صف‌های طولانی" not in table and "…" in table
    assert "۷" in table and "۳" in table
    assert table.count("<tr") == 6  # the header and five campaigns


def test_the_campaigns_table_of_the_pdf_is_compact(client, with_campaigns, tmp_path):
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    version, theme = with_campaigns
    response = client.get(reverse("reports:pdf", args=[version.report_id, version.number]))
    data = b"".join(response.streaming_content) if response.streaming else response.content
    pages = pdf_text(data, tmp_path).replace(ZWNJ, "").split("\f")
    [table_page] = [n for n, text in enumerate(pages) if "شعبه‌ها ماسک".replace(ZWNJ, "") in text]
    # Five campaigns share the method's page: the table neither starts a page of its own nor runs onto the next.
    assert "روش کار و شمارش‌ها".replace(ZWNJ, "") in pages[table_page]
    assert all(idea.replace(ZWNJ, "")[:20] in pages[table_page] for idea in IDEAS_FOR_CAMPAIGNS[1:])
    assert leaked(pages[table_page]) == []
