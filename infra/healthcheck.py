"""Container HEALTHCHECK: exit 0 when the process answers GET /healthz, 1 otherwise (standard library only).

Workers serve it on ADMINT_HEALTH_PORT (8081 in the image); the gateway on its API port (ADMINT_GATEWAY_PORT,
default 8000). ADMINT_HEALTHCHECK_URL overrides both.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping


def healthcheck_url(env: Mapping[str, str]) -> str:
    if env.get("ADMINT_HEALTHCHECK_URL"):
        return env["ADMINT_HEALTHCHECK_URL"]
    if env.get("ADMINT_IMAGE_SERVICE") == "gateway":
        port = env.get("ADMINT_GATEWAY_PORT") or "8000"
    else:
        port = env.get("ADMINT_HEALTH_PORT") or "8081"
    return f"http://127.0.0.1:{port}/healthz"


def check(url: str, timeout_s: float = 4.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def main() -> int:
    url = healthcheck_url(os.environ)
    ok = check(url)
    if not ok:
        print(f"unhealthy: {url}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
