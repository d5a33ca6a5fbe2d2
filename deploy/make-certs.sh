#!/usr/bin/env bash
# Make the campus CA and the broker's server certificate (or a gate's client certificate) with openssl.
#
#   deploy/make-certs.sh server DIR HOST [HOST...]   ca.key, ca.crt (made once), server.key, server.crt
#   deploy/make-certs.sh client DIR NAME             NAME.key, NAME.crt signed by the CA in DIR
#
# HOSTs are the names and addresses gates use to reach the broker (the certificate's
# subjectAltName: clients verify it). The CA key signs every certificate: keep ca.key offline
# once the certificates are made. Certificates last 825 days (a CA 10 years).
set -euo pipefail
usage() { echo "usage: $0 server DIR HOST [HOST...] | client DIR NAME" >&2; exit 2; }
[ $# -ge 3 ] || usage
kind=$1 dir=$2; shift 2
mkdir -p "$dir"
umask 077  # private keys readable by their owner only
conf=$(mktemp)
trap 'rm -f "$conf"' EXIT
# an empty request config: only the extensions named here go into the certificates
printf '[req]\ndistinguished_name=dn\n[dn]\n' >"$conf"
req() { openssl req -config "$conf" -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "$@" 2>/dev/null; }
if [ ! -f "$dir/ca.key" ]; then
  req -days 3650 -subj "/O=campusgate/CN=campusgate campus CA" -keyout "$dir/ca.key" -out "$dir/ca.crt" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash"
fi
sign() {  # sign NAME SUBJECT USAGE EXTENSION: NAME.key + NAME.crt signed by the CA
  req -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -days 825 -subj "$2" -keyout "$dir/$1.key" -out "$dir/$1.crt" \
    -addext "basicConstraints=critical,CA:FALSE" -addext "keyUsage=critical,digitalSignature" \
    -addext "extendedKeyUsage=$3" -addext "subjectKeyIdentifier=hash" \
    -addext "authorityKeyIdentifier=keyid" ${4:+-addext "$4"}
}
case $kind in
  server)
    san=""
    for h in "$@"; do
      if [[ $h =~ ^[0-9.]+$ || $h == *:* ]]; then san+="IP:$h,"; else san+="DNS:$h,"; fi
    done
    sign server "/O=campusgate/CN=$1" serverAuth "subjectAltName=${san%,}"
    ;;
  client)
    [ $# -eq 1 ] || usage
    sign "$1" "/O=campusgate/CN=$1" clientAuth
    ;;
  *) usage ;;
esac
chmod 644 "$dir/ca.crt" "$dir"/*.crt
echo "certificates in $dir: $(cd "$dir" && ls ./*.crt | tr '\n' ' ')"
