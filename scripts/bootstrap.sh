# shellcheck shell=bash
# Shared set-up for scripts/run-tray and scripts/run-tests: sourced, not run.
# Each step checks first and does nothing when its work is already done, so reruns take seconds.

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO_ROOT/.venv"
# llm-link builds live outside the checkout so a fresh clone (as CI makes) reuses them.
BUILDS="${LLM_LINK_TRAY_BUILDS:-${XDG_CACHE_HOME:-$HOME/.cache}/llm-link-tray/llm-link}"
export LLM_LINK_TRAY_BUILDS="$BUILDS"
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[bootstrap] %s\033[0m\n' "$*" >&2; exit 1; }

# Debian packages: the Rust build's system libraries, Qt's runtime libraries and the desktop parts tests use.
DEBIAN_PACKAGES=(
  pkg-config libssl-dev
  libgl1 libegl1 libglib2.0-0 libfontconfig1 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0 libx11-xcb1
  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0
  libxcb-shape0 libxcb-xinerama0 libxcb-xfixes0 libxcb-xkb1
  xvfb xauth dbus dbus-bin
  # the desktop the end-to-end tests drive: XEmbed tray host, notification daemon, Secret Service, screenshots
  trayer notification-daemon gnome-keyring x11-utils imagemagick desktop-file-utils
  # CJK glyphs, so the zh_CN screenshots show Chinese, not empty boxes
  fonts-wqy-microhei
  # bench/soak_tray.py opens the real tray menu with it
  xdotool
  # a StatusNotifierItem watcher and host (what Plasma and GNOME's AppIndicator extension speak)
  haskell-status-notifier-item-utils haskell-gtk-sni-tray-utils
  # a real browser for the gateway's web-page attack tests (tests/gateway/test_browser.py)
  chromium
)

ensure_debian_packages() {
  command -v dpkg-query >/dev/null || { say "not Debian: install the equivalents of ${DEBIAN_PACKAGES[*]}"; return; }
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return
  if [ "$(id -u)" -ne 0 ]; then
    die "missing Debian packages: ${missing[*]} — run: sudo apt-get install -y ${missing[*]}"
  fi
  say "installing Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_venv() {
  local python="${PYTHON:-python3}" stamp="$VENV/.installed" want
  "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "$python is older than 3.11; set PYTHON=/path/to/python3.11"
  want="$(sha256sum "$REPO_ROOT/pyproject.toml" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$VENV/bin/python" ]; then
    return
  fi
  say "creating the virtualenv in $VENV"
  "$python" -m venv "$VENV" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -e "$REPO_ROOT[dev]"
  echo "$want" > "$stamp"
}

llm_link_versions() { cat "$REPO_ROOT/tests/llm-link-versions.txt"; }

# Builds llm-link VERSION from crates.io into $BUILDS/VERSION (cached) and prints the binary's path.
ensure_llm_link() {
  local version="$1" root="$BUILDS/$1" bin="$BUILDS/$1/bin/llm-link"
  if [ -x "$bin" ]; then
    echo "$bin"
    return
  fi
  command -v cargo >/dev/null || die "cargo not found: install Rust (https://rustup.rs) to build llm-link"
  say "building llm-link $version from crates.io (first time only, several minutes; progress follows)"
  mkdir -p "$root"
  # --locked: the dependency versions llm-link was released with, not whatever is newest today.
  cargo install llm-link --version "$version" --locked --root "$root" >&2 \
    || die "cargo install llm-link --version $version failed (see above)"
  echo "$bin"
}
