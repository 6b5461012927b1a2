"""Errors Kolors raises on bad input. Each message names the file or the parameter and
what is allowed; the CLI prints it as one line and exits non-zero, the GUI shows it."""


class KolorsError(Exception):
    """Base class of Kolors' own errors."""


class InputError(KolorsError, ValueError):
    """Bad input: an unreadable, truncated, oversized or unsupported file, a malformed
    preset or .cube, an out-of-range value. The message names the file/field."""


class UnsupportedFormat(InputError):
    """A file whose format Kolors cannot read (e.g. RED R3D)."""


class Cancelled(KolorsError):
    """A render, export, batch or video job stopped because its ``should_cancel`` callback
    (or the person) said so. No partial output is left behind."""
