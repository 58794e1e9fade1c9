"""Breaking-change detection between a committed JSON Schema and the model's current one.

Compatibility rule (DESIGN.md §3): adding an optional field keeps the version; removing, retyping or newly
requiring a field needs a new vN+1 event type.
"""

from typing import Any

Schema = dict[str, Any]


def _resolve(node: Schema, root: Schema) -> Schema:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = root.get("$defs", {}).get(name, {})
    return node


def _type_signature(node: Schema, root: Schema) -> str:
    """A comparable description of a property's type (refs resolved one level, unions sorted)."""
    node = _resolve(node, root)
    if "anyOf" in node:
        return "|".join(sorted(_type_signature(n, root) for n in node["anyOf"]))
    if "const" in node:
        return f"const:{node['const']}"
    if "enum" in node:
        return "enum:" + ",".join(sorted(map(str, node["enum"])))
    kind = node.get("type", "object" if "properties" in node else "any")
    if kind == "array":
        return f"array<{_type_signature(node.get('items', {}), root)}>"
    if kind == "object" and "properties" in node:
        return "object{" + ",".join(sorted(node["properties"])) + "}"
    return str(kind)


def breaking_changes(
    old: Schema,
    new: Schema,
    *,
    path: str = "",
    old_root: Schema | None = None,
    new_root: Schema | None = None,
) -> list[str]:
    """Human-readable list of what would break a consumer of `old` reading data made against `new`."""
    old_root = old_root or old
    new_root = new_root or new
    old, new = _resolve(old, old_root), _resolve(new, new_root)
    problems: list[str] = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, old_prop in old_props.items():
        where = f"{path}.{name}" if path else name
        if name not in new_props:
            problems.append(f"{where}: removed")
            continue
        old_sig = _type_signature(old_prop, old_root)
        new_sig = _type_signature(new_props[name], new_root)
        old_res, new_res = _resolve(old_prop, old_root), _resolve(new_props[name], new_root)
        if "properties" in old_res and "properties" in new_res:
            problems += breaking_changes(old_res, new_res, path=where, old_root=old_root, new_root=new_root)
        elif old_sig != new_sig and not _widened(old_sig, new_sig):
            problems.append(f"{where}: type changed from {old_sig} to {new_sig}")
    newly_required = set(new.get("required", [])) - set(old.get("required", []))
    for name in sorted(newly_required):
        where = f"{path}.{name}" if path else name
        problems.append(f"{where}: newly required")
    return problems


def _widened(old_sig: str, new_sig: str) -> bool:
    """A union that still contains every old alternative (e.g. str → str|null) does not break readers of old data."""
    return set(old_sig.split("|")) <= set(new_sig.split("|")) and "object{" not in old_sig
