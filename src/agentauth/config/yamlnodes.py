"""Reading ``agentauth.yaml`` as YAML nodes, so every value keeps the line it was written on.

Why nodes rather than ``yaml.safe_load``: a policy is reviewed like code, and every
message about it names the line to fix (``agentauth.yaml:12: ...``); only composed
nodes still know their line. Shared by :mod:`agentauth.config.policy` (the shape
every entry has) and :mod:`agentauth.config.brokerpolicy` (allow-rule lines), which
would otherwise import each other.
"""

from __future__ import annotations

from typing import Any

from agentauth.errors import ConfigError, where


def node_value(node: Any) -> Any:
    """Turn a composed YAML node into plain Python values (safe constructor)."""
    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    loader = _Loader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def compose(text: str, path: str) -> Any:
    """Compose ``text`` into a node tree; a syntax error is a ConfigError at its line."""
    import yaml

    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else 0
        problem = exc.problem or "invalid YAML"
        raise ConfigError(f"{where(path, line)}{problem}; fix the YAML syntax") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML ({exc}); fix the YAML syntax") from None


def mapping_items(node: Any, what: str, path: str) -> list[tuple[str, int, Any]]:
    """Return (key, 1-based line, value node) of a YAML mapping node, refusing duplicates."""
    import yaml

    if not isinstance(node, yaml.MappingNode):
        line = node.start_mark.line + 1 if node is not None else 0
        raise ConfigError(f"{where(path, line)}{what} must be a mapping of keys to values")
    seen: dict[str, int] = {}
    items = []
    for key_node, value_node in node.value:
        key = node_value(key_node)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            raise ConfigError(f"{where(path, line)}{what}: key {key!r} must be a string")
        if key in seen:
            raise ConfigError(
                f"{where(path, line)}{what}: {key} is defined twice (first on line {seen[key]}); "
                "keep one"
            )
        seen[key] = line
        items.append((key, line, value_node))
    return items
