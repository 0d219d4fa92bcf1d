"""YAML contract files → model, with a meta-check that names file and line.

Contracts are loaded with a safe loader only. The bundled contracts are found
next to the package (installed wheel) or at the top of a checkout; a user's
``--contracts-dir`` extends them, and a contract with the same id overrides.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import yaml

from .engine import CompiledSchema, Resources, SchemaCompileError, meta_schema_errors, refs_in
from .model import (
    Auth,
    Contract,
    Drift,
    Endpoint,
    Envelope,
    Example,
    ExpectedViolation,
    Hint,
    Parameter,
    Response,
    Schema,
    Source,
    StrictRule,
)
from .pointers import escape_key

_HERE = Path(__file__).resolve().parent
_META_SCHEMA_PATH = _HERE / "contract-format.schema.json"
_RULE_COMMON = {"id", "kind", "severity", "message", "provenance"}


def bundled_contracts_dir() -> Path:
    """``woowup_contract/contracts`` in a wheel, ``contracts/`` in a checkout."""
    for candidate in (_HERE / "contracts", _HERE.parent / "contracts"):
        if candidate.is_dir() and any(candidate.glob("*.yaml")):
            return candidate
    raise ContractError(str(_HERE / "contracts"), None, "the bundled contracts are missing from this installation")


class ContractError(Exception):
    """A contract file that cannot be used: file, line (when known) and what is wrong."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")


class UnknownContract(LookupError):
    def __init__(self, contract_id: str, known: Iterable[str]) -> None:
        self.contract_id = contract_id
        self.known = sorted(known)
        super().__init__(f"unknown contract {contract_id!r}; known: {', '.join(self.known)}")


# -- YAML with line numbers ------------------------------------------------------


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # safe loading only; C when available


# A contract is JSON data written in YAML: any other tag (!!python/..., !!set,
# !!timestamp, !!binary, the << merge key, custom tags) is refused, on any node.
_JSON_TAGS = frozenset("tag:yaml.org,2002:" + t for t in ("map", "seq", "str", "int", "float", "bool", "null"))
_MAX_NODES = 100_000  # aliases can expand exponentially ("billion laughs")
# Deeper than this, a contract is refused at the line where it goes too deep: every later
# step (the meta-check, the engine, the strategies) walks the document recursively.
MAX_DEPTH = 200
# ``$contract`` references expanded in one endpoint body, across files: a bound on what a chain
# of contracts embedding contracts can make the loader build.
MAX_EXPANSIONS = 1_000


def _to_python(loader: Any, node: yaml.Node, pointer: str, lines: dict[str, int], path: str,
               _active: frozenset[int] = frozenset(), _count: list[int] | None = None) -> Any:
    line = node.start_mark.line + 1
    lines[pointer] = line
    count = _count if _count is not None else [0]
    count[0] += 1
    _check_node(node, path, line, _active, count[0])
    active = _active | {id(node)}
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _mapping_key(loader, key_node, path, out)
            child = pointer + "/" + escape_key(key)
            lines[child + "#key"] = key_node.start_mark.line + 1  # where a report about the member itself points
            out[key] = _to_python(loader, value_node, child, lines, path, active, count)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(loader, v, f"{pointer}/{i}", lines, path, active, count) for i, v in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def _check_node(node: yaml.Node, path: str, line: int, active: frozenset[int], count: int) -> None:
    """JSON data only, bounded: a ContractError for a tag, a recursive alias, or too many or too deep values."""
    if count > _MAX_NODES:
        raise ContractError(path, line, f"more than {_MAX_NODES} values once YAML aliases are expanded")
    if node.tag not in _JSON_TAGS:
        raise ContractError(path, line, f"YAML tag {node.tag!r} is not allowed: a contract holds JSON data only "
                                        "(mappings, lists, strings, numbers, booleans, null); quote text values")
    if id(node) in active:
        raise ContractError(path, line, "a YAML alias refers to a value that contains it (recursive alias)")
    if len(active) >= MAX_DEPTH:
        raise ContractError(path, line, f"nested more than {MAX_DEPTH} levels deep")


def _mapping_key(loader: Any, key_node: yaml.Node, path: str, seen: Mapping[str, Any]) -> str:
    """A mapping key as text; a ContractError for a key that is not plain text, or a duplicate."""
    if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _JSON_TAGS:
        raise ContractError(path, key_node.start_mark.line + 1, f"a mapping key must be plain text, not {key_node.tag!r}")
    key = loader.construct_object(key_node, deep=True)
    if not isinstance(key, str):
        key = str(key)
    if key in seen:
        raise ContractError(path, key_node.start_mark.line + 1, f"duplicate key {key!r}")
    return key


def read_yaml(path: str, text: str) -> tuple[Any, dict[str, int]]:
    lines: dict[str, int] = {}
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ContractError(path, 1, "empty contract file")
        return _to_python(loader, node, "", lines, path), lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise ContractError(path, line, f"not valid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise ContractError(path, None, f"not valid YAML: {exc}") from None
    finally:
        loader.dispose()


def line_for(lines: Mapping[str, int], pointer: str) -> int | None:
    """The line of ``pointer`` in a contract file, or of its nearest located parent."""
    while True:
        if pointer in lines:
            return lines[pointer]
        if not pointer:
            return None
        pointer = pointer.rsplit("/", 1)[0]


_meta: CompiledSchema | None = None


def meta_schema() -> CompiledSchema:
    """The contract file format's own schema (contract-format.schema.json), compiled once."""
    global _meta
    if _meta is None:
        _meta = CompiledSchema(json.loads(_META_SCHEMA_PATH.read_text(encoding="utf-8")))
    return _meta


def meta_errors(data: Any, lines: Mapping[str, int], path: str) -> list[ContractError]:
    """The contract file against contract-format.schema.json, each error at its line (an unknown
    member at its own line)."""
    out = []
    for e in meta_schema().errors(data):
        pointer = e.pointer
        at = pointer + "/" + escape_key(e.names[0]) if len(e.names) == 1 else pointer
        out.append(ContractError(path, line_for(lines, at), f"{pointer or '/'}: {e.message}"))
    return out


# -- building the model ---------------------------------------------------------


def _build(data: Mapping[str, Any], lines: Mapping[str, int], path: str, bundled: bool) -> Contract:
    src = data["source"]
    schema = None
    if "schema" in data:
        s = data["schema"]
        schema = Schema(s["provenance"], s["dialect"], s["document"], s.get("note"))
    examples = tuple(
        Example(
            name=e["name"], provenance=e["provenance"], where=e["where"], raw=e["raw"], verdict=e["verdict"],
            violations=tuple(ExpectedViolation(v["pointer"], v["rule"], v.get("line"), v.get("column"))
                             for v in e.get("violations", ())),
            note=e.get("note"),
        )
        for e in data.get("examples", ())
    )
    drift = tuple(Drift(**d) for d in data.get("drift", ()))
    strict = tuple(
        StrictRule(
            id=r["id"], kind=r["kind"], severity=r["severity"], message=r["message"], provenance=r["provenance"],
            options={k: v for k, v in r.items() if k not in _RULE_COMMON},
            line=lines.get(f"/strict/{i}"),
        )
        for i, r in enumerate(data.get("strict", ()))
    )
    hints = tuple(
        Hint(say=h["say"], rule=h["when"].get("rule"), pointer=h["when"].get("pointer"),
             sibling=h["when"].get("sibling"), value_matches=h["when"].get("value"),
             value_type=h["when"].get("value_type"))
        for h in data.get("hints", ())
    )
    endpoint = None
    if "endpoint" in data:
        e = data["endpoint"]
        auth = None
        if "auth" in e:
            a = e["auth"]
            auth = Auth(tuple(a["schemes"]), a["header"], a["provenance"], a.get("note"))
        params = tuple(
            Parameter(
                name=p["name"], location=p["in"], type=p["type"], provenance=p["provenance"],
                description=p.get("description", ""), default=p.get("default"), minimum=p.get("minimum"),
                maximum=p.get("maximum"), enum=tuple(p["enum"]) if "enum" in p else None, format=p.get("format"),
                required=p.get("required", False),
            )
            for p in e["parameters"]
        )
        responses = []
        for r in e["responses"]:
            env = r.get("envelope")
            responses.append(Response(
                status=r["status"], description=r["description"], provenance=r["provenance"], body=r.get("body"),
                envelope=Envelope(env["provenance"], env["required"], env.get("key", "payload"), env.get("note"))
                if env else None,
                headers=r.get("headers", {}),
            ))
        req = e.get("request")
        endpoint = Endpoint(
            method=e["method"], host=e["host"], path=e["path"], auth=auth, parameters=params,
            request_body=req["body"] if req else None, responses=tuple(responses), provenance=e["provenance"],
            payload=e["payload"],
        )
    return Contract(
        id=data["id"], kind=data["kind"], title=data["title"], source=Source(src["doc"], src["section"], src["url"]),
        path=path, schema=schema, examples=examples, drift=drift, strict=strict, hints=hints, endpoint=endpoint,
        bundled=bundled,
    )


def _semantic_errors(data: Mapping[str, Any], lines: Mapping[str, int], path: str) -> list[ContractError]:
    """What the meta-schema cannot say: schemas compile, patterns compile, payload choice exists."""
    import re

    errors = _schema_errors(data["schema"]["document"], lines, path) if "schema" in data else []
    for i, h in enumerate(data.get("hints", ())):
        if "value" in h["when"]:
            try:
                re.compile(h["when"]["value"])
            except re.error as exc:
                errors.append(ContractError(path, line_for(lines, f"/hints/{i}/when/value"),
                                            f"hint value is not a valid regular expression: {exc}"))
    if "endpoint" in data:
        e = data["endpoint"]
        statuses = {r["status"] for r in e["responses"]}
        choice = e["payload"]
        if choice == "request" and "request" not in e:
            errors.append(ContractError(path, line_for(lines, "/endpoint/payload"),
                                        "payload is 'request' but the endpoint has no request body"))
        elif choice != "request" and choice not in statuses:
            errors.append(ContractError(path, line_for(lines, "/endpoint/payload"),
                                        f"payload names status {choice} but no response has it"))
    return errors


def _schema_errors(document: Any, lines: Mapping[str, int], path: str) -> list[ContractError]:
    """The contract's schema: valid draft-07, and compiled when it refers only to itself (references to
    other contracts are resolved once every directory is loaded, in load_registry)."""
    errors: list[ContractError] = []
    for e in meta_schema_errors(document):
        pointer = "/schema/document" + e.pointer
        if len(e.names) == 1:
            pointer += "/" + escape_key(e.names[0])
        errors.append(ContractError(path, line_for(lines, pointer),
                                    f"schema: {e.pointer or '/'}: not valid draft-07: {e.message}"))
    if not errors and all(ref.startswith("#") for _, ref in refs_in(document)):
        try:
            CompiledSchema(document)
        except SchemaCompileError as exc:
            errors.append(schema_error(path, lines, exc))
    return errors


def schema_error(path: str, lines: Mapping[str, int], exc: SchemaCompileError, at: str = "/schema/document"
                 ) -> ContractError:
    """A schema the engine refuses, at the line of what it points at (the ``$ref``, the keyword)."""
    return ContractError(path, line_for(lines, at + exc.pointer), f"schema: {exc.message}")


def load_file(path: str | os.PathLike[str], *, bundled: bool = False) -> Contract:
    """Load and meta-check one contract file; raise the first ContractError."""
    errors, contract = check_file(path, bundled=bundled)
    if errors:
        raise errors[0]
    assert contract is not None
    return contract


def check_file(path: str | os.PathLike[str], *, bundled: bool = False) -> tuple[list[ContractError], Contract | None]:
    """Every problem with one contract file (for ``lint``), and the contract if there were none."""
    spath = str(path)
    try:
        with open(spath, "rb") as handle:
            raw = handle.read()
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [ContractError(spath, raw[: exc.start].count(b"\n") + 1, "not UTF-8 text")], None
    except OSError as exc:
        return [ContractError(spath, None, f"cannot read: {exc.strerror or exc}")], None
    try:
        data, lines = read_yaml(spath, text)
    except ContractError as exc:
        return [exc], None
    if not isinstance(data, dict):
        return [ContractError(spath, 1, "a contract file must be a mapping")], None
    errors = meta_errors(data, lines, spath)
    if errors:
        return errors, None
    errors = _semantic_errors(data, lines, spath)
    if errors:
        return errors, None
    return [], _build(data, lines, spath, bundled)


# -- the registry -----------------------------------------------------------------


@dataclass
class Registry:
    """All known contracts by id; user directories override the bundled ones."""

    contracts: dict[str, Contract] = field(default_factory=dict)
    directories: list[str] = field(default_factory=list)
    _resources: Resources | None = field(default=None, repr=False)

    def resources(self) -> Resources:
        """Every payload contract's schema with an ``$id``: what a ``$ref`` outside its document may name."""
        if self._resources is None:
            self._resources = Resources(
                (c.schema.document["$id"].split("#", 1)[0], c.schema.document) for c in self
                if c.schema is not None and isinstance(c.schema.document, dict)
                and isinstance(c.schema.document.get("$id"), str))
        return self._resources

    def compile(self, document: Any) -> CompiledSchema:
        """``document`` compiled by the engine, its references resolved among the loaded contracts."""
        return CompiledSchema(document, self.resources())

    def get(self, contract_id: str) -> Contract:
        try:
            return self.contracts[contract_id]
        except KeyError:
            raise UnknownContract(contract_id, self.contracts) from None

    def __iter__(self) -> Iterator[Contract]:
        return iter(sorted(self.contracts.values(), key=lambda c: c.id))

    def __contains__(self, contract_id: object) -> bool:
        return contract_id in self.contracts

    def describe(self) -> str:
        """What the run uses, for headers: bundled, or bundled + which directories."""
        extra = [d for d in self.directories[1:]]
        return "bundled" + "".join(f" + {d}" for d in extra)

    # -- schema resolution --------------------------------------------------------

    def resolve(self, body: Any, _seen: tuple[str, ...] = (), _count: list[int] | None = None) -> Any:
        """Replace ``{"$contract": ID}`` with that contract's schema document (at most
        MAX_EXPANSIONS of them in one body). A schema with ``$ref`` keeps its ``$id`` and
        ``definitions``, so its references keep their draft-07 scope inside the body."""
        count = _count if _count is not None else [0]
        if isinstance(body, dict):
            if "$contract" in body:
                ref = body["$contract"]
                if ref in _seen:
                    raise ContractError(self.get(ref).path, None, f"$contract cycle through {ref!r}")
                count[0] += 1
                if count[0] > MAX_EXPANSIONS:
                    raise ContractError(self.get(_seen[0] if _seen else ref).path, None,
                                        f"more than {MAX_EXPANSIONS} $contract expansions in one body")
                target = self.get(ref)
                if target.schema is None:
                    raise ContractError(target.path, None, f"$contract {ref!r} is not a payload contract")
                source = target.schema.document
                doc: Mapping[str, Any]
                if isinstance(source, dict) and any(True for _ in refs_in(source)):
                    doc = {k: v for k, v in source.items() if k != "$schema"}
                    doc.setdefault("$id", f"urn:woowup-contract:{ref}")
                else:
                    doc = {k: v for k, v in source.items() if k not in ("$schema", "$id", "definitions")} \
                        if isinstance(source, dict) else source
                return self.resolve(copy.deepcopy(doc), _seen + (ref,), count)
            return {k: self.resolve(v, _seen, count) for k, v in body.items()}
        if isinstance(body, list):
            return [self.resolve(v, _seen, count) for v in body]
        return body

    def embedded_contracts(self, body: Any, prefix: str = "") -> Iterator[tuple[str, Contract]]:
        """(instance pointer pattern, contract) for each ``$contract`` in a body schema."""
        if isinstance(body, dict):
            if "$contract" in body:
                yield prefix, self.get(body["$contract"])
                return
            for key in ("allOf", "anyOf", "oneOf"):
                for sub in body.get(key, ()):
                    yield from self.embedded_contracts(sub, prefix)
            if "items" in body and isinstance(body["items"], dict):
                yield from self.embedded_contracts(body["items"], prefix + "/*")
            for name, sub in (body.get("properties") or {}).items():
                yield from self.embedded_contracts(sub, prefix + "/" + name)


def contract_dirs(extra_dirs: Iterable[str | os.PathLike[str]] = ()) -> list[tuple[Path, bool]]:
    """(directory, bundled?): the bundled contracts first, then each extra directory in order;
    a ContractError for one that is not a directory."""
    dirs: list[tuple[Path, bool]] = [(bundled_contracts_dir(), True)]
    for d in extra_dirs:
        p = Path(d)
        if not p.is_dir():
            raise ContractError(str(d), None, "contracts directory not found")
        dirs.append((p, False))
    return dirs


def contract_files(directory: Path) -> list[Path]:
    """Every ``*.yaml``, then every ``*.yml``, in a contracts directory, each sorted by name.

    Whatever the entry is: a directory or a dangling link with such a name is reported by
    ``load_file`` ("cannot read"), not skipped, so ``validate`` and ``contracts lint`` see the
    same contracts, and a contract that is not there is never silently missing."""
    return sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))


def load_registry(extra_dirs: Iterable[str | os.PathLike[str]] = ()) -> Registry:
    """The bundled contracts plus each extra directory, in order (later wins).

    Raises ContractError for the first broken file (``lint`` uses check_file to see them all).
    """
    registry = Registry()
    for directory, is_bundled in contract_dirs(extra_dirs):
        registry.directories.append(str(directory))
        for file in contract_files(directory):
            contract = load_file(file, bundled=is_bundled)
            registry.contracts[contract.id] = contract
    for contract in registry:  # every $ref resolves, now that every directory's $ids are known
        _check_schema_refs(registry, contract)
    for contract in registry:
        _check_contract_refs(registry, contract)
    return registry


def _check_schema_refs(registry: Registry, contract: Contract) -> None:
    if contract.schema is not None and any(not ref.startswith("#") for _, ref in refs_in(contract.schema.document)):
        try:
            registry.compile(contract.schema.document)
        except SchemaCompileError as exc:
            data, lines = read_yaml(contract.path, Path(contract.path).read_text(encoding="utf-8"))
            raise schema_error(contract.path, lines, exc) from None


def _check_contract_refs(registry: Registry, contract: Contract) -> None:
    """Every ``$contract`` in an endpoint's bodies names a known payload contract."""
    if contract.endpoint is None:
        return
    for body in [contract.endpoint.request_body] + [r.body for r in contract.endpoint.responses]:
        try:
            for _ in registry.embedded_contracts(body):
                pass
            registry.resolve(body)
        except UnknownContract as exc:
            raise ContractError(contract.path, _ref_line(contract.path, exc.contract_id),
                                f"$contract {exc.contract_id!r} is not a known contract") from None


def _ref_line(path: str, ref: str) -> int | None:
    """The line of ``$contract: REF`` in a contract file (read again: only on this error path)."""
    data, lines = read_yaml(path, Path(path).read_text(encoding="utf-8"))
    found: list[int] = []
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        pointer, value = stack.pop()
        if isinstance(value, dict):
            if value.get("$contract") == ref and pointer + "/$contract" in lines:
                found.append(lines[pointer + "/$contract"])
            stack.extend((f"{pointer}/{k}", v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((f"{pointer}/{i}", v) for i, v in enumerate(value))
    return min(found, default=None)
