#!/usr/bin/env bash
# Certificates for a broker's TLS listeners, made with openssl (EC P-256 keys: well under a
# second each). For tests and local brokers; a managed Kafka hands out its own CA certificate.
#
#   deploy/kafka/certs.sh ca     DIR                      DIR/ca.pem, DIR/ca.key
#   deploy/kafka/certs.sh broker DIR                      DIR/broker.p12 + DIR/broker.p12.password
#                                                         (PKCS#12, for ssl.keystore.*), for 127.0.0.1 and localhost
#   deploy/kafka/certs.sh client DIR NAME [--expired] [--key-password PW]
#                                                         DIR/NAME.pem, DIR/NAME.key (CN=NAME), for mutual TLS
#
# Every certificate is signed by DIR/ca.pem (made first with `ca`). --expired gives a client
# certificate whose validity ended yesterday; --key-password encrypts its key (PKCS#8, AES-256).
set -euo pipefail

die() { echo "certs.sh: $*" >&2; exit 2; }
command -v openssl >/dev/null 2>&1 || die "openssl is missing (Debian: apt-get install openssl)"

CMD="${1:-}"; DIR="${2:-}"
[[ -n "$CMD" && -n "$DIR" ]] || { sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
shift 2
mkdir -p "$DIR"
umask 077

newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# Sign the CSR $1 into the certificate $2 with the CA: extensions from $3, valid from $4 to $5
# (openssl ca's YYMMDDHHMMSSZ), or for $4 days when $5 is empty.
sign() {
    local csr="$1" out="$2" ext="$3" start="$4" end="$5" conf
    conf="$(mktemp)"
    mkdir -p "$DIR/.ca"
    : >"$DIR/.ca/index.txt"
    cat >"$conf" <<EOF
[ca]
default_ca = local
[local]
database = $DIR/.ca/index.txt
new_certs_dir = $DIR/.ca
certificate = $DIR/ca.pem
private_key = $DIR/ca.key
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
rand_serial = yes
[any]
commonName = supplied
[ext]
$ext
EOF
    local dates=(-days "$start")
    [[ -z "$end" ]] || dates=(-startdate "$start" -enddate "$end")
    openssl ca -batch -notext -config "$conf" -extensions ext "${dates[@]}" -in "$csr" -out "$out" 2>"$DIR/.ca/sign.log" \
        || { cat "$DIR/.ca/sign.log" >&2; rm -f "$conf"; die "signing $out failed"; }
    rm -f "$conf" "$csr"
}

case "$CMD" in
    ca)
        newkey "$DIR/ca.key"
        openssl req -x509 -new -key "$DIR/ca.key" -subj "/CN=copydesk test CA $(date -u +%s)" -days 3650 \
            -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
            -out "$DIR/ca.pem"
        ;;
    broker)
        [[ -f "$DIR/ca.pem" ]] || die "$DIR/ca.pem is missing: run '$0 ca $DIR' first"
        newkey "$DIR/broker.key"
        openssl req -new -key "$DIR/broker.key" -subj "/CN=localhost" -out "$DIR/broker.csr"
        sign "$DIR/broker.csr" "$DIR/broker.pem" \
            "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth,clientAuth" 3650 ""
        head -c 18 /dev/urandom | base64 | tr '+/' '-_' >"$DIR/broker.p12.password"
        openssl pkcs12 -export -in "$DIR/broker.pem" -inkey "$DIR/broker.key" -certfile "$DIR/ca.pem" \
            -name broker -out "$DIR/broker.p12" -passout "file:$DIR/broker.p12.password"
        ;;
    client)
        NAME="${1:-}"; shift || true
        [[ "$NAME" =~ ^[A-Za-z0-9._-]+$ ]] || die "client needs a NAME (letters, digits, . _ -)"
        [[ -f "$DIR/ca.pem" ]] || die "$DIR/ca.pem is missing: run '$0 ca $DIR' first"
        EXPIRED=""; KEY_PASSWORD=""
        while [[ $# -gt 0 ]]; do
            case "$1" in
                --expired) EXPIRED=1 ;;
                --key-password) KEY_PASSWORD="${2:?--key-password needs a value}"; shift ;;
                *) die "unknown argument: $1" ;;
            esac
            shift
        done
        newkey "$DIR/$NAME.key"
        openssl req -new -key "$DIR/$NAME.key" -subj "/CN=$NAME" -out "$DIR/$NAME.csr"
        if [[ -n "$EXPIRED" ]]; then
            sign "$DIR/$NAME.csr" "$DIR/$NAME.pem" "extendedKeyUsage=clientAuth" \
                "$(date -u -d '-3 days' +%y%m%d%H%M%SZ)" "$(date -u -d '-1 day' +%y%m%d%H%M%SZ)"
        else
            sign "$DIR/$NAME.csr" "$DIR/$NAME.pem" "extendedKeyUsage=clientAuth" 825 ""
        fi
        if [[ -n "$KEY_PASSWORD" ]]; then
            openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$DIR/$NAME.key" -out "$DIR/$NAME.key.enc" \
                -passout "fd:3" 3<<<"$KEY_PASSWORD"
            mv "$DIR/$NAME.key.enc" "$DIR/$NAME.key"
        fi
        ;;
    *) die "unknown command: $CMD (ca|broker|client)" ;;
esac
