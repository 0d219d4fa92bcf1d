"""The files a connector repository and CI consume: the pre-commit hook, the action, the workflow."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

import hook_sample

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "examples" / "payloads"
BIN = Path(sys.executable).parent


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


def test_pre_commit_hook_is_declared_for_json_jsonl_and_ndjson_files() -> None:
    hook = _hook()
    assert hook["language"] == "python"
    assert hook["types"] == ["file"] and "types_or" not in hook  # identify has no tag for .jsonl/.ndjson
    assert hook["entry"].startswith("woowup-contract validate")
    assert all(re.search(hook["files"], f"a/b{suffix}") for suffix in (".json", ".jsonl", ".ndjson"))
    assert not re.search(hook["files"], "a/b.txt")


def _pre_commit_run(repo: Path, hook: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    """``pre-commit run --all-files`` on ``repo`` with ``hook`` as a local hook on the installed package:
    pre-commit's own file selection (files, exclude, types) without installing an environment."""
    local = {**hook, "language": "system"}
    config = repo.parent / "pre-commit-config.yaml"
    config.write_text(yaml.safe_dump({"repos": [{"repo": "local", "hooks": [local]}]}), encoding="utf-8")
    env = {**os.environ, "PRE_COMMIT_HOME": str(repo.parent / "cache"), "PRE_COMMIT_COLOR": "never",
           "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run([str(BIN / "pre-commit"), "run", "--all-files", "--verbose", "--config", str(config)],
                          cwd=repo, capture_output=True, text=True, timeout=120, env=env)


def test_pre_commit_checks_the_payloads_and_only_the_payloads(tmp_path: Path) -> None:
    repo = hook_sample.write(tmp_path / "connector")
    proc = _pre_commit_run(repo, _hook())
    assert hook_sample.problems(proc.stdout + proc.stderr, proc.returncode) == [], proc.stdout + proc.stderr


def test_the_sample_repository_tells_a_right_hook_from_a_wrong_one(tmp_path: Path) -> None:
    # the definition before: `types_or: [json]`, no exclusions
    repo = hook_sample.write(tmp_path / "connector")
    old = {k: v for k, v in _hook().items() if k not in ("types", "files", "exclude")} | {"types_or": ["json"]}
    proc = _pre_commit_run(repo, old)
    found = hook_sample.problems(proc.stdout + proc.stderr, proc.returncode)
    assert "package.json was judged as a payload" in found
    assert f"the bad line payloads/retry.ndjson:{hook_sample.BAD_LINE} is not reported" in found


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


def _action() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))


def test_action_runs_its_script_with_the_inputs_in_the_environment() -> None:
    action = _action()
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) >= {"paths", "contract", "strict", "python-version"}
    assert action["inputs"]["paths"]["required"] is True
    (validate,) = [step for step in action["runs"]["steps"] if step.get("name") == "validate"]
    assert validate["run"] == 'bash "${GITHUB_ACTION_PATH}/action/validate.sh"'
    # inputs reach the script through the environment, never spliced into the shell text
    assert validate["env"] == {"WC_PATHS": "${{ inputs.paths }}", "WC_CONTRACT": "${{ inputs.contract }}",
                               "WC_STRICT": "${{ inputs.strict }}", "WC_CONTRACTS_DIR": "${{ inputs.contracts-dir }}"}


def _action_script(cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The Action's validate step as GitHub runs it: bash, the inputs in WC_* variables."""
    full = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", **env}
    return subprocess.run(["bash", str(ROOT / "action" / "validate.sh")], cwd=cwd, env=full, capture_output=True,
                          text=True, timeout=120)


def test_action_takes_every_line_and_every_word_of_paths(tmp_path: Path) -> None:
    repo = hook_sample.write(tmp_path / "connector")
    # as a workflow's `paths: |` block gives it: lines, words, blank lines, indentation, CRLF, a glob
    paths = "payloads/daily-run.json payloads/catalog-sync.json\n\n  payloads/batch.jsonl\r\n\tpayloads/*.ndjson  \n"
    proc = _action_script(repo, WC_PATHS=paths, WC_CONTRACT="connectors.log-record", WC_STRICT="false",
                          WC_CONTRACTS_DIR="")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"{hook_sample.PAYLOADS} payloads checked" in proc.stdout, proc.stdout
    assert (f"::error file=payloads/retry.ndjson,line={hook_sample.BAD_LINE},col=469,"
            "title=woowup-contract type::") in proc.stdout
    assert not any(name in proc.stdout for name in hook_sample.NOT_PAYLOADS)


def test_action_passes_strict_and_the_contract_on(tmp_path: Path) -> None:
    repo = hook_sample.write(tmp_path / "connector")
    record = json.loads((repo / "payloads" / "daily-run.json").read_text(encoding="utf-8"))
    record["processingtime"] = "yesterday"  # a strict-profile error, an official-profile warning
    (repo / "late.json").write_text(json.dumps(record), encoding="utf-8")
    paths = "payloads/batch.jsonl\nlate.json"
    lenient = _action_script(repo, WC_PATHS=paths, WC_STRICT="false", WC_CONTRACT="connectors.post-log")
    assert lenient.returncode == 0, lenient.stdout + lenient.stderr
    assert "11 payloads checked against connectors.post-log: 11 valid" in lenient.stdout
    strict = _action_script(repo, WC_PATHS=paths, WC_STRICT="true", WC_CONTRACT="connectors.post-log")
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert "::error file=late.json" in strict.stdout and "processingtime-iso8601" in strict.stdout


def test_action_says_so_when_paths_is_empty(tmp_path: Path) -> None:
    proc = _action_script(tmp_path, WC_PATHS=" \n\t\n")
    assert proc.returncode == 2
    assert "the paths input is empty" in proc.stderr and proc.stdout == ""


def _self_check_commands() -> list[str]:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8"))
    runs = [step["run"] for step in workflow["jobs"]["self-check"]["steps"] if "run" in step]
    assert runs[0].startswith("python -m pip install ")
    return runs[1:]


def test_the_self_check_job_passes_here_with_the_same_commands() -> None:
    commands = _self_check_commands()
    assert len(commands) == 3 and any(".pre-commit-hooks.yaml" in c for c in commands)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    for command in commands:
        proc = subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, (command, proc.stdout + proc.stderr)


def test_the_self_check_commands_fail_on_a_broken_file(tmp_path: Path) -> None:
    # the same commands on copies with one mistake each: each one must refuse its file
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text("on: push\njobs: {build: {steps: []}}\n")
    (tmp_path / "action.yml").write_text("name: x\ndescription: y\nruns: {using: composite}\n")
    hook = {k: v for k, v in _hook().items() if k != "entry"}
    (tmp_path / ".pre-commit-hooks.yaml").write_text(yaml.safe_dump([hook]))
    for command in _self_check_commands():
        proc = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 1, (command, proc.stdout + proc.stderr)


def test_the_peer_tools_and_try_repo_run_in_their_own_jobs() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8"))
    jobs = workflow["jobs"]
    assert "bash .ci/peers" in [s.get("run") for s in jobs["peers"]["steps"]]
    assert "bash .ci/pre-commit-try-repo" in [s.get("run") for s in jobs["hook"]["steps"]]
    peers = (ROOT / ".ci" / "peers").read_text(encoding="utf-8")
    for command in ("spectral\" lint", "redocly\" lint", "prism\" mock", "schemathesis run", "--checks all"):
        assert command in peers, command
    assert "extends: [\"spectral:oas\"]" in (ROOT / ".ci" / "spectral.yaml").read_text(encoding="utf-8")
    action_job = jobs["action"]["steps"][-1]
    assert action_job["uses"] == "./" and len(action_job["with"]["paths"].split()) == 3


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
