"""`python -m admint.chunker`: run the chunk generator worker."""

from admint.chunker.app import SERVICE
from admint.core.service import run

if __name__ == "__main__":
    run(SERVICE)
