"""`rag serve --ray ADDRESS --replicas N`: the same FastAPI app (server/app.py), its replicas run by Ray Serve.

Ray Serve's FastAPI integration hosts `create_app(settings)` in each replica and runs its
lifespan, so every endpoint, auth, rate limit, `/metrics`, the page and Slack are the ones
`rag serve` has, with no second HTTP layer; each replica loads the models once at start-up
and refreshes its vector index when an ingest moves the store's generation, as a single
server does. Per-process state stays per replica: rate limits apply per replica, `/metrics`
shows the replica that answered the scrape, and conversations and the index live in the
data directory, which on several machines must be storage every node mounts.
"""

from __future__ import annotations

import signal
import threading
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from ray import serve

from rag.settings import Settings
from server.app import create_app

APP_NAME = "rag-news"


@dataclass(frozen=True)
class Scaling:
    """A fixed number of replicas, or Ray Serve autoscaling between min and max when either is set."""

    replicas: int = 1
    min_replicas: int | None = None
    max_replicas: int | None = None
    replica_cpus: float = 1.0

    def __post_init__(self) -> None:
        if self.replicas < 1:
            raise ValueError(f"--replicas must be at least 1, not {self.replicas}")
        if self.bounds and not 0 <= self.bounds[0] <= self.bounds[1] >= 1:
            raise ValueError(f"need 0 <= --min-replicas <= --max-replicas and --max-replicas >= 1, not {self.bounds}")
        if self.replica_cpus <= 0:
            raise ValueError(f"--replica-cpus must be above 0, not {self.replica_cpus}")

    @property
    def bounds(self) -> tuple[int, int] | None:
        """(min, max) when autoscaling; an unset bound defaults to 1 and to max(min, replicas)."""
        if self.min_replicas is None and self.max_replicas is None:
            return None
        low = self.min_replicas if self.min_replicas is not None else 1
        return low, self.max_replicas if self.max_replicas is not None else max(low, self.replicas)

    def deployment_options(self, settings: Settings) -> dict[str, Any]:
        options: dict[str, Any] = {"ray_actor_options": {"num_cpus": self.replica_cpus}}
        if self.bounds is None:
            return options | {"num_replicas": self.replicas}
        low, high = self.bounds
        return options | {
            "autoscaling_config": {
                "min_replicas": low,
                "initial_replicas": min(max(self.replicas, low), high),
                "max_replicas": high,
                # a replica runs model_concurrency model calls at once; more waiting means scale out
                "target_ongoing_requests": settings.model_concurrency,
            }
        }


@serve.deployment(name=APP_NAME)
@serve.ingress()
class RagNews:
    """One replica: holds the settings; Serve builds the app from them and runs its lifespan,
    which loads the models and the index (what makes the replica ready)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __serve_build_asgi_app__(self) -> FastAPI:
        return create_app(self.settings, warm_all_shapes_first=True)


def build(args: dict[str, Any]) -> serve.Application:
    """The application builder a Serve config file names (`import_path: server.ray_serve:build`,
    deploy/rayservice.yaml): settings from the RAG_* environment of the cluster's nodes, replicas
    and autoscaling from the config's deployment section. `rag serve --ray` needs no config file."""
    return RagNews.bind(Settings())  # type: ignore[attr-defined]  # @serve.deployment made it a Deployment


def deploy(settings: Settings, scaling: Scaling) -> str:
    """Start Serve's HTTP proxy on settings.host:port and run the app on the connected cluster
    (index/ray_cluster.connect); returns once every initial replica is ready, with the URL."""
    serve.start(
        http_options={
            "host": settings.host,
            "port": settings.port,
            # the app answers 503 after model_timeout_seconds; this bounds what the app cannot (a replica that hangs)
            "request_timeout_s": 2 * settings.model_timeout_seconds,
        }
    )
    deployment = RagNews.options(**scaling.deployment_options(settings))  # type: ignore[attr-defined]  # as in build()
    serve.run(deployment.bind(settings), name=APP_NAME, route_prefix="/")
    return f"http://{settings.host}:{settings.port}"


def wait_for_stop(shutdown_timeout: float = 60.0) -> None:
    """Block until SIGINT or SIGTERM (a process manager's stop), then take the app down.

    Bounded: a Ctrl-C in a terminal reaches the local cluster's own processes too, and Serve's
    shutdown then waits on a controller that is gone; leaving the cluster ends a local one anyway."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    shutdown = threading.Thread(target=serve.shutdown, daemon=True)
    shutdown.start()
    shutdown.join(shutdown_timeout)
