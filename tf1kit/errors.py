"""The kit's error types, so entry points can turn them into one clear
line instead of a stack trace."""


class DataError(ValueError):
    """Data that cannot be read or is not what it claims to be.

    A ValueError subclass because TF1's loader raised ValueError for the same
    situations (bad magic number, bad validation size); code written against
    TF1 that catches ValueError keeps working.
    """


class Refused(Exception):
    """A TF1 construct `tf1-run` does not run (its message names it): the
    CLI prints it as one line with the script's line, not a traceback."""


class RefusedAttribute(Refused, AttributeError):
    """`tf.contrib.<removed>`: an AttributeError too, as `hasattr` expects."""


class RefusedImport(Refused, ImportError):
    """`import tensorflow.contrib.<removed>`: an ImportError too."""
