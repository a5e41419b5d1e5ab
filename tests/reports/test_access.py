"""The reports' staff fetches take the person and refuse anyone without a review role, whichever view asks."""

import pytest
from django.core.exceptions import PermissionDenied

from reports import services
from reports.views import get_quote_for_staff_or_404, get_version_for_staff_or_404
from tests.reports.data import draft_report, theme_with_accepted, write_summary

pytestmark = pytest.mark.django_db


def test_a_report_version_and_a_quote_are_fetched_for_staff_and_refused_to_an_outsider(reviewer, editor, outsider):
    theme, accepted = theme_with_accepted()
    write_summary(theme, by=reviewer)
    quote = services.add_quote(
        theme=theme, suggestion=accepted[0], reviewer=reviewer, excerpt=accepted[0].body, extra_terms=[]
    )
    version = draft_report(author=reviewer, themes=[theme])
    for staff in (reviewer, editor):
        assert get_version_for_staff_or_404(staff, version.pk) == version
        assert get_quote_for_staff_or_404(staff, quote.pk) == quote
    with pytest.raises(PermissionDenied):
        get_version_for_staff_or_404(outsider, version.pk)
    with pytest.raises(PermissionDenied):
        get_quote_for_staff_or_404(outsider, quote.pk)
