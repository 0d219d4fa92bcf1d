"""The one masking function for everything the tool prints: keys, URL passwords, secret parameters.

``Masker(*keys)`` hides each key in every form it travels in (raw, JSON-escaped,
percent-encoded whole or in part, base64 of the key and of ``Bearer KEY`` / ``Basic KEY``,
and the key inside any longer base64 text, such as ``user:KEY`` or a JSON document), then
the secrets any text may carry without our knowing the key: the password of URL userinfo
(``https://user:***@host``) and the values of query or matrix parameters whose name,
percent-decoded (twice over, too), looks like a secret (``?api_key=***``, ``;token=***``,
``?k%65y=***``, ``?api%5Fkey=***``).
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from typing import IO, Any, Callable, Iterable

MASK = "***"
SECRET_NAME = re.compile(r"key|token|secret|pass|pwd|auth|sig|session|credential|bearer|jwt", re.IGNORECASE)
# scheme://user:password@  (the password may hold anything but / @ and whitespace)
_USERINFO = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^/@\s:]*:)(?P<secret>[^/@\s]+)(?=@)")
# ;name=value in a path (value up to the next separator or the query), then ?name=value and
# &name=value (value up to the next separator, quote, space or backslash: masking JSON text
# never eats the backslash of an escaped quote)
_MATRIX = re.compile(r"(?P<head>;(?P<name>[A-Za-z0-9_.%\-]{1,64})=)(?P<value>[^&;#?/\s\"'<>\\]+)")
_PARAM = re.compile(r"(?P<head>[?&](?P<name>[A-Za-z0-9_.%\-]{1,64})=)(?P<value>[^&;#\s\"'<>\\]+)")


def _key_forms(key: str) -> set[str]:
    forms = {key, urllib.parse.quote(key, safe=""), urllib.parse.quote_plus(key, safe=""),
             json.dumps(key, ensure_ascii=True)[1:-1], json.dumps(key, ensure_ascii=False)[1:-1]}
    raw_bytes = key.encode("utf-8", "surrogatepass")
    forms |= {"".join(f"%{b:02X}" for b in raw_bytes), "".join(f"%{b:02x}" for b in raw_bytes)}
    for raw in (key, f"Bearer {key}", f"Basic {key}", f"bearer {key}", f":{key}"):
        data = raw.encode("utf-8", "surrogatepass")
        for encoded in (base64.b64encode(data), base64.urlsafe_b64encode(data)):
            text = encoded.decode("ascii")
            forms.update({text, text.rstrip("=")})
    forms |= _base64_cores(raw_bytes)
    return {f for f in forms if len(f) >= 4}  # a 1-3 character "key" would mask half of every line


def _base64_cores(raw: bytes) -> set[str]:
    """What base64 of any text holding ``raw`` must contain, whatever comes before it: at each of
    the three alignments, the characters that depend on the key's bytes alone."""
    cores: set[str] = set()
    for pad in range(3):
        data = b"\0" * pad + raw
        whole = len(data) // 3 * 4  # characters of complete 3-byte groups
        for encoded in (base64.b64encode(data), base64.urlsafe_b64encode(data)):
            core = encoded.decode("ascii")[4 if pad else 0:whole]
            if len(core) >= 8:  # shorter cores could turn up in unrelated base64
                cores.add(core)
    return cores


def _percent_pattern(key: str) -> re.Pattern[str] | None:
    """The key with any of its characters percent-encoded (``S%45CRET``), in either hex case."""
    if len(key) < 4:
        return None
    parts = []
    for char in key:
        escaped = "".join("%" + "".join(f"[{d}{d.lower()}]" if d.isalpha() else d for d in f"{b:02X}")
                          for b in char.encode("utf-8", "surrogatepass"))
        plain = re.escape(char) + ("|\\+" if char == " " else "")
        parts.append(f"(?:{plain}|{escaped})")
    return re.compile("".join(parts))


def secret_name(name: str) -> bool:
    """Whether a parameter or header name looks like a secret's, percent-decoded as often as it takes."""
    for _ in range(3):  # a name encoded twice over (k%2565y) is still a key's name
        decoded = urllib.parse.unquote(name)
        if decoded == name:
            break
        name = decoded
    return SECRET_NAME.search(name) is not None


def _param(match: re.Match[str]) -> str:
    return match.group("head") + MASK if secret_name(match.group("name")) else match.group(0)


def mask_generic(text: str) -> str:
    """URL passwords and secret-looking parameters hidden; nothing else changes."""
    if "://" in text:
        text = _USERINFO.sub(lambda m: m.group("head") + MASK, text)
    if "=" in text:
        if ";" in text:
            text = _MATRIX.sub(_param, text)
        text = _PARAM.sub(_param, text)
    return text


class Masker:
    """Hides the given keys in all their forms, then URL passwords and secret parameters."""

    def __init__(self, *keys: str | None) -> None:
        forms: set[str] = set()
        for key in keys:
            if key:
                forms |= _key_forms(key)
        # longest first, so a form containing another is replaced whole
        self.forms = sorted(forms, key=len, reverse=True)
        patterns = [p for p in (_percent_pattern(k) for k in keys if k) if p is not None]
        self._encoded = re.compile("|".join(p.pattern for p in patterns)) if patterns else None

    def __call__(self, text: str) -> str:
        for form in self.forms:
            if form in text:
                text = text.replace(form, MASK)
        if self._encoded is not None and "%" in text:
            text = self._encoded.sub(MASK, text)
        return mask_generic(text)


class MaskedStream:
    """A text stream that masks every write: the last line of defence for the key."""

    def __init__(self, stream: IO[str], mask: Callable[[str], str]) -> None:
        """``mask``: a ``Masker``, or anything that masks text the same way (the proxy's learning one)."""
        self.stream = stream
        self.mask = mask

    def write(self, text: str) -> int:
        self.stream.write(self.mask(text))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return bool(getattr(self.stream, "isatty", lambda: False)())

    def __getattr__(self, name: str) -> Any:  # encoding, fileno, ...: whatever else a writer asks for
        return getattr(self.stream, name)


_SECRET_OPTIONS = ("--api-key", "--admin-token", "--woowup-api-key")
_SECRET_ENV = ("WOOWUP_API_KEY", "WOOWUP_MOCK_ADMIN_TOKEN")


def secrets_in_argv(argv: Iterable[str], environ: Any = None) -> list[str]:
    """The secrets a command line carries (``--api-key K``, ``--api-key=K``) and the environment's."""
    found: list[str] = []
    args = list(argv)
    for i, arg in enumerate(args):
        for option in _SECRET_OPTIONS:
            if arg == option and i + 1 < len(args):
                found.append(args[i + 1])
            elif arg.startswith(option + "="):
                found.append(arg[len(option) + 1:])
    if environ is not None:
        found += [environ[name] for name in _SECRET_ENV if environ.get(name)]
    return found
