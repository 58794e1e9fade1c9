"""`python -m admint.storyboard`: run the storyboard worker."""

from admint.core.service import run
from admint.storyboard.app import SERVICE

if __name__ == "__main__":
    run(SERVICE)
