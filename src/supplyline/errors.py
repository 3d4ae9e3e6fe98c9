"""User-facing errors.

Anything the user can fix (a bad path, an unknown place, a date outside the history,
a corrupt file) raises :class:`SupplylineError` with a one-line message naming the
file / field / value and what was expected. The CLI prints that line and exits non-zero.
"""

from __future__ import annotations


class SupplylineError(Exception):
    """An error caused by user input or user data, reported as one line."""

    exit_code = 2


class DataNotFoundError(SupplylineError):
    """A required data source was not found in any data location."""


class DataFormatError(SupplylineError):
    """A data file exists but cannot be read or has the wrong content."""


class DateOutOfRangeError(SupplylineError):
    """A date is outside the control history."""


class PlaceNotFoundError(SupplylineError):
    """A place name could not be resolved."""
