#!/usr/bin/env bash
# Debian packages the gate, the tests and the demo need: libzbar0 (pyzbar's decoder),
# mosquitto (the tests start a private one on a free loopback port; the demo embeds amqtt),
# chromium (the browser tests drive it headless), fonts-noto-cjk (Chinese on screens),
# fonts-wqy-microhei (the TrueType CJK font embedded, as a subset, in every printed PDF: reportlab
# cannot embed Noto's CFF outlines) and poppler-utils + poppler-data (pdffonts and pdftotext, which
# the tests use to check that every font is embedded and to read the Chinese back); openssl for
# deploy/make-certs.sh (the campus CA, which tests/deploy/ uses too); postgresql-client (pg_dump and
# pg_restore for `campusgate backup` / `restore`).
set -euo pipefail
need=()
for pkg in libzbar0 mosquitto chromium fonts-noto-cjk fonts-wqy-microhei poppler-utils poppler-data openssl; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
command -v pg_dump >/dev/null 2>&1 || need+=(postgresql-client)  # any version's client will do
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing Debian packages: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
