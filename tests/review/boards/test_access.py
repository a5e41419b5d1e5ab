"""The boards' fetches take the person and refuse anyone without a review role, whichever view asks."""

import pytest
from django.core.exceptions import PermissionDenied

from review.boards.views import get_active_idea_for_reviewer_or_404, get_group_for_reviewer_or_404
from suggestions.models import DuplicateGroup
from tests.factories import IdeaFactory, SuggestionFactory

pytestmark = pytest.mark.django_db


def test_a_duplicate_group_is_fetched_for_a_reviewer_and_refused_to_an_outsider(reviewer, outsider):
    group = DuplicateGroup.objects.create(canonical=SuggestionFactory())
    assert get_group_for_reviewer_or_404(reviewer, group.pk) == group
    with pytest.raises(PermissionDenied):
        get_group_for_reviewer_or_404(outsider, group.pk)


def test_an_idea_is_fetched_for_a_reviewer_and_refused_to_an_outsider(reviewer, outsider):
    idea = IdeaFactory(size=1, members=[SuggestionFactory()])
    assert get_active_idea_for_reviewer_or_404(reviewer, idea.pk) == idea
    with pytest.raises(PermissionDenied):
        get_active_idea_for_reviewer_or_404(outsider, idea.pk)
