"""`python -m admint.stitcher`: run the stitcher worker."""

from admint.core.service import run_service
from admint.stitcher.app import build
from admint.stitcher.config import StitcherSettings


def main() -> None:
    run_service(StitcherSettings(), build)


if __name__ == "__main__":
    main()
