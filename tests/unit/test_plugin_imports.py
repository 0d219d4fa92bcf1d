"""The plugin is imported by every pytest run of every project that installs the package:
importing it must not pull in the heavy libraries (they load when a fixture needs them)."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("hypothesis", "schemathesis", "requests", "werkzeug", "jsonschema", "jsonschema_rs")


def test_importing_the_plugin_imports_nothing_heavy() -> None:
    code = ("import sys, woowup_contract.plugin; "
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]", proc.stdout + proc.stderr
