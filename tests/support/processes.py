"""Real OS processes for e2e, fault and SIGTERM tests (the same runner `make demo` uses)."""

from admint.runtime.devstack import DevStack, ServiceProcess

__all__ = ["DevStack", "ServiceProcess"]
