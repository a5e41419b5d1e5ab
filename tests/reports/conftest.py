"""The report tests use the reviewer workspace's personas and themes."""

from tests.review.conftest import _fast_passwords, administrator, other_theme, second_reviewer, theme  # noqa: F401
