"""`python -m admint.scorer`: run the scorer worker."""

from admint.core.service import run
from admint.scorer.app import SERVICE

if __name__ == "__main__":
    run(SERVICE)
