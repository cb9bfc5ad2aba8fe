"""Remember the last result of a pure function of read-only frames (one report asks for the same figures often)."""

from __future__ import annotations

from functools import wraps


def last_result(fn):
    """Decorate a pure function whose arguments are not modified: a call with the very same argument
    objects (identity, not equality) returns the previous result without computing it again.

    Only the last call is kept, so memory stays flat; frames of a loaded data folder are read-only
    (``ingest.reader.load``), which is what makes identity a safe key.
    """
    last: list = []

    @wraps(fn)
    def wrapper(*args):
        if last and len(last[0]) == len(args) and all(a is b for a, b in zip(last[0], args)):
            return last[1]
        out = fn(*args)
        last[:] = [args, out]
        return out

    return wrapper
