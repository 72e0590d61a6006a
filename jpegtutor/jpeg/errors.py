"""The one error type of the codec."""

from __future__ import annotations

__all__ = ["JPEGError", "JPEGWarning"]


class JPEGError(ValueError):
    """A JPEG file that is corrupt, truncated or uses a feature this codec does not support.

    ``offset`` is the byte offset in the file where the problem was found (``None`` when it is
    not about a position, e.g. an unsupported feature announced in a frame header is still given
    the header's offset).
    """

    def __init__(self, message: str, offset: int | None = None):
        self.offset = offset
        super().__init__(message if offset is None else f"{message} (at byte offset {offset})")


class JPEGWarning(UserWarning):
    """Data that libjpeg would also warn about but can still decode (e.g. extraneous bytes in a scan)."""
