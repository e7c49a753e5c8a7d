# Shared by scripts/start and scripts/test (sourced, not run): short friendly output,
# system packages, the virtualenv, translations. Expects to be sourced from the repo root.

# Colours only on a terminal (CI logs stay plain).
if [ -t 1 ]; then _b=$'\033[1;34m' _y=$'\033[1;33m' _r=$'\033[1;31m' _n=$'\033[0m'; else _b= _y= _r= _n=; fi
say()  { printf '%s==>%s %s\n' "$_b" "$_n" "$*"; }
warn() { printf '%swarning:%s %s\n' "$_y" "$_n" "$*" >&2; }
die()  { printf '%serror:%s %s\n' "$_r" "$_n" "$*" >&2; exit 1; }

# Root runs apt-get directly; anyone else through sudo.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

pkg_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# apt_install [--optional] PKG... : install the packages that are missing, nothing when
# none is. With --optional a failure is a warning (e.g. Ubuntu has no `chromium` deb).
apt_install() {
    local optional=false missing=() pkg log
    if [ "${1:-}" = --optional ]; then optional=true; shift; fi
    if ! command -v dpkg-query >/dev/null 2>&1; then
        warn "not a Debian/Ubuntu system: please install $* yourself"
        return 0
    fi
    for pkg in "$@"; do
        pkg_installed "$pkg" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "Installing system packages: ${missing[*]}"
    log=$(mktemp)
    if ! { as_root apt-get update -qq &&
           as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >"$log" 2>&1; then
        tail -n 20 "$log" >&2
        rm -f "$log"
        if $optional; then
            warn "could not install ${missing[*]}: the tests that need it will be skipped"
            return 0
        fi
        die "apt-get install ${missing[*]} failed"
    fi
    rm -f "$log"
}

# python_for_venv: a Python 3.11 or newer to build .venv with.
python_for_venv() {
    local candidate
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
           "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    die "Python 3.11 is needed (apt-get install python3 python3-venv)"
}

# ensure_venv REQUIREMENTS_FILE: .venv exists and has the pinned packages. The hash of
# the requirements files is kept in .venv so that an unchanged set skips pip.
ensure_venv() {
    local requirements=$1 stamp digest python
    if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys' 2>/dev/null; then
        python=$(python_for_venv)
        say "Creating .venv with $($python --version 2>&1)"
        rm -rf .venv
        "$python" -m venv .venv || die "could not create .venv (apt-get install python3-venv)"
    fi
    stamp=".venv/.megabird-${requirements}.sha256"
    digest=$(cat requirements*.txt | sha256sum | cut -d' ' -f1)
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
        say "Installing Python packages from $requirements"
        .venv/bin/python -m pip install -q --disable-pip-version-check -r "$requirements" \
            || die "pip install -r $requirements failed"
        echo "$digest" > "$stamp"
    fi
}

# compile_translations: app/translations/*/LC_MESSAGES/*.po -> .mo, when there are any.
compile_translations() {
    if [ -d app/translations ] && [ -n "$(find app/translations -name '*.po' -print -quit)" ]; then
        .venv/bin/pybabel -q compile -d app/translations || die "pybabel compile failed"
    fi
}
