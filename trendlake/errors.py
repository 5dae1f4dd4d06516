"""One root exception; the CLI turns any TrendlakeError into a one-line message and exit code."""


class TrendlakeError(Exception):
    """Base of every error trendlake reports to a user."""

    exit_code = 1


class InputError(TrendlakeError):
    """Bad input from the user: a missing file, an unreadable format, a bad flag value."""

    exit_code = 2


class DecodeError(TrendlakeError):
    """One event or frame could not be decoded; callers count it and skip it."""


class LakeError(TrendlakeError):
    """The lake cannot be opened or written."""
