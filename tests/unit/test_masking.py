"""One masking function for every printed line: keys in all their forms, URL passwords and
secret parameters, through the command line's own output (usage errors included)."""

from __future__ import annotations

import base64
import json
import re

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


@pytest.mark.parametrize("form", [
    "S%45CRET-ABC-123", "SECRET%2DABC%2D123", "SECRET%2dABC-123", "%53ECRET-ABC-12%33",  # encoded in part
    "SECRET-ABC-123".replace("-", "%2D").replace("S", "%53"),
])
def test_the_key_percent_encoded_in_part_is_hidden(form: str) -> None:
    assert Masker(KEY)(f"GET /v1/logs?note={form}&page=1") == "GET /v1/logs?note=***&page=1"


def _recoverable(text: str) -> bool:
    """Whether 6 or more bytes of KEY can be read back from any base64 run in ``text``."""
    for run in re.findall(r"[A-Za-z0-9+/_-]{8,}", text):
        for start in range(4):
            piece = run[start:][:(len(run) - start) // 4 * 4].replace("-", "+").replace("_", "/")
            decoded = base64.b64decode(piece)
            if any(KEY[i:i + 6].encode() in decoded for i in range(len(KEY) - 5)):
                return True
    return False


@pytest.mark.parametrize("plain", [
    f"Bearer {KEY}", f"Basic {KEY}", f"user:{KEY}", f"api:{KEY}:x", json.dumps({"token": KEY}),
    json.dumps({"headers": {"Authorization": f"Bearer {KEY}"}, "n": 1}),
])
@pytest.mark.parametrize("encode", [base64.b64encode, base64.urlsafe_b64encode])
def test_the_key_inside_any_base64_text_cannot_be_read_back(plain: str, encode: object) -> None:
    blob = encode(plain.encode()).decode()  # type: ignore[operator]
    assert _recoverable(blob)  # the check itself finds the key before masking
    masked = Masker(KEY)(f"echoed: {blob}")
    assert "***" in masked and not _recoverable(masked), masked


@pytest.mark.parametrize("text, expected", [
    ("https://user:hunter2@api.example/x", "https://user:***@api.example/x"),
    ("GET /v1/logs?api_key=abc&page=1", "GET /v1/logs?api_key=***&page=1"),
    ("GET /v1/logs?k%65y=abc&limit=2", "GET /v1/logs?k%65y=***&limit=2"),
    ("/v1/logs;token=abc;x=1", "/v1/logs;token=***;x=1"),
    ("?Authorization=Bearer%20x&access_token=y", "?Authorization=***&access_token=***"),
    ("?page=1&limit=25&entity=customers", "?page=1&limit=25&entity=customers"),
    # a key's name percent-encoded in part, in either hex case, or twice over
    ("?k%65y=abc", "?k%65y=***"), ("?api%5Fkey=abc", "?api%5Fkey=***"), ("?api%5fkey=abc", "?api%5fkey=***"),
    ("/x;to%6Ben=abc", "/x;to%6Ben=***"), ("?%4Bey=abc", "?%4Bey=***"), ("?%6b%65%79=abc", "?%6b%65%79=***"),
    ("?k%2565y=abc", "?k%2565y=***"), ("?access%5Ftoken=abc&page=0", "?access%5Ftoken=***&page=0"),
    # the names connectors and the services around them use
    ("?apikey=a&api-key=b&x-api-key=c", "?apikey=***&api-key=***&x-api-key=***"),
    ("?client_secret=a&password=b&pwd=c", "?client_secret=***&password=***&pwd=***"),
    ("?sig=a&signature=b&X-Amz-Signature=c", "?sig=***&signature=***&X-Amz-Signature=***"),
    ("?jwt=a&session_id=b&credentials=c&auth=d", "?jwt=***&session_id=***&credentials=***&auth=***"),
    ("/v1/logs;jsessionid=abc?entity=customers", "/v1/logs;jsessionid=***?entity=customers"),
    # userinfo passwords: empty user, percent-encoded, any scheme
    ("https://:hunter2@api.example/", "https://:***@api.example/"),
    ("https://u:p%40ss%3Aw0rd@api.example/", "https://u:***@api.example/"),
    ("postgres://app:hunter2@db:5432/x", "postgres://app:***@db:5432/x"),
])
def test_secrets_in_urls_are_hidden_without_knowing_the_key(text: str, expected: str) -> None:
    assert mask_generic(text) == expected


def test_masking_json_text_keeps_it_json() -> None:
    """A HAR or a JSON report is masked as text: a value ends before the backslash of an escape."""
    text = json.dumps({"message": 'no such endpoint: /v1/logs;token=abc?k%65y=def"', "url": "?api_key=xyz"})
    masked = json.loads(mask_generic(text))
    assert masked == {"message": 'no such endpoint: /v1/logs;token=***?k%65y=***"', "url": "?api_key=***"}


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
