"""The kit's error type for bad data, so entry points can turn it into one
clear line instead of a stack trace."""


class DataError(ValueError):
    """Data that cannot be read or is not what it claims to be.

    A ValueError subclass because TF1's loader raised ValueError for the same
    situations (bad magic number, bad validation size); code written against
    TF1 that catches ValueError keeps working.
    """
