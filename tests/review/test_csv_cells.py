"""Spreadsheets open CSV cells that begin with = + - @, a tab or a carriage return as formulas. Every CSV the
portal serves writes such a cell as text, with a leading apostrophe (OWASP's advice); the JSON keeps the value
as it is. Theme labels staff write lose bidi controls, as citizens' text does."""

import csv
import io
import json

import pytest
from django.urls import reverse

from review.boards import services as boards
from review.spreadsheet import spreadsheet_cell
from tests.factories import UserFactory
from tests.reports.data import draft_report, publish, theme_with_accepted, write_summary

pytestmark = pytest.mark.django_db

# A label holding a web address would be refused at submission as personal data; this one builds it in a cell.
HYPERLINK = '=HYPERLINK(A1&B1,"جزئیات")'
DDE = "@SUM(1+1)*cmd|' /C calc'!A0"
RLO = "\u202e"


def csv_rows(response) -> list[list[str]]:
    return list(
        csv.reader(
            io.StringIO(
                b"".join(response.streaming_content if response.streaming else [response.content]).decode("utf-8-sig")
            )
        )
    )


def formula_cells(rows: list[list[str]]) -> list[str]:
    return [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+98 912", "'+98 912"),
        ("-2+3", "'-2+3"),
        (DDE, "'" + DDE),
        ("\t=1", "'=1"),
        ("\r=1", "'=1"),
        ("  =1", "'=1"),
        ("ساعت رأی‌گیری", "ساعت رأی‌گیری"),
        ("a=1", "a=1"),
        (f"{RLO}ساعت", "ساعت"),
        (f"{RLO}=1", "'=1"),
        (12, 12),
        (-3, -3),
        (12.5, 12.5),
        ("", ""),
    ],
)
def test_a_cell_is_written_as_text_when_a_spreadsheet_would_run_it(value, written):
    # Leading whitespace and controls go first, so «\t=1» is written «'=1»: a spreadsheet that trims the cell
    # would otherwise still find the formula.
    assert spreadsheet_cell(value) == written


@pytest.fixture
def published_with_hostile_labels(reviewer, editor):
    themes = []
    for label in (HYPERLINK, DDE, f"{RLO}ساعت رأی‌گیری"):
        theme, _ = theme_with_accepted(label=label)
        write_summary(theme, by=reviewer)
        themes.append(theme)
    return publish(draft_report(author=reviewer, themes=themes), author=reviewer, editor=editor)


def test_the_open_data_csv_neutralises_formulas_in_theme_labels(client, published_with_hostile_labels):
    version = published_with_hostile_labels
    rows = csv_rows(client.get(reverse("reports:csv", args=[version.report_id, version.number])))
    labels = {row[1] for row in rows[1:] if row[0] == "theme"}
    assert labels == {"'" + HYPERLINK, "'" + DDE, "ساعت رأی‌گیری"}
    assert formula_cells(rows) == []
    assert not any(RLO in cell for row in rows for cell in row)


def test_the_open_data_json_keeps_the_labels_as_they_are(client, published_with_hostile_labels):
    version = published_with_hostile_labels
    data = json.loads(client.get(reverse("reports:json", args=[version.report_id, version.number])).content)
    assert {HYPERLINK, DDE} <= {theme["label"] for theme in data["themes"]}


def test_the_audit_csv_neutralises_a_username_a_spreadsheet_would_run(client, editor):
    staff = UserFactory(username="-2+3", groups=["reviewer"])
    theme, _ = theme_with_accepted(label="ساعت")
    boards.rename_theme(theme=theme, label="ساعت رأی‌گیری", actor=staff)
    client.force_login(editor)
    rows = csv_rows(client.get(reverse("review:audit_csv")))
    assert any(row[1] == "'-2+3" for row in rows[1:])
    assert formula_cells(rows) == []


def test_a_renamed_theme_label_loses_its_bidi_controls(reviewer):
    theme, _ = theme_with_accepted(label="ساعت")
    boards.rename_theme(theme=theme, label=f"{RLO}ساعت\u2066 رأی‌گیری\u2069\u200f", actor=reviewer)
    theme.refresh_from_db()
    assert theme.label == "ساعت رأی‌گیری"


def test_a_label_of_nothing_but_bidi_controls_is_refused_in_persian(reviewer):
    theme, _ = theme_with_accepted(label="ساعت")
    with pytest.raises(boards.BoardError, match="خالی"):
        boards.rename_theme(theme=theme, label=f"{RLO}\u202c", actor=reviewer)
    theme.refresh_from_db()
    assert theme.label == "ساعت"


def test_a_theme_split_off_with_a_new_label_loses_its_bidi_controls(reviewer):
    theme, members = theme_with_accepted(label="ساعت", count=3)
    new_theme = boards.split_theme(theme=theme, suggestions=members[:1], label=f"{RLO}صندوق سیار", actor=reviewer)
    assert new_theme.label == "صندوق سیار"
