#!/usr/bin/env bash
# A real S3 server for the tests: Ceph radosgw on loopback, backed by a one-node Ceph cluster
# (1 mon, 1 memstore OSD, no mgr, auth none), as root and without systemd.
#
#   bash test/s3/rgw.sh start   # installs ceph-mon ceph-osd radosgw (Debian 12) when missing,
#                               # starts the cluster, or reuses one that already answers
#   bash test/s3/rgw.sh stop    # stops the daemons this script started
#   bash test/s3/rgw.sh env     # prints the shell exports the tests read
#   bash test/s3/rgw.sh status  # exit 0 when the endpoint answers signed requests
# Env: RGW_PORT (S3 port, default 7480; the monitor takes RGW_PORT+1), RGW_BASE (state dir,
# default /tmp/gitrepro-rgw-$RGW_PORT).
#
# Why a whole cluster: Debian 12 ships radosgw 16.2 ("Pacific"), which has no standalone
# (dbstore) backend, so it needs RADOS. memstore keeps everything in RAM: nothing survives stop.
# Everything binds 127.0.0.1 only. Test users (fixed keys, test-only):
#   gr  GRTESTKEY / GRTESTSECRET    owner of the buckets the tests create
#   gr2 GRTESTKEY2 / GRTESTSECRET2  a second user that owns nothing (permission-denied tests)
set -euo pipefail
RGW_PORT=${RGW_PORT:-7480}
# One cluster per RGW_PORT: its own state dir and monitor port, so two can coexist.
BASE=${RGW_BASE:-/tmp/gitrepro-rgw-$RGW_PORT}
MON_PORT=${RGW_MON_PORT:-$((RGW_PORT + 1))}
ENDPOINT="http://127.0.0.1:$RGW_PORT"
KEY=GRTESTKEY SECRET=GRTESTSECRET KEY2=GRTESTKEY2 SECRET2=GRTESTSECRET2
CONF=$BASE/ceph.conf
log() { echo "rgw.sh: $*" >&2; }

# A signed ListBuckets (curl's SigV4): proves the endpoint is an S3 server that knows our key.
# curl 7.88 does not send x-amz-content-sha256 itself, and S3 requires it with SigV4.
answers() {
  [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
    --aws-sigv4 'aws:amz:us-east-1:s3' \
    --user "$KEY:$SECRET" "$ENDPOINT/") == 200 ]]
}

stop() {
  local p pid
  for p in "$BASE"/run/*.pid; do
    [[ -f $p ]] || continue
    pid=$(cat "$p")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$p"
  done
  # daemons of this cluster whose pid files are gone (a crash, a full disk) still hold its ports
  pkill -9 -f -- "-c $CONF" 2>/dev/null || true
}

print_env() {
  cat <<EOF
export GITREPRO_S3_ENDPOINT=$ENDPOINT
export GITREPRO_S3_KEY=$KEY
export GITREPRO_S3_SECRET=$SECRET
export GITREPRO_S3_KEY2=$KEY2
export GITREPRO_S3_SECRET2=$SECRET2
export GITREPRO_S3_REGION=us-east-1
EOF
}

install_packages() {
  command -v radosgw >/dev/null && command -v ceph-osd >/dev/null && command -v ceph-mon >/dev/null && command -v curl >/dev/null && return
  [[ $(id -u) == 0 ]] || { log "ceph packages missing and not root: cannot apt-get install"; exit 3; }
  command -v apt-get >/dev/null || { log "ceph packages missing and no apt-get"; exit 3; }
  log "installing ceph-mon ceph-osd radosgw (Debian packages, ~270 MB)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends ceph-mon ceph-osd radosgw curl ca-certificates >/dev/null
}

start() {
  if answers; then log "reusing the server at $ENDPOINT"; echo "$ENDPOINT"; return; fi
  install_packages
  local C="ceph -c $CONF --connect-timeout 20"
  stop
  rm -rf "$BASE"
  mkdir -p "$BASE"/{mon,osd,run,log,rgw}
  local fsid; fsid=$(cat /proc/sys/kernel/random/uuid)
  cat >"$CONF" <<EOF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$MON_PORT]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
# auth "none" cannot do msgr2 "secure" mode, and radosgw defaults to it for the monitor
# connection (it then hangs in get_initial_auth): use crc everywhere.
ms mon client mode = crc
ms client mode = crc
ms mon service mode = crc
ms service mode = crc
ms mon cluster mode = crc
ms cluster mode = crc
ms bind msgr1 = false
keyring = $BASE/keyring
run dir = $BASE/run
admin socket = $BASE/run/\$name.asok
pid file = $BASE/run/\$name.pid
log file = $BASE/log/\$name.log
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
osd crush chooseleaf type = 0
[mon]
mon data = $BASE/mon/\$cluster-\$id
[osd]
osd data = $BASE/osd/\$cluster-\$id
osd objectstore = memstore
memstore device bytes = 4294967296
osd max object name len = 460
osd max object namespace len = 64
[client.rgw.gw]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw data = $BASE/rgw
EOF
  ceph-authtool --create-keyring "$BASE/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$MON_PORT]" "$BASE/monmap" >/dev/null
  ceph-mon -c "$CONF" --mkfs -i a --monmap "$BASE/monmap" --keyring "$BASE/keyring"
  ceph-mon -c "$CONF" -i a # daemonizes
  $C -s >/dev/null

  local osd_uuid osd_id
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  osd_id=$($C osd new "$osd_uuid")
  mkdir -p "$BASE/osd/ceph-$osd_id"
  ceph-osd -c "$CONF" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" >"$BASE/log/osd-mkfs.log" 2>&1
  ceph-osd -c "$CONF" -i "$osd_id" # daemonizes; adds itself to the CRUSH map
  for _ in $(seq 60); do $C osd stat 2>/dev/null | grep -q '1 up' && break; sleep 1; done
  $C osd stat | grep -q '1 up' || { log "the OSD did not come up (see $BASE/log)"; exit 1; }

  # radosgw daemonizes after init; it creates its pools on first start.
  timeout 180 radosgw -c "$CONF" -n client.rgw.gw
  for _ in $(seq 120); do curl -s -o /dev/null --max-time 2 "$ENDPOINT/" && break; sleep 1; done
  # idempotent: a user that already exists (a cluster kept from an earlier start) is fine
  radosgw-admin -c "$CONF" user create --uid=gr --display-name=gitrepro \
    --access-key=$KEY --secret-key=$SECRET >/dev/null 2>&1 || radosgw-admin -c "$CONF" user info --uid=gr >/dev/null
  radosgw-admin -c "$CONF" user create --uid=gr2 --display-name='gitrepro other user' \
    --access-key=$KEY2 --secret-key=$SECRET2 >/dev/null 2>&1 || radosgw-admin -c "$CONF" user info --uid=gr2 >/dev/null
  for _ in $(seq 30); do answers && break; sleep 1; done
  answers || { log "radosgw does not answer signed requests at $ENDPOINT (see $BASE/log)"; exit 1; }
  log "radosgw up at $ENDPOINT"
  echo "$ENDPOINT"
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  env) print_env ;;
  status) answers ;;
  *) echo "usage: rgw.sh start|stop|env|status" >&2; exit 2 ;;
esac
