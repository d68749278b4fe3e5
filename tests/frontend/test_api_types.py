"""The frontend's hand-written API types (app/frontend/src/api/types.ts) agree with webui's OpenAPI.

webui's OpenAPI schema is built in-process (no server, no model, no torch) and every exported
interface of types.ts is compared with its schema component: the same property names, and `?`
exactly where the schema does not list the property as required. Types (number vs string...) are
not compared; names and presence are what break a client silently.

types.ts is parsed with a deliberately small regex parser: it understands the style the file is
written in, `export interface Name { field: Type; other?: Type; }`, one property per line,
`/** ... */` and `//` comments, and inline object-literal types nested in braces (their inner
properties are skipped, not compared). Anything else in an interface body fails the parse loudly
rather than being misread.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from semantik.shared.settings import Settings
from semantik.webui.app import create_app

TYPES_TS = Path(__file__).resolve().parents[2] / "app" / "frontend" / "src" / "api" / "types.ts"

# types.ts interface -> webui schema component (app/semantik/webui/schemas.py). Every exported
# interface must be listed here, so a new one cannot slip in unchecked.
INTERFACE_TO_SCHEMA = {
    "User": "UserOut",
    "TokenPair": "TokenPair",
    "UserCreate": "UserCreate",
    "UserUpdate": "UserUpdate",
    "Job": "JobOut",
    "FileState": "FileOut",
    "Collection": "CollectionOut",
    "CollectionCreate": "CollectionCreateIn",
    "SearchRequest": "SearchIn",
    "Passage": "PassageOut",
    "DocumentResult": "DocumentResultOut",
    "Preview": "PreviewOut",
    "SearchHit": "SearchHitOut",
    "SearchResponse": "SearchOut",
    "Sources": "SourcesOut",
    "About": "AboutOut",
}

_INTERFACE = re.compile(r"^export interface (\w+)\s*\{\s*$")
_PROPERTY = re.compile(r"^(\w+)(\??):\s*(.+?);?$")


def parse_interfaces(text: str) -> dict[str, dict[str, bool]]:
    """{interface: {property: optional}} for every `export interface` in a types.ts text."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)
    interfaces: dict[str, dict[str, bool]] = {}
    current: dict[str, bool] | None = None
    name = ""
    depth = 0  # brace depth inside the current interface's body
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("//", 1)[0].strip()
        if not line:
            continue
        if current is None:
            match = _INTERFACE.match(line)
            if match:
                name, current, depth = match.group(1), {}, 1
                interfaces[name] = current
            continue
        if depth == 1 and line == "}":
            current = None
            continue
        if depth == 1:
            match = _PROPERTY.match(line)
            if not match:
                raise ValueError(f"types.ts:{number}: cannot parse {raw.strip()!r} in {name}")
            current[match.group(1)] = match.group(2) == "?"
        # Inline object types `{ ... }` open and close nested levels; their members are skipped.
        depth += line.count("{") - line.count("}")
        if depth < 1:
            raise ValueError(f"types.ts:{number}: unbalanced braces in {name}")
    if current is not None:
        raise ValueError(f"types.ts: interface {name} is not closed")
    return interfaces


@pytest.fixture(scope="module")
def openapi(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("api-types")
    (root / "documents").mkdir()
    settings = Settings(
        _env_file=None,
        data_dir=root / "data",
        documents_root=root / "documents",
        backup_dir=root / "backups",
        jwt_secret="test-jwt-secret-0123456789abcdef0123456789",
    )
    return create_app(settings).openapi()


def test_parser_reads_optional_and_nested_properties() -> None:
    parsed = parse_interfaces(
        "/** doc */\nexport interface A {\n  a: number;\n  /** b */\n  b?: string | null;\n"
        "  c: { x: number; y?: string };\n  d: {\n    inner: number;\n  };\n}\n"
        "export type T = 'x';\n"
    )
    assert parsed == {"A": {"a": False, "b": True, "c": False, "d": False}}
    with pytest.raises(ValueError, match="cannot parse"):
        parse_interfaces("export interface B {\n  [key: string]: number;\n}\n")


def test_every_interface_is_mapped_to_a_schema(openapi: dict) -> None:
    interfaces = set(parse_interfaces(TYPES_TS.read_text()))
    unmapped = sorted(interfaces - set(INTERFACE_TO_SCHEMA))
    assert not unmapped, (
        f"types.ts exports {unmapped} that tests/frontend/test_api_types.py does not check: add "
        "each to INTERFACE_TO_SCHEMA with the webui schema component it mirrors."
    )
    gone = sorted(set(INTERFACE_TO_SCHEMA) - interfaces)
    assert not gone, f"INTERFACE_TO_SCHEMA names interfaces types.ts no longer has: {gone}"
    schemas = openapi["components"]["schemas"]
    missing = sorted(s for s in INTERFACE_TO_SCHEMA.values() if s not in schemas)
    assert not missing, f"webui's OpenAPI has no component {missing} (renamed in schemas.py?)"


@pytest.mark.parametrize("interface", sorted(INTERFACE_TO_SCHEMA))
def test_interface_matches_the_openapi_schema(interface: str, openapi: dict) -> None:
    ts = parse_interfaces(TYPES_TS.read_text()).get(interface)
    assert ts is not None, f"types.ts has no interface {interface}"
    component = INTERFACE_TO_SCHEMA[interface]
    schema = openapi["components"]["schemas"][component]
    api = set(schema.get("properties", {}))
    required = set(schema.get("required", []))
    problems = [
        f"{interface}.{field}: in types.ts, not in the API schema {component}"
        for field in sorted(set(ts) - api)
    ] + [
        f"{interface}.{field}: in the API schema {component}, missing from types.ts"
        for field in sorted(api - set(ts))
    ] + [
        f"{interface}.{field}: "
        + ("required by the API, drop the `?`" if field in required else "optional, needs `?`")
        for field in sorted(api & set(ts))
        if ts[field] == (field in required)
    ]
    assert not problems, (
        "app/frontend/src/api/types.ts disagrees with webui's OpenAPI schema "
        "(app/semantik/webui/schemas.py):\n  " + "\n  ".join(problems)
        + "\nFix types.ts to mirror schemas.py (then `make frontend` and commit the build), "
        "or fix schemas.py if the API is what is wrong."
    )
