"""`python -m admint.planner`: run the planner worker."""

from admint.core.service import run
from admint.planner.app import SERVICE

if __name__ == "__main__":
    run(SERVICE)
