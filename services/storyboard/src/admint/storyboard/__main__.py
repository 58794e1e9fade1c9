"""`python -m admint.storyboard`: run the storyboard worker."""

from admint.core.service import run_service
from admint.storyboard.app import build
from admint.storyboard.config import StoryboardSettings


def main() -> None:
    run_service(StoryboardSettings(), build)


if __name__ == "__main__":
    main()
