"""Schema validation: built-in kinds with kubernetes-validate (bundled OpenAPI schemas, strict mode),
custom kinds (KEDA, the Prometheus Operator) with the hand-written schemas in k8s/schemas/<group>."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import jsonschema
import kubernetes_validate
import kubernetes_validate.utils
from referencing import Registry, Resource

from .render import Doc, ref

if hasattr(kubernetes_validate.utils, "schema_contents"):
    # kubernetes-validate re-reads its 1.4 MB definitions file for every object; read each file once
    kubernetes_validate.utils.schema_contents = lru_cache(maxsize=64)(
        kubernetes_validate.utils.schema_contents
    )

KEDA_GROUP = "keda.sh/"
CRD_GROUPS = ("keda.sh", "monitoring.coreos.com")
"""API groups validated against k8s/schemas/<group>/*.json (one file per kind, named <kind>-<version>.json)."""
DEFAULT_K8S_VERSIONS = ("1.29", "1.33")
"""Oldest Kubernetes we support, and a recent one: a field removed or added in between shows up."""


@lru_cache(maxsize=4)
def _keda_validators(schema_dir: str) -> dict[str, jsonschema.protocols.Validator]:
    folder = Path(schema_dir)
    resources = {}
    for path in folder.glob("*.json"):
        contents = json.loads(path.read_text())
        resources[contents["$id"]] = Resource.from_contents(contents)
    registry = Registry().with_resources(resources.items())
    validators = {}
    for path in folder.glob("*-v1*.json"):
        schema = json.loads(path.read_text())
        kind = schema["properties"]["kind"]["const"]
        validators[kind] = jsonschema.Draft202012Validator(schema, registry=registry)
    return validators


def _path(error: jsonschema.ValidationError) -> str:
    return "/".join(str(p) for p in error.absolute_path) or "(root)"


def validate_keda(doc: Doc, schema_dir: Path) -> list[str]:
    """A custom kind against its vendored schema (`schema_dir` is k8s/schemas/<its group>)."""
    validators = _keda_validators(str(schema_dir))
    validator = validators.get(doc["kind"])
    expected = validator.schema["properties"]["apiVersion"]["const"] if validator is not None else None
    if validator is None or doc["apiVersion"] != expected:
        return [f"{ref(doc)}: no vendored schema for {doc['apiVersion']} {doc['kind']} in {schema_dir}"]
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    return [f"{ref(doc)}: {_path(e)}: {e.message}" for e in errors]


def validate_builtin(doc: Doc, versions: tuple[str, ...]) -> list[str]:
    problems = []
    for version in versions:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            problems.append(
                f"{ref(doc)}: unknown kind {doc['apiVersion']} {doc['kind']} (Kubernetes {version})"
            )
        except kubernetes_validate.ValidationError as e:
            problems.append(f"{ref(doc)}: {_path(e)}: {e.message} (Kubernetes {version})")
    return problems


def validate_all(
    docs: list[Doc], schema_dir: Path, versions: tuple[str, ...] = DEFAULT_K8S_VERSIONS
) -> list[str]:
    problems: list[str] = []
    for doc in docs:
        group = str(doc["apiVersion"]).split("/", 1)[0]
        if group in CRD_GROUPS:  # schema_dir is k8s/schemas/keda.sh; its siblings hold the other groups
            problems += validate_keda(doc, schema_dir.parent / group)
        else:
            problems += validate_builtin(doc, versions)
    return problems
