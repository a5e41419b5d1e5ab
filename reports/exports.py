"""Open data of a published version: the aggregates only, as CSV and JSON. No text a citizen wrote beyond the
quotes, nothing about any one person."""

import csv
import io

from django.urls import reverse

from reports.models import ReportVersion
from review.spreadsheet import spreadsheet_row

LICENCE = "CC BY 4.0"


def _theme_rows(section: dict):
    figures = section["figures"]
    label = section["label"]
    for measure in ("suggestions", "distinct_ideas", "merged", "supporters"):
        if measure in figures:  # versions frozen before supports were counted have no such figure
            yield ["theme", label, measure, "", figures[measure], ""]
    for idea in figures.get("ideas", []):  # versions frozen before ideas were counted list none
        for measure in ("people", "suggestions", "supporters"):
            yield ["theme", label, f"idea_{measure}", idea["label"], idea[measure], ""]
    for campaign in figures["campaigns"]:
        yield ["theme", label, "campaign_size", campaign["label"], campaign["size"], ""]
    for dimension in ("by_role", "by_province"):
        for row in figures[dimension]:
            yield ["theme", label, dimension, row["label"], row["count"], row["share"]]


def csv_rows(version: ReportVersion):
    content = version.content
    method = content["method"]
    yield ["section", "theme", "measure", "category", "count", "share_percent"]
    for measure in (
        "received",
        "rejected",
        "counted",
        "awaiting_review",
        "distinct_ideas",
        "merged",
        "duplicate_groups",
        "themes",
        "in_report_themes",
        "outside_report_themes",
        "supporters",
    ):
        if measure in method:  # versions frozen before supports were counted have no such figure
            yield ["method", "", measure, "", method[measure], ""]
    for row in method["rejected_by_reason"]:
        yield ["method", "", "rejected_by_reason", row["label"], row["count"], ""]
    for campaign in method["campaigns"]:
        yield ["method", "", "campaign_size", campaign["label"], campaign["size"], ""]
    for section in content["sections"]:
        yield from _theme_rows(section)


def report_csv(version: ReportVersion) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # Labels are staff-written or drawn from citizens' words: written as text, never as a formula.
    writer.writerows(spreadsheet_row(row) for row in csv_rows(version))
    # A byte-order mark, so spreadsheet programs read the Persian labels as UTF-8.
    return "\ufeff" + buffer.getvalue()


def report_json(version: ReportVersion) -> dict:
    content = version.content
    # A version frozen before ideas were counted counted duplicate groups: its rules say so.
    ideas_counted = any("ideas" in section["figures"] for section in content["sections"])
    return {
        "report": version.report_id,
        "version": version.number,
        "title": content["title"],
        "url": reverse("reports:version", args=[version.report_id, version.number]),
        "period": content["period"],
        "published_at": version.published_at.isoformat() if version.published_at else None,
        "change_note": content.get("change_note", ""),
        "licence": LICENCE,
        "counting_rules": {
            "counted": "received minus rejected by reviewers",
            "distinct_ideas": (
                "counted suggestions, each idea (copies, campaigns and texts proposing the same thing in other "
                "words) counted once; a suggestion in no idea yet counts with its duplicate group, or alone"
                if ideas_counted
                else "counted suggestions, each duplicate group or campaign counted once"
            ),
            "supporters": "supports received in the period for an idea counted here, one per idea per browser; "
            "never counted as suggestions",
            "ideas": "per theme, the ideas with the most people behind them: people are the idea's counted "
            "suggestions in the theme plus the supports received in the period for any of them; ideas of fewer than "
            f"{content['method']['min_cell']} people are not listed",
            "shares": f"over counted suggestions; categories under {content['method']['min_cell']} folded into others",
        },
        "method": content["method"],
        "themes": [
            {"anchor": section["anchor"], "label": section["label"], "figures": section["figures"]}
            for section in content["sections"]
        ],
    }
