"""Threads that run in a copy of their starter's context (and so keep its log fields).

A new thread starts with an empty :mod:`contextvars` context, so the fields the job
engine binds around a run (``autopkg.logs.context``) would be missing from every line
a worker thread writes. A processor or the clip engine that wants threads uses these
instead of :mod:`threading` and :mod:`concurrent.futures` directly.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class ContextThreadPoolExecutor(ThreadPoolExecutor):
    """A thread pool whose tasks each run in a copy of the submitter's context."""

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Schedule ``fn(*args, **kwargs)`` in a copy of the calling thread's context.

        ``map`` goes through here too.
        """
        # One copy per task: a Context cannot be entered by two threads at once.
        context = contextvars.copy_context()

        def call() -> T:
            return fn(*args, **kwargs)

        return super().submit(context.run, call)


def context_thread(target: Callable[[], Any], *, name: str) -> threading.Thread:
    """A daemon thread (not started) running ``target`` in a copy of the current context."""
    context = contextvars.copy_context()
    return threading.Thread(target=context.run, args=(target,), name=name, daemon=True)
