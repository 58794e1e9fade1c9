"""Counters scraped from every process's /metrics (before and after a run, the difference counts)."""

import re
from collections import Counter
from collections.abc import Iterable

import httpx

LINE = re.compile(r'^(?P<name>[a-z_]+)\{(?P<labels>[^}]*)\} (?P<value>[-+0-9.eE]+)$')


def scrape(urls: Iterable[str], names: tuple[str, ...]) -> Counter[tuple[str, str]]:
    """Sum of each (metric name, labels) over the processes at `urls`."""
    out: Counter[tuple[str, str]] = Counter()
    for url in urls:
        try:
            text = httpx.get(f"{url}/metrics", timeout=10).text
        except httpx.HTTPError:
            continue
        for line in text.splitlines():
            m = LINE.match(line)
            if m and m["name"] in names:
                out[(m["name"], m["labels"])] += float(m["value"])
    return out


def label(labels: str, key: str) -> str:
    found = re.search(rf'{key}="([^"]*)"', labels)
    return found.group(1) if found else ""


READS = {"find", "aggregate", "count", "distinct", "getMore"}
WRITES = {"insert", "update", "findAndModify", "delete"}


def doc_ops(delta: Counter[tuple[str, str]], collection: str = "generations") -> tuple[float, float]:
    """(reads, writes) of the `collection` collection in a delta of admint_mongo_commands_total."""
    reads = writes = 0.0
    for (name, labels), value in delta.items():
        if name != "admint_mongo_commands_total" or label(labels, "collection") != collection:
            continue
        command = label(labels, "command")
        reads += value if command in READS else 0.0
        writes += value if command in WRITES else 0.0
    return reads, writes


def handled(delta: Counter[tuple[str, str]]) -> float:
    """Deliveries the services handled (every outcome) in a delta of admint_events_consumed_total."""
    return sum(v for (name, _), v in delta.items() if name == "admint_events_consumed_total")
