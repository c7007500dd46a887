# Shared by scripts/test and scripts/demo: make .venv with a Python >= 3.11 and install xgw.
xgw_venv() {
  local python=${PYTHON:-}
  if [ -z "$python" ]; then
    for candidate in python3.13 python3.12 python3.11 python3; do
      if command -v "$candidate" >/dev/null 2>&1 &&
         "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        python=$candidate; break
      fi
    done
  fi
  if [ -z "$python" ]; then echo "xgw needs Python 3.11 or newer" >&2; exit 1; fi
  if [ ! -x .venv/bin/python ]; then "$python" -m venv .venv; fi
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -e "$1"
}
