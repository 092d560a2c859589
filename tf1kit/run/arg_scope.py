"""`tf.contrib.framework.arg_scope` and `add_arg_scope` as TF 1.15 defined
them (tensorflow/contrib/framework/python/ops/arg_scope.py): a stack of
{function key: default keyword arguments}; a decorated function takes
the innermost scope's defaults for itself, the keywords its caller gives
winning over them.
"""

from __future__ import annotations

import contextlib
import functools

_STACK = [{}]


def current_arg_scope() -> dict:
    return _STACK[-1]


def arg_scope_func_key(function):
    return getattr(function, "_key_op", str(function))


def has_arg_scope(function) -> bool:
    return hasattr(function, "_key_op")


def add_arg_scope(function):
    """Let `arg_scope` set `function`'s default keyword arguments."""

    @functools.wraps(function)
    def decorated(*args, **kwargs):
        key = arg_scope_func_key(decorated)
        scoped = dict(current_arg_scope().get(key, {}))
        scoped.update(kwargs)
        return function(*args, **scoped)

    decorated._key_op = f"{function.__module__}.{function.__qualname__}"
    return decorated


@contextlib.contextmanager
def arg_scope(list_ops_or_scope, **kwargs):
    """Defaults `kwargs` for each decorated function of `list_ops_or_scope`
    (or re-enter a scope this yielded before: a dict, with no kwargs)."""
    if isinstance(list_ops_or_scope, dict):
        if kwargs:
            raise ValueError("When attempting to re-use a scope by suppling a dictionary, "
                             "kwargs must be empty.")
        scope = dict(list_ops_or_scope)
    else:
        if not isinstance(list_ops_or_scope, (list, tuple)):
            raise TypeError("list_ops_or_scope must either be a list/tuple or reused scope "
                            "(i.e. dict)")
        scope = dict(current_arg_scope())
        for function in list_ops_or_scope:
            if not has_arg_scope(function):
                name = getattr(function, "__name__", repr(function))
                raise ValueError(f"{name} is not decorated with @add_arg_scope (tf1-run's "
                                 "arg_scope serves tf.contrib.layers' functions)")
            key = arg_scope_func_key(function)
            merged = dict(scope.get(key, {}))
            merged.update(kwargs)
            scope[key] = merged
    _STACK.append(scope)
    try:
        yield scope
    finally:
        _STACK.pop()
