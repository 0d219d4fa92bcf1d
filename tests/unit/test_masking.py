"""One masking function for every printed line: keys in all their forms, URL passwords and
secret parameters, through the command line's own output (usage errors included)."""

from __future__ import annotations

import base64

import pytest

from woowup_contract.cli import main
from woowup_contract.masking import Masker, mask_generic, secrets_in_argv

KEY = "SECRET-ABC-123"


@pytest.mark.parametrize("form", [
    KEY, "".join(f"%{b:02X}" for b in KEY.encode()), "".join(f"%{b:02x}" for b in KEY.encode()),
    base64.b64encode(KEY.encode()).decode(), base64.b64encode(f"Bearer {KEY}".encode()).decode(),
    base64.b64encode(f"Basic {KEY}".encode()).decode().rstrip("="),
])
def test_every_form_of_the_key_is_hidden(form: str) -> None:
    masked = Masker(KEY)(f"the server said: {form}!")
    assert masked == "the server said: ***!"


@pytest.mark.parametrize("text, expected", [
    ("https://user:hunter2@api.example/x", "https://user:***@api.example/x"),
    ("GET /v1/logs?api_key=abc&page=1", "GET /v1/logs?api_key=***&page=1"),
    ("GET /v1/logs?k%65y=abc&limit=2", "GET /v1/logs?k%65y=***&limit=2"),
    ("/v1/logs;token=abc;x=1", "/v1/logs;token=***;x=1"),
    ("?Authorization=Bearer%20x&access_token=y", "?Authorization=***&access_token=***"),
    ("?page=1&limit=25&entity=customers", "?page=1&limit=25&entity=customers"),
])
def test_secrets_in_urls_are_hidden_without_knowing_the_key(text: str, expected: str) -> None:
    assert mask_generic(text) == expected


def test_secrets_are_found_in_argv_and_the_environment() -> None:
    assert secrets_in_argv(["check", "--api-key", "a1", "--admin-token=b2"], {"WOOWUP_API_KEY": "c3"}) \
        == ["a1", "b2", "c3"]


@pytest.mark.parametrize("argv", [
    ["check", "--api-key", KEY, "--base-url", f"ftp://{KEY}@x"],
    ["check", f"--api-key={KEY}", "--base-url", f"ftp://user:{KEY}@x"],
    ["check", "--api-key", KEY, "--timeout", KEY],                 # argparse's own usage error
    ["check", "--api-key", KEY, "--rate-limit", base64.b64encode(f"Bearer {KEY}".encode()).decode()],
    ["mock", "--api-key", KEY, "--port", KEY],
])
def test_usage_errors_never_print_the_key(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    assert code == 2
    assert "error" in err and KEY not in out + err and "***" in err
    assert base64.b64encode(f"Bearer {KEY}".encode()).decode() not in out + err
