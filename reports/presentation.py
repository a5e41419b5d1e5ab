"""Turns a version's frozen content into what the report templates show: dates, chart data, tables.
Shared by the public page, the PDF and the staff preview, so all three show the same figures."""

from datetime import datetime, timedelta

from common.persian import persian_digits
from reports.figures import OTHERS_LABEL
from reports.models import ReportVersion


def share_text(share: float) -> str:
    return persian_digits(f"{share:g}".replace(".", "٫"))


def _chart(element_id: str, title: str, rows: list[dict], *, value: str = "count") -> dict:
    largest = max((row[value] for row in rows), default=0) or 1
    rows = [
        {
            **row,
            "share_text": share_text(row["share"]) if "share" in row else "",
            # Bar length in steps of 5%, for the PDF's CSS bars (no style attributes anywhere).
            "bar": int(round(20 * row[value] / largest)) * 5,
        }
        for row in rows
    ]
    return {
        "id": element_id,
        "title": title,
        "rows": rows,
        "data": {"title": title, "labels": [row["label"] for row in rows], "values": [row[value] for row in rows]},
    }


def present(version: ReportVersion, content: dict) -> dict:
    start = datetime.fromisoformat(content["period"]["start"])
    last_instant = datetime.fromisoformat(content["period"]["end"]) - timedelta(microseconds=1)
    method = content["method"]
    sections = []
    for section in content["sections"]:
        figures = section["figures"]
        anchor = section["anchor"]
        sections.append(
            {
                **section,
                # Versions frozen before supports existed name no quote's suggestion: their quotes offer no support.
                "quote_entries": list(
                    zip(section["quotes"], section.get("quote_ideas") or [None] * len(section["quotes"]), strict=True)
                ),
                "role_chart": _chart(f"data-{anchor}-role", "سهم نقش فرستندگان", figures["by_role"]),
                "province_chart": _chart(f"data-{anchor}-province", "سهم استان‌ها", figures["by_province"]),
            }
        )
    return {
        "content": content,
        "period_first": start,
        "period_last": last_instant,
        "method": method,
        "reasons_chart": _chart("data-method-reasons", "پیشنهادهای ردشده به تفکیک دلیل", method["rejected_by_reason"]),
        "sections": sections,
        # Versions frozen before ideas were counted say nothing of how people per idea are counted.
        "ideas_counted": any("ideas" in section["figures"] for section in content["sections"]),
        "others_label": OTHERS_LABEL,
    }
