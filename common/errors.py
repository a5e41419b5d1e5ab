"""The one base of the errors a person may read."""


class Refused(ValueError):
    """A request the rules refuse before anything is written. The message is Persian and is shown as it is;
    each app raises its own subclass (ReviewError, BoardError, ReportError, GroupingError)."""
