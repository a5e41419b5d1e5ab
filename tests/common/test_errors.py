import pytest

from common.errors import Refused
from reports.services import ReportError
from review.boards.services import BoardError
from review.services import ReviewConflict, ReviewError
from suggestions.grouping import GroupingError


@pytest.mark.parametrize("error", [ReviewError, ReviewConflict, BoardError, ReportError, GroupingError])
def test_every_refusal_an_app_raises_is_caught_as_one_refusal_with_its_persian_message(error):
    with pytest.raises(Refused, match="این کار ممکن نیست"):
        raise error("این کار ممکن نیست.")
