#!/usr/bin/env bash
# Installs the Python tools of the tests into .tools/ when missing: schemathesis (the schema-driven
# API fuzzer of the OpenAPI fuzz test) and argon2-cffi (the reference argon2 the password hashes are
# checked against), in one venv with every package pinned in test/python/requirements.txt (from PyPI).
# Idempotent; prints the venv's bin folder.
source "$(dirname "$0")/lib/common.sh"
REQUIREMENTS="$ROOT/test/python/requirements.txt"
VENV="$TOOLS_DIR/python-tests-$(sha1sum "$REQUIREMENTS" | cut -c1-12)"
if [ ! -x "$VENV/bin/st" ]; then
  ensure_commands python3:python3
  python3 -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv
  log "installing schemathesis and argon2-cffi into ${VENV#"$ROOT"/} (pip, pinned)"
  rm -rf "$VENV"
  python3 -m venv "$VENV" >&2 || { log "python3 -m venv failed: Python 3.9+ with venv is needed (apt-get install python3-venv)"; exit 1; }
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$REQUIREMENTS" >&2
fi
echo "$VENV/bin"
