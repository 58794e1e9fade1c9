"""`python -m admint.gateway`: serve the API with uvicorn on ADMINT_GATEWAY_HOST:ADMINT_GATEWAY_PORT."""

import uvicorn

from admint.core.logging import setup_logging
from admint.gateway.app import create_app
from admint.gateway.config import GatewaySettings


def main() -> None:
    settings = GatewaySettings()
    setup_logging(settings.service_name, settings.log_level, settings.log_format)
    uvicorn.run(
        create_app(settings), host=settings.gateway_host, port=settings.gateway_port, log_config=None,
        access_log=False, proxy_headers=True, timeout_graceful_shutdown=5,
        limit_concurrency=settings.max_connections, timeout_keep_alive=5,
    )


if __name__ == "__main__":
    main()
