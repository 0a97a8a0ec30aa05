#!/usr/bin/env bash
# System packages the service tests need, installed visibly by `make test` before pytest runs (never from a
# test fixture): Debian's postgresql (a throw-away cluster is started by tests/service/conftest.py) and
# chromium (driven by Playwright in tests/service/test_browser.py), and the `postgres` user that owns the
# cluster. Idempotent: installs only what is missing. Skips, saying why, when not root, when apt-get is
# absent, or when COMMONGROUND_TEST_NO_INSTALL is set; the tests then skip (or, under CI, fail) with a reason.
set -euo pipefail

say() { echo "setup-system: $*"; }

if [ -n "${COMMONGROUND_TEST_NO_INSTALL:-}" ]; then say "COMMONGROUND_TEST_NO_INSTALL is set: skipping"; exit 0; fi
if [ "$(id -u)" != 0 ]; then say "not root: skipping (install postgresql and chromium yourself)"; exit 0; fi
if ! command -v apt-get >/dev/null; then say "no apt-get: skipping (install postgresql and chromium yourself)"; exit 0; fi

need=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null || need+=(postgresql)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
    say "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${need[@]}"
else
    say "postgresql and chromium are installed"
fi
if ! id postgres >/dev/null 2>&1; then
    say "adding the postgres system user"
    useradd --system --no-create-home --shell /usr/sbin/nologin postgres
fi
