"""The report tests use the reviewer workspace's personas and themes."""

from tests.review.conftest import (  # noqa: F401
    _fast_passwords,
    administrator,
    other_theme,
    reviewer_client,
    second_reviewer,
    theme,
)
