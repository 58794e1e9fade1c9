"""Regenerate the golden samples (run once per intended contract change): python -m tests.contract.write_samples"""

import json
from pathlib import Path

from tests.support.builders import every_event

SAMPLES = Path(__file__).with_name("samples")

if __name__ == "__main__":
    SAMPLES.mkdir(exist_ok=True)
    for event in every_event():
        path = SAMPLES / f"{event.type}.json"
        path.write_text(json.dumps(event.model_dump(mode="json"), indent=2, sort_keys=True) + "\n")
        print(path)
