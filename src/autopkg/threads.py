"""A thread that runs in a copy of its starter's context (and so keeps its log fields).

A new thread starts with an empty :mod:`contextvars` context, so the fields the job
engine binds around a run (``autopkg.logs.context``) would be missing from every line
a worker thread writes. Code that starts a thread while a run is bound (the lease
heartbeat) starts it with :func:`context_thread`.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from typing import Any


def context_thread(target: Callable[[], Any], *, name: str) -> threading.Thread:
    """A daemon thread (not started) running ``target`` in a copy of the current context."""
    context = contextvars.copy_context()
    return threading.Thread(target=context.run, args=(target,), name=name, daemon=True)
