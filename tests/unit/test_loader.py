"""The contract meta-check: a broken contract file is reported with its file, line and what is wrong.

Each case writes one broken file into a user ``--contracts-dir`` (tmp) and checks
both ``check_file`` (what ``contracts lint`` lists) and ``load_registry`` (what
every command loads).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from woowup_contract.checker import Checker
from woowup_contract.loader import ContractError, bundled_contracts_dir, check_file, load_registry

PAYLOAD = """\
format: woowup-contract/1
id: acme.order
kind: payload
title: An order
source: {doc: Acme, section: Orders, url: https://example.com/orders}
schema:
  provenance: assumption
  dialect: draft-07
  document:
    type: object
    required: [id]
    properties:
      id: {type: string, pattern: "^[0-9]+$"}
examples:
  - name: ok
    provenance: assumption
    where: here
    verdict: valid
    raw: '{"id": "42"}'
"""

ENDPOINT = """\
format: woowup-contract/1
id: acme.get-order
kind: endpoint
title: Get an order
source: {doc: Acme, section: Orders, url: https://example.com/orders}
endpoint:
  provenance: assumption
  method: GET
  host: https://api.example.com
  path: /orders/1
  parameters: []
  payload: "200"
  responses:
    - status: "200"
      provenance: assumption
      description: the order
      body: {$contract: acme.order}
"""


def write(directory: Path, name: str, text: str | bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing needle."""
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if needle in line]
    return hits[occurrence - 1]


def test_the_templates_are_good_contracts(tmp_path: Path) -> None:
    write(tmp_path, "order.yaml", PAYLOAD)
    write(tmp_path, "get-order.yaml", ENDPOINT)
    registry = load_registry([tmp_path])
    assert {"acme.order", "acme.get-order", "connectors.log-record"} <= set(registry.contracts)
    assert Checker(registry, "acme.get-order").check_document({"id": "7"}).valid


def test_every_bundled_contract_passes_the_meta_check() -> None:
    files = sorted(bundled_contracts_dir().glob("*.yaml"))
    assert {f.stem for f in files} >= {"connectors.log-record", "connectors.post-log", "connectors.list-logs",
                                       "apiv3.account-stats", "apiv3.error"}
    for file in files:
        errors, contract = check_file(file)
        assert errors == [] and contract is not None, errors
        assert contract.id == file.stem


# (case, file text, needle on the reported line, message part)
BROKEN = [
    ("invalid-yaml", PAYLOAD.replace("title: An order", "title: [An order"), "source:", "not valid YAML"),
    ("wrong-type", PAYLOAD.replace("title: An order", "title: 3"), "title: 3", '/title: 3 is not of type "string"'),
    ("unknown-rule-kind", PAYLOAD + textwrap.dedent("""\
        strict:
          - id: psychic
            kind: telepathy
            severity: warning
            message: knows
            provenance: assumption
        """), "kind: telepathy", '/strict/0/kind: "telepathy" is not one of'),
    ("missing-example-provenance", PAYLOAD.replace("    provenance: assumption\n    where: here\n", "    where: here\n"),
     "- name: ok", '/examples/0/provenance: "provenance" is a required property'),
    ("missing-schema-provenance", PAYLOAD.replace("  provenance: assumption\n  dialect", "  dialect"),
     "dialect: draft-07", '/schema/provenance: "provenance" is a required property'),
    ("unknown-provenance", PAYLOAD.replace("  provenance: assumption\n  dialect", "  provenance: hearsay\n  dialect"),
     "provenance: hearsay", '/schema/provenance: "hearsay" is not one of'),
    ("bad-hint-pattern", PAYLOAD + 'hints:\n  - when: {rule: pattern, value: "[unclosed"}\n    say: x\n',
     "[unclosed", "hint value is not a valid regular expression"),
    ("duplicate-key", PAYLOAD.replace("title: An order\n", "title: An order\ntitle: Another\n"),
     "title: Another", "duplicate key 'title'"),
    ("payload-names-a-missing-status", ENDPOINT.replace('payload: "200"', 'payload: "201"'),
     'payload: "201"', "payload names status 201 but no response has it"),
    ("request-payload-without-request", ENDPOINT.replace('payload: "200"', "payload: request"),
     "payload: request", "payload is 'request' but the endpoint has no request body"),
    ("python-object-tag", PAYLOAD.replace("title: An order", "title: !!python/object/apply:os.getcwd []"),
     "title:", "YAML tag 'tag:yaml.org,2002:python/object/apply:os.getcwd' is not allowed"),
    ("python-name-tag", PAYLOAD.replace("title: An order", "title: !!python/name:os.system"),
     "title:", "YAML tag 'tag:yaml.org,2002:python/name:os.system' is not allowed"),
    ("python-mapping-tag", PAYLOAD.replace("title: An order", "title: !!python/object:collections.Counter {a: 1}"),
     "title:", "YAML tag 'tag:yaml.org,2002:python/object:collections.Counter' is not allowed"),
    ("set-tag", PAYLOAD.replace("title: An order", "title: !!set {a, b}"), "title:",
     "YAML tag 'tag:yaml.org,2002:set' is not allowed"),
    ("custom-tag", PAYLOAD.replace("title: An order", "title: !order text"), "title:",
     "YAML tag '!order' is not allowed"),
    ("timestamp", PAYLOAD.replace("title: An order", "title: 2019-03-12"), "title:",
     "YAML tag 'tag:yaml.org,2002:timestamp' is not allowed"),
    ("binary", PAYLOAD.replace("title: An order", "title: !!binary aGVsbG8="), "title:",
     "YAML tag 'tag:yaml.org,2002:binary' is not allowed"),
    ("merge-key", PAYLOAD.replace("source: {doc: Acme", "base: &b {doc: Acme}\nsource: {<<: *b, doc: Acme"),
     "source:", "a mapping key must be plain text, not 'tag:yaml.org,2002:merge'"),
    ("recursive-alias", PAYLOAD + "note: &loop [1, *loop]\n", "note:", "recursive alias"),
    ("empty-file", "", None, "empty contract file"),
    ("not-a-mapping", "- a\n- b\n", "- a", "a contract file must be a mapping"),
    ("not-utf8", PAYLOAD.replace("An order", "Caf\udce9").encode("utf-8", "surrogateescape"), "title:",
     "not UTF-8 text"),
    ("schema-does-not-compile", PAYLOAD.replace("type: object", "type: objet"), "type: objet",
     'schema: /type: not valid draft-07: "objet" is not a draft-07 type'),
    ("schema-pattern-does-not-compile", PAYLOAD.replace('"^[0-9]+$"', '"^[0-9+$"'), '"^[0-9+$"',
     'schema: /properties/id/pattern: not valid draft-07: "^[0-9+$" is not a "regex"'),
    ("payload-with-an-endpoint", PAYLOAD + ENDPOINT[ENDPOINT.index("endpoint:"):], "format:", "/: "),
    ("unknown-member", PAYLOAD.replace("title: An order", "title: An order\ntitel: typo"), "titel: typo",
     "Additional properties are not allowed ('titel' was unexpected)"),
]


@pytest.mark.parametrize(("case", "text", "needle", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_contract_names_file_line_and_problem(tmp_path: Path, case: str, text: str | bytes,
                                                       needle: str | None, message: str) -> None:
    path = write(tmp_path / "contracts", f"{case}.yaml", text)
    errors, contract = check_file(path)
    assert contract is None
    assert errors, "no problem found"
    first = errors[0]
    assert first.path == str(path)
    assert message in first.message, [str(e) for e in errors]
    source = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    expected_line = line_of(source, needle) if needle is not None else 1
    assert first.line == expected_line, [str(e) for e in errors]
    assert str(first).startswith(f"{path}:{expected_line}: ")
    with pytest.raises(ContractError) as info:
        load_registry([tmp_path / "contracts"])
    assert (info.value.path, info.value.line) == (str(path), expected_line)


def test_a_python_tag_is_never_constructed(tmp_path: Path) -> None:
    target = tmp_path / "pwned"
    text = PAYLOAD.replace("title: An order", f'title: !!python/object/apply:os.mkdir ["{target}"]')
    errors, _ = check_file(write(tmp_path / "contracts", "evil.yaml", text))
    assert errors and "is not allowed" in errors[0].message
    assert not target.exists()


def test_alias_expansion_is_bounded(tmp_path: Path) -> None:
    """A 'billion laughs' file is refused instead of being expanded for ever."""
    lines = ['lol0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 9):
        lines.append(f"lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    errors, _ = check_file(write(tmp_path, "laughs.yaml", PAYLOAD + "\n".join(lines) + "\n"))
    assert len(errors) == 1 and "once YAML aliases are expanded" in errors[0].message


def test_plain_aliases_are_fine(tmp_path: Path) -> None:
    text = ENDPOINT.replace("      body: {$contract: acme.order}", "      body: &order {$contract: acme.order}") + \
        '    - status: "404"\n      provenance: assumption\n      description: none\n      body: *order\n'
    write(tmp_path, "order.yaml", PAYLOAD)
    write(tmp_path, "get-order.yaml", text)
    endpoint = load_registry([tmp_path]).get("acme.get-order").endpoint
    assert endpoint is not None and endpoint.responses[1].body == {"$contract": "acme.order"}


def test_lint_sees_every_problem_of_a_file(tmp_path: Path) -> None:
    text = PAYLOAD.replace("title: An order", "title: 3").replace("verdict: valid", "verdict: maybe")
    errors, _ = check_file(write(tmp_path, "two.yaml", text))
    assert sorted((e.line, e.message.split(":")[0]) for e in errors) == [
        (line_of(text, "title: 3"), "/title"), (line_of(text, "verdict: maybe"), "/examples/0/verdict")]


def test_contract_to_an_unknown_id_names_the_line(tmp_path: Path) -> None:
    text = ENDPOINT.replace("{$contract: acme.order}", "{$contract: acme.nothing}")
    path = write(tmp_path, "get-order.yaml", text)
    assert check_file(path)[0] == []  # only the registry knows which ids exist
    with pytest.raises(ContractError) as info:
        load_registry([tmp_path])
    assert (info.value.path, info.value.line) == (str(path), line_of(text, "$contract: acme.nothing"))
    assert info.value.message == "$contract 'acme.nothing' is not a known contract"


def test_a_missing_contracts_dir(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="contracts directory not found"):
        load_registry([tmp_path / "nowhere"])


# -- user directories extend and override ---------------------------------------------


def test_a_user_directory_extends_the_bundled_contracts(tmp_path: Path) -> None:
    write(tmp_path, "order.yaml", PAYLOAD)
    registry = load_registry([tmp_path])
    assert registry.get("acme.order").bundled is False
    assert registry.get("connectors.log-record").bundled is True
    assert registry.describe() == f"bundled + {tmp_path}"
    assert set(load_registry().contracts) | {"acme.order"} == set(registry.contracts)


def test_a_user_contract_overrides_a_bundled_id(tmp_path: Path) -> None:
    text = PAYLOAD.replace("id: acme.order", "id: connectors.log-record")
    path = write(tmp_path, "mine.yaml", text)
    registry = load_registry([tmp_path])
    contract = registry.get("connectors.log-record")
    assert (contract.path, contract.bundled) == (str(path), False)
    checker = Checker(registry)
    assert checker.check_document({"id": "42"}).valid
    assert [(v.pointer, v.rule) for v in checker.check_document({"files": []}).errors] == [("/id", "required")]


def test_endpoints_embed_the_overriding_contract(tmp_path: Path) -> None:
    """connectors.post-log says {$contract: connectors.log-record}: the override is what it embeds."""
    write(tmp_path, "mine.yaml", PAYLOAD.replace("id: acme.order", "id: connectors.log-record"))
    checker = Checker(load_registry([tmp_path]), "connectors.post-log")
    assert checker.check_document({"id": "42"}).valid


def test_later_directories_win(tmp_path: Path) -> None:
    write(tmp_path / "a", "order.yaml", PAYLOAD)
    write(tmp_path / "b", "order.yaml", PAYLOAD.replace("title: An order", "title: The order"))
    assert load_registry([tmp_path / "a", tmp_path / "b"]).get("acme.order").title == "The order"
    assert load_registry([tmp_path / "b", tmp_path / "a"]).get("acme.order").title == "An order"


def test_yml_files_are_contracts_too(tmp_path: Path) -> None:
    write(tmp_path, "order.yml", PAYLOAD)
    assert "acme.order" in load_registry([tmp_path])


def test_json_schema_documents_stay_json_data(tmp_path: Path) -> None:
    """What the loader builds can be dumped as JSON again (show --format json relies on it)."""
    write(tmp_path, "order.yaml", PAYLOAD)
    contract = load_registry([tmp_path]).get("acme.order")
    assert contract.schema is not None
    assert json.loads(json.dumps(contract.schema.document)) == contract.schema.document
