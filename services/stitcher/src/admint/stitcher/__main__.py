"""`python -m admint.stitcher`: run the stitcher worker."""

from admint.core.service import run
from admint.stitcher.app import SERVICE

if __name__ == "__main__":
    run(SERVICE)
