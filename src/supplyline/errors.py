"""Every error class of supplyline, in one module.

Anything the user can fix (a bad path, an unknown place, a date outside the history, a
corrupt file, a bad option) raises a :class:`SupplylineError` subclass with a one-line
message naming the file / field / value and what was expected. The CLI prints that line
and exits with code 2; the web service answers 4xx with it.
"""

from __future__ import annotations


def one_line(text: object) -> str:
    """``text`` as a single line (whitespace runs, including newlines, collapsed)."""
    return " ".join(str(text).split())


class SupplylineError(Exception):
    """An error caused by user input or user data, reported as one line."""

    exit_code = 2

    def __init__(self, message: object = "") -> None:
        super().__init__(one_line(message))


class InvalidArgumentError(SupplylineError, ValueError):
    """An argument has the wrong type or value (names it and what was expected)."""


class DataNotFoundError(SupplylineError):
    """A required data source was not found in any data location."""


class DataFormatError(SupplylineError):
    """A data file exists but cannot be read or has the wrong content."""


class DateOutOfRangeError(SupplylineError):
    """A date is malformed or outside the control history."""


class PlaceNotFoundError(SupplylineError):
    """A place name could not be resolved."""


class OffNetworkError(SupplylineError):
    """A place lies outside the transport network's extent."""


class OutputError(SupplylineError):
    """An output file cannot be written (read-only location, existing directory, ...)."""


class FetchError(SupplylineError):
    """A download failed or produced a file that does not check out."""


class FetchNotFoundError(FetchError):
    """The server answered 404 (or the ``file://`` path does not exist)."""


class AlertStateError(SupplylineError):
    """The alert state file cannot be read, or another watch run holds it."""


class DeliveryError(SupplylineError):
    """A destination did not accept an alert after its retries (kept for the next run:
    exit code 1, not a user mistake)."""

    exit_code = 1
