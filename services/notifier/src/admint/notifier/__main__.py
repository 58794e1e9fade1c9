"""`python -m admint.notifier`: run the notifier (webhook deliveries and the retention sweep)."""

from admint.core.service import run
from admint.notifier.app import SERVICE

if __name__ == "__main__":
    run(SERVICE)
