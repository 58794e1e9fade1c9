"""Loaded into the schemathesis process by test_api_fuzz.py (SCHEMATHESIS_HOOKS).

Schemathesis runs its workers as threads, and hypothesis parses and compiles lambda sources to describe its
strategies. CPython 3.11's AST conversion keeps a recursion-depth count that concurrent conversions in several
threads upset ("AST constructor recursion depth mismatch", a RuntimeError that ends the operation's coverage
phase). Serialising those conversions costs nothing measurable and leaves the run to test the API.
"""

import ast
import threading

import hypothesis.internal.lambda_sources as lambda_sources

_lock = threading.RLock()
_parse = ast.parse
_compile = compile


def _serial_parse(*args, **kwargs):  # type: ignore[no-untyped-def]
    with _lock:
        return _parse(*args, **kwargs)


def _serial_compile(*args, **kwargs):  # type: ignore[no-untyped-def]
    with _lock:
        return _compile(*args, **kwargs)


ast.parse = _serial_parse
lambda_sources.compile = _serial_compile  # type: ignore[attr-defined]
