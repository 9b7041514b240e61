#!/bin/bash
# nfs-server.sh - a private userspace NFS server for the lab: Debian's
# nfs-ganesha (packages nfs-ganesha, nfs-ganesha-vfs) with the VFS FSAL.
#
# Usage:
#   nfs-server.sh start STATE PORT DIR:PSEUDO...  serve each host DIR as the
#       NFSv4 path PSEUDO on 127.0.0.1:PORT; config, log, pid and recovery
#       files live in STATE; returns once the server listens
#   nfs-server.sh stop STATE [SIGNAL]   stop it (default TERM; KILL = a crash)
# Environment: NFS_GRACE=SECONDS  keep NFSv4's grace period (that long) instead
#   of none: a server restarted with the same STATE then lets clients reclaim
#   their open files (the client records live in STATE/recovery).
#
# Why ganesha: the kernel's nfsd needs a kernel with NFSD and the nfsd
# filesystem, which a sandbox host may lack (Debian 12 has no unfs3).  NFSv4
# only: one TCP port, no rpcbind, mountd, statd or NLM, so it runs beside
# anything else on the machine; no grace period by default, so a fresh server
# accepts OPEN at once; root not squashed (the capture kernel writes as root).
set -euo pipefail
cmd=${1:-}
state=${2:-}
[ -n "$cmd" ] && [ -n "$state" ] || { echo "usage: $0 start|stop STATE ..." >&2; exit 2; }

case "$cmd" in
start)
	port=$3
	shift 3
	command -v ganesha.nfsd > /dev/null ||
		{ echo "nfs-server: no ganesha.nfsd (tests/install-deps.sh lab)" >&2; exit 1; }
	mkdir -p "$state/recovery"
	conf=$state/ganesha.conf
	cat > "$conf" <<EOF
NFS_CORE_PARAM {
	NFS_Port = $port;
	Bind_addr = 127.0.0.1;
	Protocols = 4;
	Enable_NLM = false;
	Enable_RQUOTA = false;
	Enable_UDP = false;
}
NFSV4 {
	Graceless = $([ -n "${NFS_GRACE:-}" ] && echo false || echo true);
	Grace_Period = ${NFS_GRACE:-90};
	Lease_Lifetime = 10;
	RecoveryBackend = fs;
	RecoveryRoot = "$state/recovery";
	Only_Numeric_Owners = true;
}
NFS_KRB5 { Active_krb5 = false; }
EOF
	id=1
	for e in "$@"; do
		cat >> "$conf" <<EOF
EXPORT {
	Export_Id = $id;
	Path = "${e%%:*}";
	Pseudo = "${e#*:}";
	Access_Type = RW;
	Squash = No_Root_Squash;
	SecType = sys;
	Protocols = 4;
	Transports = TCP;
	FSAL { Name = VFS; }
}
EOF
		id=$((id + 1))
	done
	# a restart keeps the previous log beside the new one
	[ -s "$state/ganesha.log" ] && cat "$state/ganesha.log" >> "$state/ganesha.log.prev"
	: > "$state/ganesha.log"
	# -F: stay in the foreground (of this background job), so $! is the server
	ganesha.nfsd -F -f "$conf" -L "$state/ganesha.log" -p "$state/ganesha.pid" -N NIV_EVENT \
		> "$state/ganesha.out" 2>&1 < /dev/null &
	echo $! > "$state/pid"
	for _ in $(seq 100); do
		if grep -q "NFS SERVER INITIALIZED" "$state/ganesha.log" 2> /dev/null &&
			(exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null; then
			echo "nfs-server: ganesha pid $(cat "$state/pid") on 127.0.0.1:$port: $*" >&2
			exit 0
		fi
		kill -0 "$(cat "$state/pid")" 2> /dev/null || break
		sleep 0.2
	done
	echo "nfs-server: ganesha did not start on 127.0.0.1:$port; its log:" >&2
	tail -20 "$state/ganesha.log" "$state/ganesha.out" >&2
	kill "$(cat "$state/pid")" 2> /dev/null || true
	exit 1
	;;
stop)
	sig=${3:-TERM}
	[ -f "$state/pid" ] || exit 0
	pid=$(cat "$state/pid")
	kill -"$sig" "$pid" 2> /dev/null || true
	for _ in $(seq 50); do
		kill -0 "$pid" 2> /dev/null || { rm -f "$state/pid"; exit 0; }
		sleep 0.2
	done
	kill -KILL "$pid" 2> /dev/null || true
	rm -f "$state/pid"
	;;
*)
	echo "usage: $0 start|stop STATE ..." >&2
	exit 2
	;;
esac
