"""The Celery executor: runs are executed by ``autopkg worker`` processes over a broker.

The only module that imports Celery. A message carries a run id and nothing else
(never a geometry); the worker claims that run with the same conditional UPDATE as the
embedded pool and executes it with :func:`autopkg.jobs.engine.execute`, so a message
delivered twice, or late, does no harm. Long-task settings: late acknowledgement and
rejection on a lost worker (a killed worker's message is delivered again), prefetch of
one, a broker visibility timeout longer than the longest run, and message expiry from
the settings. The time limits and the stall rule are the execution policy's, applied
by the run's reporter as in the embedded pool (:mod:`autopkg.jobs.policy`); Celery's
own hard limit, one lease later, only reaps a child whose processor never returns
(a thread cannot be killed, a process can). Each prefork child sizes GDAL for the
worker's concurrency, so the children share the machine's CPUs. Celery states never
reach the API: the database holds every run's state.

``autopkg serve`` only enqueues. Its reconciler thread recovers runs whose worker
stopped (:func:`autopkg.jobs.recovery.recover`) and sends every PENDING run that has no
recent message (none for five leases, at least a minute, at most the message expiry),
which also covers runs submitted while the broker was down and messages lost with a
killed worker that had reserved them.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from celery import Celery, signals
from celery.apps.worker import install_worker_term_handler
from kombu.exceptions import KombuError

from autopkg.clip.budget import size_gdal
from autopkg.config import Settings, load_settings
from autopkg.db import runs as run_repo
from autopkg.errors import ConfigurationError
from autopkg.jobs import engine
from autopkg.jobs.housekeeping import Housekeeper
from autopkg.jobs.recovery import recover
from autopkg.runtime import Runtime, open_runtime

log = logging.getLogger(__name__)

TASK_NAME = "autopkg.execute_run"
QUEUE = "autopkg"
# The broker redelivers an unacknowledged message after its visibility timeout: it must
# outlast the longest run (Celery's hard time limit) by a margin.
_VISIBILITY_MARGIN_SECS = 600
_BROKER_TIMEOUT_SECS = 3.0


def make_celery(settings: Settings) -> Celery:
    """Return the Celery app configured from ``settings`` (broker required)."""
    app = Celery("autopkg", broker=settings.celery_broker, backend=settings.celery_backend)
    # The policy gives an attempt up at the hard limit; Celery kills the child a lease
    # later, if the processor is still inside it.
    kill_after = settings.task_time_limit_secs + settings.run_lease_seconds
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=settings.celery_backend is None,
        task_time_limit=kill_after,
        task_default_queue=QUEUE,
        broker_transport_options={"visibility_timeout": kill_after + _VISIBILITY_MARGIN_SECS},
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=_BROKER_TIMEOUT_SECS,
        worker_hijack_root_logger=False,
        # Our log handler writes to sys.stderr as it is at each line (so lines go above
        # a CLI progress bar); Celery's redirect would make that stream a logger again,
        # whose recursion guard drops every line.
        worker_redirect_stdouts=False,
        worker_send_task_events=False,
    )
    app.task(name=TASK_NAME, ignore_result=True)(_execute_run)
    return app


_worker_runtime: Runtime | None = None
_worker_lock = threading.Lock()


def _runtime_of_this_process() -> Runtime:
    """The runtime of a worker process, built at its first task (after the fork)."""
    global _worker_runtime
    with _worker_lock:
        if _worker_runtime is None:
            _worker_runtime = open_runtime(load_settings(), migrate=False)
        return _worker_runtime


def _execute_run(run_id: str) -> str:
    """Celery task: claim ``run_id`` and execute it; returns the state it ended in."""
    rt = _runtime_of_this_process()
    owner = engine.worker_id()
    run = engine.claim_next(rt, owner=owner, run_id=run_id)
    if run is None:
        log.info("run %s: nothing to do (taken, finished or cancelled)", run_id[:8])
        return "not claimed"
    return engine.execute(rt, run, owner=owner).value


class CeleryExecutor:
    """Sends runs to Celery workers; reconciles the database with the broker."""

    def __init__(self, rt: Runtime, app: Celery, *, reconcile_seconds: float | None = None) -> None:
        self._rt = rt
        self._app = app
        lease = rt.settings.run_lease_seconds
        self._interval = reconcile_seconds or max(1.0, lease / 4)
        # A message can be lost without expiring: reserved by a worker that was then
        # killed, it stays unacknowledged in the broker until the visibility timeout.
        # A run still PENDING this long after its last message is sent again; if the
        # first message was only queued behind other work, the duplicate finds the run
        # claimed and does nothing.
        self._redispatch_after = min(rt.settings.task_expiry_secs, max(60, 5 * lease))
        self._housekeeper = Housekeeper(rt)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._reconcile_loop, name="reconciler", daemon=True)

    def start(self) -> None:
        """Start the reconciler (it also sends work queued before this process started)."""
        self._thread.start()
        log.info("Celery executor started; reconciling every %.0fs", self._interval)

    def dispatch(self, run_id: str) -> None:
        """Send ``run_id`` to the workers; if the broker is down the reconciler sends it later."""
        try:
            self._app.send_task(
                TASK_NAME,
                args=[run_id],
                queue=QUEUE,
                expires=self._rt.settings.task_expiry_secs,
                retry=False,
            )
        except (KombuError, OSError) as exc:
            log.warning("run %s: broker unavailable (%s); will be sent again", run_id[:8], exc)
            return
        with self._rt.database.session() as session:
            run_repo.mark_dispatched(session, run_id=run_id)

    def reconcile(self) -> int:
        """Recover lost runs, send each PENDING run without a recent message; return how many."""
        recover(self._rt)
        sent_before = run_repo.utcnow() - timedelta(seconds=self._redispatch_after)
        with self._rt.database.read_session() as session:
            waiting = run_repo.undispatched_runs(session, sent_before=sent_before)
        for run_id in waiting:
            self.dispatch(run_id)
        return len(waiting)

    def problem(self) -> str | None:
        """``None`` when the broker answers, else why not."""
        failure = _broker_failure(self._app)
        return None if failure is None else f"broker is not answering ({type(failure).__name__})"

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the reconciler."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _reconcile_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.reconcile()
                self._housekeeper.maybe_run()
            except Exception:
                log.exception("reconciler: unexpected error; trying again")
            self._stopping.wait(self._interval)


def _log_shutdown(sig: str | None = None, how: str | None = None, **_: object) -> None:
    log.info("%s shutdown (%s)", (how or "warm").lower(), sig)


def check_broker(settings: Settings) -> None:
    """Raise unless the broker of ``settings`` answers now (one try, a few seconds).

    ``autopkg worker`` calls it first, so a broker that is down or mistyped is one line
    and exit 1, rather than Celery retrying for minutes after the start-up lines.

    Raises:
        ConfigurationError: naming the broker (without its password) and the cause.
    """
    app = make_celery(settings)
    failure = _broker_failure(app)
    if failure is not None:
        with app.connection_for_write() as connection:
            where = connection.as_uri()
        cause = str(failure).strip().splitlines()[0] if str(failure).strip() else ""
        raise ConfigurationError(
            f"the broker {where} (AUTOPKG_CELERY_BROKER) is not answering: "
            f"{cause or type(failure).__name__}"
        )


def _broker_failure(app: Celery) -> Exception | None:
    """Return why the broker cannot be reached now, or ``None`` when it answers."""
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=_BROKER_TIMEOUT_SECS)
    except (KombuError, OSError) as exc:
        return exc
    return None


def run_worker(settings: Settings, *, concurrency: int, loglevel: str) -> None:
    """Run a Celery worker (prefork, ``concurrency`` processes) until it is stopped.

    Each worker gets a unique node name, so several on one host do not clash. Every
    line it writes goes through ``autopkg.logs`` (JSON with ``AUTOPKG_LOG_FORMAT=json``):
    Celery's start-up banner is turned off (``--quiet``) and its shutdown notice,
    which it prints straight to stdout, is logged instead.
    """
    import uuid

    app = make_celery(settings)
    celery_worker = app.Worker

    def size_gdal_for_the_worker(**_: object) -> None:
        # Each prefork child runs one clip at a time, beside ``concurrency - 1`` others.
        size_gdal(clips=1, processes=concurrency)

    class QuietWorker(celery_worker):  # type: ignore[misc, valid-type]
        def install_platform_tweaks(self, worker: object) -> None:
            super().install_platform_tweaks(worker)
            install_worker_term_handler(worker, verbose=False)

    # The worker command builds ``app.Worker``; a cached property, so this replaces it.
    app.Worker = QuietWorker
    signals.worker_shutting_down.connect(_log_shutdown, weak=False)
    signals.worker_process_init.connect(size_gdal_for_the_worker, weak=False)
    app.worker_main(
        [
            "--quiet",
            "worker",
            f"--concurrency={concurrency}",
            f"--hostname=autopkg-{uuid.uuid4().hex[:8]}@%h",
            f"--queues={QUEUE}",
            f"--loglevel={loglevel}",
            "--pool=prefork",
            "--without-gossip",
            "--without-mingle",
        ]
    )
