"""Prometheus metrics (`GET /metrics`): one registry per App, never the process-wide default, so two servers in one
process (as in the tests) never share a counter.

What is counted, and who counts it:
- HTTP requests by method, route and status, and their latency: the middleware in adapters/web.py;
- Slack requests by kind (`command`, `event:<type>`, `block_actions`, `view_submission`, …) and the time to ack
  them: the Slack mount's request handler;
- Slack Web API calls, errors and retries by method: `ApiCallObserver`, the first retry handler of every Web API
  client (slack_sdk asks its retry handlers about every response and error, so it sees them all);
- job runs by job and outcome, and how long they took: `Metrics.job_run`, for whatever runs the scheduled jobs;
- queue depth (work accepted but not finished): the Slack mount's lazy work, as a gauge read at scrape time;
- domain gauges per workspace (open swarms, articles by state): read from the database at scrape time.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.browse import Browse
from bot.models import ArticleState

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST
# Slack wants an ack within 3 s; the buckets are fine below that, where a healthy server lives.
ACK_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
HTTP_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
JOB_BUCKETS = (0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        self.http_requests = Counter(
            "swarm_http_requests",
            "HTTP requests served, by method, route and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.http_seconds = Histogram(
            "swarm_http_request_duration_seconds",
            "Time to answer an HTTP request, by route.",
            ["route"],
            buckets=HTTP_BUCKETS,
            registry=registry,
        )
        self.slack_requests = Counter(
            "swarm_slack_requests",
            "Signed Slack requests dispatched, by kind (command, event:<type>, block_actions, view_submission, …) "
            "and HTTP status.",
            ["kind", "status"],
            registry=registry,
        )
        self.slack_ack_seconds = Histogram(
            "swarm_slack_ack_seconds",
            "Time from a Slack request's arrival to its ack, by kind.",
            ["kind"],
            buckets=ACK_BUCKETS,
            registry=registry,
        )
        self.api_calls = Counter(
            "swarm_slack_api_calls",
            "Slack Web API requests sent, by method (each retry counts).",
            ["method"],
            registry=registry,
        )
        self.api_errors = Counter(
            "swarm_slack_api_errors",
            "Slack Web API requests that failed, by method and error (Slack's error code, an HTTP status, or the "
            "exception for a connection that failed).",
            ["method", "error"],
            registry=registry,
        )
        self.api_retries = Counter(
            "swarm_slack_api_retries",
            "Slack Web API requests that were retries of an earlier one, by method.",
            ["method"],
            registry=registry,
        )
        self.job_runs = Counter(
            "swarm_job_runs",
            "Scheduled job runs, by job and outcome (ok, failed).",
            ["job", "outcome"],
            registry=registry,
        )
        self.job_seconds = Histogram(
            "swarm_job_duration_seconds",
            "How long a scheduled job ran, by job.",
            ["job"],
            buckets=JOB_BUCKETS,
            registry=registry,
        )
        self.queue_depth = Gauge(
            "swarm_queue_depth",
            "Work accepted and not finished yet, by queue (slack: events and commands acked, still being handled).",
            ["queue"],
            registry=registry,
        )
        self.inbox_deliveries = Gauge(
            "swarm_inbox_deliveries",
            "Deliveries acknowledged to a platform and not worked on yet, by platform, all replicas together (the"
            " database's inbox; read at each scrape).",
            ["platform"],
            registry=registry,
        )
        self._inboxes: dict[str, Callable[[], Awaitable[int]]] = {}
        self.open_swarms = Gauge(
            "swarm_open_swarms",
            "Swarms opening or open, by workspace.",
            ["workspace"],
            registry=registry,
        )
        self.articles = Gauge(
            "swarm_articles",
            "Knowledge articles, by workspace and state.",
            ["workspace", "state"],
            registry=registry,
        )
        self.database_up = Gauge(
            "swarm_database_up",
            "1 when the last scrape could read the domain gauges from the database, else 0.",
            registry=registry,
        )

    # -- what the parts of the server report ----------------------------------------------------------------------

    def http_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.http_requests.labels(method, route, str(status)).inc()
        self.http_seconds.labels(route).observe(seconds)

    def slack_request(self, kind: str, status: int, seconds: float) -> None:
        self.slack_requests.labels(kind, str(status)).inc()
        self.slack_ack_seconds.labels(kind).observe(seconds)

    def api_call(self, method: str, retry: bool, error: str | None) -> None:
        self.api_calls.labels(method).inc()
        if retry:
            self.api_retries.labels(method).inc()
        if error is not None:
            self.api_errors.labels(method, error).inc()

    def job_run(self, name: str, ok: bool, seconds: float | None = None) -> None:
        """One run of a scheduled job (`digest`, `nudges`, …) finished: call it from whatever runs the jobs."""
        self.job_runs.labels(name, "ok" if ok else "failed").inc()
        if seconds is not None:
            self.job_seconds.labels(name).observe(seconds)

    def queue(self, name: str, depth: Callable[[], float]) -> None:
        """A queue whose depth is read at each scrape."""
        self.queue_depth.labels(name).set_function(depth)

    def inbox(self, platform: str, waiting: Callable[[], Awaitable[int]]) -> None:
        """A platform's inbox, whose size is read from the database at each scrape."""
        self._inboxes[platform] = waiting

    # -- the scrape -----------------------------------------------------------------------------------------------

    async def refresh(self, browse: Browse) -> None:
        """Reads the domain gauges from the database; a database that does not answer leaves them out."""
        try:
            figures = await browse.figures()
            for platform, waiting in self._inboxes.items():
                self.inbox_deliveries.labels(platform).set(await waiting())
        except Exception:
            log.exception("metrics: the database does not answer")
            self.database_up.set(0)
            self.open_swarms.clear()
            self.articles.clear()
            return
        self.database_up.set(1)
        self.open_swarms.clear()
        self.articles.clear()
        for found in figures:
            self.open_swarms.labels(found.workspace).set(found.open_swarms)
            for state in ArticleState:
                self.articles.labels(found.workspace, state.value).set(found.articles.get(state, 0))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class ApiCallObserver(AsyncRetryHandler):
    """Not a retry policy: put first among a Web API client's retry handlers, it is asked about every response and
    every failed connection, counts it, and never asks for a retry itself."""

    def __init__(self, metrics: Metrics) -> None:
        super().__init__(max_retry_count=0)
        self.metrics = metrics

    def __deepcopy__(self, memo: dict[int, Any]) -> ApiCallObserver:
        # Bolt deep-copies each request for its lazy listeners, client and retry handlers included: the copies must
        # count into the same registry (which holds locks, and cannot be copied anyway).
        return self

    async def can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        method = request.url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] or "unknown"
        self.metrics.api_call(method, state.current_attempt > 0, _failure(response, error))
        return False


def _failure(response: HttpResponse | None, error: Exception | None) -> str | None:
    if error is not None:
        return type(error).__name__
    if response is None:
        return None
    body: Any = response.body
    if isinstance(body, dict) and body.get("ok") is False:
        return str(body.get("error") or response.status_code)
    if response.status_code >= 400:
        return str(response.status_code)
    return None
