"""Telling submitters of their jobs' state changes: signed POSTs, each change recorded once.

A job's state is derived from its runs, which workers anywhere change; so changes are
found by looking, not by being told. Every API process runs a :class:`CallbackSender`
thread that, every ``AUTOPKG_CALLBACK_POLL_SECS``:

1. reads the jobs with open subscriptions, works out which change each subscribed URL
   is owed now (:func:`owed`) and records it with the document to send; the table's
   unique (job, event, url) makes the first process to record a change the only one;
2. claims the deliveries that are due, one at a time (``autopkg.db.deliveries``), and
   POSTs each, signed, to the address its URL was checked to resolve to.

Events are ``running`` (a job's run is executing) and ``complete`` (the job is over).
A job that starts and ends between two looks is owed ``complete`` only.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol
from urllib.parse import urlunsplit

import httpx

import autopkg
from autopkg.db import deliveries
from autopkg.db.deliveries import Change, Delivery, Role, Subscription
from autopkg.db.jobs import JobOutcome
from autopkg.domain.states import RunState
from autopkg.jobs import callback_targets, service
from autopkg.jobs.callback_targets import RefusedTargetError
from autopkg.runtime import Runtime

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Autopkg-Signature"
DELIVERY_HEADER = "X-Autopkg-Delivery"
EVENT_HEADER = "X-Autopkg-Event"

RUNNING = "running"
COMPLETE = "complete"

# How long a claimed delivery is left to its sender before another may take it: the
# name's resolution, then connect, send and answer, each within the timeout, with room.
_HOLD_TIMEOUTS = 6
_HOLD_MARGIN_SECS = 30.0
# A database outage is waited out for this long, then the next look tries again.
_DATABASE_PATIENCE_SECS = 10.0


class Documents(Protocol):
    """Renders the document a role is sent for a job's status (UTF-8 JSON text)."""

    def __call__(self, role: Role, status: service.JobStatus, base_url: str) -> str:
        """The document; ``base_url`` is the API's address at submission, for links."""
        ...


def signature(secret: bytes, body: bytes) -> str:
    """The signature header's value: ``sha256=`` and the hex HMAC-SHA256 of ``body``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def owed(role: Role, status: service.JobStatus) -> str | None:
    """The event a URL in ``role`` is owed for the job as it is now, if any.

    ``notify`` is owed ``running`` while a run executes and ``complete`` once the job is
    complete. The OGC URIs follow the OGC status: ``inProgressUri`` is owed
    ``running``; a job that is over (complete, or dismissed while a run it shares with
    another job goes on) owes ``complete`` to ``successUri`` when it succeeded and to
    ``failedUri`` otherwise (failed, partly failed or dismissed).
    """
    running = any(run.state is RunState.EXECUTING for run in status.runs)
    if role is Role.NOTIFY:
        if status.complete:
            return COMPLETE
        return RUNNING if running else None
    over = status.complete or status.cancelled
    if role is Role.IN_PROGRESS:
        return RUNNING if running and not over else None
    succeeded = status.outcome is JobOutcome.SUCCESS and not status.cancelled
    if over and succeeded == (role is Role.SUCCESS):
        return COMPLETE
    return None


class CallbackSender:
    """Records the changes owed to subscribed URLs and delivers them, on its own thread."""

    def __init__(self, rt: Runtime, documents: Documents) -> None:
        secret = rt.settings.callback_secret
        if secret is None:
            raise ValueError("a callback sender needs AUTOPKG_CALLBACK_SECRET")
        self._rt = rt
        self._documents = documents
        self._secret = secret.get_secret_value().encode()
        timeout = rt.settings.callback_timeout_secs
        self._hold = timedelta(seconds=_HOLD_TIMEOUTS * timeout + _HOLD_MARGIN_SECS)
        # No redirects (a receiver could send us anywhere), no proxies or credentials
        # from the environment, and no kept connections: each attempt connects to the
        # address it has just checked.
        self._http = httpx.Client(
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
            limits=httpx.Limits(max_keepalive_connections=0),
        )
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="callbacks", daemon=True)

    def start(self) -> None:
        """Start looking for changes and sending."""
        self._thread.start()
        log.info("callbacks: looking for job changes every %.2gs", self._poll)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the attempt in progress (it is tried again later if cut short)."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._http.close()

    @property
    def _poll(self) -> float:
        return self._rt.settings.callback_poll_secs

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("callbacks: unexpected error; trying again")
            self._stopping.wait(self._poll)

    def tick(self) -> None:
        """Record the changes owed now, then send every delivery that is due."""
        self.record_changes()
        while not self._stopping.is_set() and self.send_one():
            pass

    def record_changes(self) -> int:
        """Record what each open subscription is owed now; returns how many were new here."""
        database = self._rt.database
        with database.read_connection() as connection:
            subscriptions = deliveries.open_subscriptions(connection)
            if not subscriptions:
                return 0
            job_ids = sorted({subscription.job_id for subscription in subscriptions})
            already = deliveries.recorded(connection, job_ids)
        statuses = {status.job_id: status for status in service.statuses(self._rt, job_ids)}
        changes = self._changes(subscriptions, statuses, already)
        complete = [job_id for job_id, status in statuses.items() if status.complete]
        if not changes and not complete:
            return 0

        # Closed in the same transaction: a job whose last change is recorded is not read again.
        return database.transact_retrying(
            lambda session: deliveries.record(session, changes, closing=complete),
            for_seconds=_DATABASE_PATIENCE_SECS,
        )

    def _changes(
        self,
        subscriptions: Sequence[Subscription],
        statuses: dict[str, service.JobStatus],
        already: set[tuple[str, str, str]],
    ) -> list[Change]:
        changes: dict[tuple[str, str, str], Change] = {}
        for subscription in subscriptions:
            status = statuses.get(subscription.job_id)
            event = None if status is None else owed(subscription.role, status)
            if status is None or event is None:
                continue
            key = (subscription.job_id, event, subscription.url)
            if key in already or key in changes:
                continue
            body = self._documents(subscription.role, status, subscription.base_url)
            changes[key] = Change(
                job_id=subscription.job_id, event=event, url=subscription.url, body=body
            )
        return list(changes.values())

    def send_one(self) -> bool:
        """Claim one due delivery and attempt it; ``False`` when none was due."""
        database = self._rt.database
        hold_until = datetime.now(UTC) + self._hold
        delivery = database.transact_retrying(
            lambda session: deliveries.claim_due(session, hold_until=hold_until),
            for_seconds=_DATABASE_PATIENCE_SECS,
        )
        if delivery is None:
            return False
        try:
            error = self._attempt(delivery)
            retry_at = None if error is None else self._retry_at(delivery)
        except RefusedTargetError as exc:
            # Never contacted, and never will be: what it resolves to is not allowed.
            error, retry_at = f"refused: {exc.message}", None
        if error is None:
            database.transact_retrying(
                lambda session: deliveries.delivered(session, delivery),
                for_seconds=_DATABASE_PATIENCE_SECS,
            )
            log.info(
                "callbacks: %s of job %s delivered (attempt %d)",
                delivery.event,
                delivery.job_id[:8],
                delivery.attempts,
            )
            return True
        database.transact_retrying(
            lambda session: deliveries.failed(session, delivery, error=error, retry_at=retry_at),
            for_seconds=_DATABASE_PATIENCE_SECS,
        )
        if retry_at is None:
            log.warning(
                "callbacks: gave up %s of job %s after %d attempt(s): %s",
                delivery.event,
                delivery.job_id[:8],
                delivery.attempts,
                error,
            )
        return True

    def _retry_at(self, delivery: Delivery) -> datetime | None:
        settings = self._rt.settings
        if delivery.attempts >= settings.callback_max_attempts:
            return None
        delay = settings.callback_backoff_secs * 2 ** (delivery.attempts - 1)
        retry_at = datetime.now(UTC) + timedelta(seconds=delay)
        if retry_at > delivery.created_at + timedelta(seconds=settings.callback_max_age_secs):
            return None
        return retry_at

    def _attempt(self, delivery: Delivery) -> str | None:
        """POST the delivery; ``None`` when the receiver accepted it (2xx), else why not.

        Raises:
            RefusedTargetError: the URL's host now resolves to an address not allowed.
        """
        target = callback_targets.resolve(delivery.url, self._rt.settings.callback_allowed_networks)
        body = delivery.body.encode()
        address = target.address
        host = f"[{address}]" if address.version == 6 else str(address)
        pinned = urlunsplit(
            (
                target.url.scheme,
                f"{host}:{target.port}",
                target.url.path or "/",
                target.url.query,
                "",
            )
        )
        headers = {
            # The name the URL gave, so virtual hosts and TLS see it, not the address.
            "Host": target.url.netloc,
            "Content-Type": "application/json",
            "User-Agent": f"autopkg/{autopkg.__version__}",
            SIGNATURE_HEADER: signature(self._secret, body),
            DELIVERY_HEADER: delivery.id,
            EVENT_HEADER: delivery.event,
        }
        extensions = {"sni_hostname": target.host} if target.url.scheme == "https" else {}
        try:
            with self._http.stream(
                "POST", pinned, content=body, headers=headers, extensions=extensions
            ) as response:
                answered = response.status_code
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"
        if 200 <= answered < 300:
            return None
        if 300 <= answered < 400:
            return f"answered {answered} (redirects are not followed)"
        return f"answered {answered}"
