"""`python -m admint.gateway`: serve the API with uvicorn on ADMINT_GATEWAY_HOST:ADMINT_GATEWAY_PORT (uvloop and
httptools: a thousand SSE watchers and hundreds of GETs a second are mostly event-loop and socket work)."""

import uvicorn

from admint.core.collector import quiet_collector
from admint.core.logging import setup_logging
from admint.gateway.app import create_app
from admint.gateway.config import GatewaySettings


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
