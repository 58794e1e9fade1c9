"""`python -m admint.gateway`: serve the API with uvicorn on ADMINT_GATEWAY_HOST:ADMINT_GATEWAY_PORT (uvloop and
httptools: a thousand SSE watchers and hundreds of GETs a second are mostly event-loop and socket work)."""

import gc

import uvicorn

from admint.core.logging import setup_logging
from admint.gateway.app import create_app
from admint.gateway.config import GatewaySettings

GC_THRESHOLDS = (700, 10, 100)
"""CPython's defaults but the third: a full collection after 100 middle ones, not 10."""


def quiet_collector() -> None:
    """Keep the cyclic collector's full passes off the SSE feed. With a thousand open streams the heap holds a few
    hundred thousand long-lived objects (each connection's tasks, frames, protocol), and while they pile up (a
    burst of connects) CPython ran a full collection every couple of seconds, each a pause of 100–250 ms that
    every watcher's next event waited out. The modules, routes and schemas loaded at start-up live as long as the
    process: frozen, no collection scans them again; and a full pass runs after 100 young-generation passes
    instead of 10. Young cycles are still collected as usual."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def main() -> None:
    settings = GatewaySettings()
    setup_logging(settings.service_name, settings.log_level, settings.log_format)
    app = create_app(settings)
    quiet_collector()
    uvicorn.run(
        app, host=settings.gateway_host, port=settings.gateway_port, log_config=None,
        loop="uvloop", http="httptools",  # libuv's loop and the C HTTP parser: SSE fan-out and GETs at load
        access_log=False, proxy_headers=True, timeout_graceful_shutdown=5,
        limit_concurrency=settings.max_connections, timeout_keep_alive=5,
    )


if __name__ == "__main__":
    main()
