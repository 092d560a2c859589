"""`tf1-run --feed NAME=VALUE`: a fed value overridden in every training
call (a call that runs an optimizer's update), without editing the script;
for example `--feed keep_prob=1.0` trains without dropout.

NAME is the fed tensor's name (`Placeholder_2:0`), its op's name
(`Placeholder_2`), or the script's module-level Python name bound to it
(`keep_prob`). A NAME that the first training call does not feed stops
the script with one line: an override that applied to nothing would leave
the user believing the run was changed.
"""

from __future__ import annotations

import ast
import sys

import numpy as np


class FeedError(BaseException):
    """A --feed that names nothing fed (a BaseException, so that a
    script's `except Exception` does not swallow it)."""


def parse(texts: list) -> dict:
    """{NAME: value} from NAME=VALUE words; ValueError naming a bad one."""
    found = {}
    for text in texts:
        name, equals, value = text.partition("=")
        if not equals or not name.strip():
            raise ValueError(f"--feed {text}: expected NAME=VALUE, for example keep_prob=1.0")
        try:
            found[name.strip()] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            raise ValueError(f"--feed {text}: {value!r} is not a number, a boolean or a "
                             "list of numbers") from None
        if not isinstance(np.asarray(found[name.strip()]).dtype.type(0), (np.number, np.bool_)):
            raise ValueError(f"--feed {text}: {value!r} is not numeric")
    return found


def _script_names(key) -> list:
    """The running script's module-level names bound to the fed tensor `key`."""
    main = sys.modules.get("__main__")
    names = getattr(main, "__dict__", {})
    return [name for name, value in list(names.items()) if value is key]


class FeedOverrides:
    """The values to feed instead, matched against each training call's feeds."""

    def __init__(self, values: dict):
        self.values, self.resolved = dict(values), {}

    def _matches(self, name: str, key) -> bool:
        tensor_name = getattr(key, "name", str(key))
        return name in (tensor_name, tensor_name.split(":")[0]) or name in _script_names(key)

    def apply(self, feed_dict, call: int) -> dict:
        """The training call's feeds with the overrides in place."""
        feed_dict = dict(feed_dict or {})
        for name, value in self.values.items():
            keys = [key for key in feed_dict if self._matches(name, key)]
            if len(keys) != 1:
                fed = ", ".join(sorted(getattr(key, "name", str(key)) for key in feed_dict))
                raise FeedError(f"--feed {name}: {'no' if not keys else len(keys)} fed "
                                f"value{'s' if keys else ''} of training call {call} "
                                f"{'is' if not keys else 'are'} named so (it feeds: "
                                f"{fed or 'nothing'}); name a placeholder, its tensor or the "
                                "script's variable for it")
            key = keys[0]
            dtype = getattr(getattr(key, "dtype", None), "as_numpy_dtype", None)
            shape = np.shape(feed_dict[key])
            feed_dict[key] = np.broadcast_to(np.asarray(value, dtype), shape).copy() \
                if shape else np.asarray(value, dtype)
            self.resolved[name] = getattr(key, "name", str(key))
        return feed_dict

    def describe(self) -> dict:
        """The manifest's record: {NAME: {"value": ..., "tensor": fed tensor}}."""
        return {name: {"value": np.asarray(value).tolist(), "tensor": self.resolved.get(name)}
                for name, value in self.values.items()}
