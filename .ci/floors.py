"""Print a pip constraints file pinning every dependency of pyproject.toml to its floor.

    python .ci/floors.py > floors.txt
    python -m pip install -c floors.txt ".[test]" && python -m pytest -n auto

Every ``name>=X`` of the core dependencies and of every extra becomes ``name==X``, so
the CI floors job runs the suite at exactly the lowest versions pyproject.toml claims to
support: a floor that is a lie fails there. A dependency without a ``>=`` floor, or a
self-reference such as ``woowup-contract[check]``, is left alone.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: pyproject.toml is simple enough to read its arrays of strings by hand
    tomllib = None

ROOT = Path(__file__).resolve().parent.parent
FLOOR = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*>=\s*([^,;\s]+)")


def requirements(text: str) -> list[str]:
    """The core dependencies and every extra's, as written."""
    if tomllib is not None:
        project = tomllib.loads(text)["project"]
        reqs = list(project.get("dependencies", []))
        for extra in project.get("optional-dependencies", {}).values():
            reqs.extend(extra)
        return reqs
    return re.findall(r'^\s*"([^"]+)",?\s*(?:#.*)?$', text, flags=re.M)


def constraints(reqs: list[str], name: str) -> list[str]:
    out: dict[str, str] = {}
    for req in reqs:
        match = FLOOR.match(req)
        if match and match.group(1).lower() != name:
            out[match.group(1).lower()] = f"{match.group(1)}=={match.group(2)}"
    return sorted(out.values())


def main() -> int:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    name = re.search(r'^name\s*=\s*"([^"]+)"', text, flags=re.M)
    for line in constraints(requirements(text), name.group(1).lower() if name else ""):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
