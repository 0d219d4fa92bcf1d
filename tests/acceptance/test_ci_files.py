"""The files a connector repository and CI consume: the pre-commit hook, the action, the workflow."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "examples" / "payloads"


def _hook() -> dict:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = [h for h in hooks if h["id"] == "woowup-contract-validate"]
    return hook


def _run_entry(entry: str, files: list[Path]) -> subprocess.CompletedProcess[str]:
    """Run the hook's entry the way pre-commit does: the entry, then the staged file names."""
    argv = shlex.split(entry)
    assert argv[0] == "woowup-contract"
    exe = shutil.which("woowup-contract", path=str(Path(sys.executable).parent))
    cmd = [exe] if exe else [sys.executable, "-m", "woowup_contract"]
    return subprocess.run(cmd + argv[1:] + [str(f) for f in files], capture_output=True, text=True, timeout=60)


def test_pre_commit_hook_is_declared_for_json_files() -> None:
    hook = _hook()
    assert hook["language"] == "python"
    assert hook["types_or"] == ["json"]
    assert hook["entry"].startswith("woowup-contract validate")


def test_pre_commit_hook_entry_passes_valid_samples() -> None:
    files = sorted((SAMPLES / "valid").glob("*.json"))
    assert files
    proc = _run_entry(_hook()["entry"], files)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{len(files)} payloads checked" in proc.stdout


def test_pre_commit_hook_entry_fails_on_an_invalid_sample_and_names_it() -> None:
    bad = SAMPLES / "invalid" / "documented-example.json"
    good = SAMPLES / "valid" / "daily-run.json"
    proc = _run_entry(_hook()["entry"], [good, bad])
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "documented-example.json: /stats/customers/per_branches/0/total_created" in proc.stdout
    assert "daily-run.json" not in proc.stdout  # a valid file has nothing to report


def test_action_runs_validate_with_github_annotations() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) >= {"paths", "contract", "strict", "python-version"}
    assert action["inputs"]["paths"]["required"] is True
    script = "\n".join(step.get("run", "") for step in action["runs"]["steps"])
    assert "--format github" in script
    # inputs reach the script through the environment, never spliced into the shell text
    assert "${{ inputs." not in script


def test_workflow_tests_every_supported_python_and_the_built_wheel() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8"))
    jobs = workflow["jobs"]
    assert jobs["test"]["strategy"]["matrix"]["python-version"] == ["3.10", "3.11", "3.12", "3.13"]
    wheel = "\n".join(step.get("run", "") for step in jobs["wheel"]["steps"])
    assert "pip wheel" in wheel and "contracts lint" in wheel and "validate" in wheel
    for job in jobs.values():
        for step in job["steps"]:
            uses = step.get("uses", "")
            if uses and not uses.startswith("./"):
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", uses), f"not pinned to a commit: {uses}"


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"^## Quick start\n.*?^```\n(.*?)^```", readme, re.M | re.S)
    assert block, "README has no Quick start block"
    commands = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(commands) == 2, commands
    assert commands[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
