"""`python -m admint.planner`: run the planner worker."""

from admint.core.service import run_service
from admint.planner.app import build
from admint.planner.config import PlannerSettings


def main() -> None:
    run_service(PlannerSettings(), build)


if __name__ == "__main__":
    main()
