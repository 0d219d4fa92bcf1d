#!/usr/bin/env bash
# The Action's validate step, kept in a file so it can be run and tested outside GitHub.
# Inputs come from the environment, never spliced into the shell text:
#   WC_PATHS          paths, directories or globs, one per line and/or separated by spaces
#   WC_CONTRACT       contract id (default connectors.log-record)
#   WC_STRICT         "true" for the strict profile
#   WC_CONTRACTS_DIR  a directory of the user's own contracts (optional)
#   WC_FORMAT         report format (default github: annotations on the failing lines)
set -euo pipefail
args=(validate --format "${WC_FORMAT:-github}" --contract "${WC_CONTRACT:-connectors.log-record}")
if [ "${WC_STRICT:-false}" = "true" ]; then args+=(--strict); fi
if [ -n "${WC_CONTRACTS_DIR:-}" ]; then args+=(--contracts-dir "$WC_CONTRACTS_DIR"); fi
# every line, every word: globbing is off so the validator expands globs itself (recursive, sorted)
set -f
IFS=$' \t\r\n' read -r -d '' -a paths <<<"${WC_PATHS:-}" || true
set +f
if [ "${#paths[@]}" -eq 0 ]; then
  echo "woowup-contract action: the paths input is empty; give files, directories or globs" >&2
  exit 2
fi
exec woowup-contract "${args[@]}" -- "${paths[@]}"
