#!/bin/sh
# nfs-capture.sh - /init of the NFS lab image (nfs-initramfs.sh puts it in;
# runs inside the QEMU guest under busybox ash, never on the host).
#
# Anything but lab=capture runs the standard lab /init (/lab-init =
# guest-init.sh): the first kernel loads this image with kexec -p, fills
# memory and panics as usual.  In the capture kernel this script
#   1. loads the base and NFS modules, brings eth0 up as 10.0.2.15/24 with
#      gateway 10.0.2.2 (QEMU user networking: 10.0.2.2:PORT is the host's
#      127.0.0.1:PORT),
#   2. for each job line of /etc/lab-nfs.conf mounts the export on
#      /var/crash/NAME and dumps there the way Fedora/RHEL kdump (kdumpctl
#      dump_fs) does: into DIR=<mnt>/<ip>-<date>/, the log first as
#      vmcore-dmesg-incomplete.txt renamed to vmcore-dmesg.txt, then
#      "COLLECTOR ARGS /proc/vmcore DIR/vmcore-incomplete", and only when the
#      collector exits 0, sync and rename to DIR/vmcore,
#   3. copies /proc/vmcore raw onto the "rawdump" disk (the host compares the
#      NFS dumps with it) and powers off.
# Job lines (# comments; fields split on blanks):
#   NAME PORT EXPORT OPTIONS ARGS...
#   OPTIONS  extra mount options after vers=4.2,port=PORT,addr=10.0.2.2 ("-": none)
#   ARGS     coresift's arguments before the input and output paths
# After mounting, while the export holds a file named .lab-wait, the job waits
# (up to 10 minutes) for the host to remove it: the host's chance to prepare
# the export (nfs.test sizes a small one from an earlier job's dump).  Every
# line for the host starts with "LAB:".
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

mount -t proc proc /proc
mode=none
for a in $(cat /proc/cmdline); do
	case "$a" in lab=*) mode=${a#lab=} ;; esac
done
[ "$mode" = capture ] || { umount /proc; exec /lab-init; }

mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /tmp /var/crash
mount -t tmpfs -o size=50% tmpfs /tmp

up() { cut -d' ' -f1 /proc/uptime; }
log() { echo "LAB: [$(up)] $*"; }
secs_since() { awk -v a="$1" -v b="$(up)" 'BEGIN{printf "%.2f", b-a}'; }
log "init start mode=capture kernel=$(uname -r) nfs image; cmdline: $(cat /proc/cmdline)"

todo="$(cat /etc/lab-modules /etc/lab-nfs-modules 2>/dev/null)"
for pass in 1 2 3; do
	left=
	for m in $todo; do
		insmod /lib/modules/$m.ko 2>/dev/null || left="$left $m"
	done
	todo=$left
	[ -z "$todo" ] && break
done
[ -n "$todo" ] && log "modules not loaded:$todo"

SERVER=10.0.2.2
ME=10.0.2.15
ip link set lo up
ip link set eth0 up && ip addr add $ME/24 dev eth0 && ip route add default via $SERVER ||
	log "FAILED: network setup ($(ls /sys/class/net | tr '\n' ' '))"
log "net: $(ip -4 -o addr show dev eth0 2>&1 | tr -s ' ')"

VSIZE=$(stat -c %s /proc/vmcore 2>/dev/null)
log "vmcore_size=$VSIZE"
log "MemTotal(capture)=$(awk '/^MemTotal:/{print $2}' /proc/meminfo)kB"

# job NAME PORT EXPORT OPTIONS ARGS...
job() {
	name=$1 port=$2 export=$3 opts=$4
	shift 4
	mnt=/var/crash/$name
	mkdir -p $mnt
	mo="vers=4.2,port=$port,addr=$SERVER,clientaddr=$ME"
	[ "$opts" = - ] || mo="$mo,$opts"
	t0=$(up)
	if ! timeout 60 mount -t nfs4 -o "$mo" "$SERVER:$export" $mnt 2> /tmp/mount.err; then
		log "nfs $name: mount $SERVER:$export ($mo) FAILED: $(cat /tmp/mount.err)"
		return
	fi
	log "nfs $name: mounted in $(secs_since $t0)s: $(grep " $mnt " /proc/mounts)"
	if [ -e $mnt/.lab-wait ]; then
		log "nfs $name: waiting for the host to remove .lab-wait"
		t0=$(up)
		n=0
		while [ -e $mnt/.lab-wait ] && [ $n -lt 600 ]; do
			sleep 1
			n=$((n + 1))
		done
		log "nfs $name: waited $(secs_since $t0)s"
	fi
	dir=$mnt/$ME-$(date +%Y-%m-%d-%H:%M:%S)
	mkdir -p "$dir" || { log "nfs $name: mkdir $dir FAILED"; timeout 30 umount $mnt; return; }
	/usr/sbin/coresift --dump-dmesg /proc/vmcore "$dir/vmcore-dmesg-incomplete.txt" > /tmp/dmesg.log 2>&1 &&
		mv "$dir/vmcore-dmesg-incomplete.txt" "$dir/vmcore-dmesg.txt"
	log "nfs $name: dmesg rc=$? $(tail -1 /tmp/dmesg.log)"
	log "nfs $name: dumping: coresift $* /proc/vmcore $dir/vmcore-incomplete"
	t0=$(up)
	timeout 600 /usr/sbin/coresift "$@" /proc/vmcore "$dir/vmcore-incomplete" > /tmp/cs.log 2>&1
	rc=$?
	log "nfs $name: coresift rc=$rc in $(secs_since $t0)s"
	sed "s/^/LAB: nfs $name: coresift: /" /tmp/cs.log | tail -40
	if [ $rc = 0 ]; then
		t0=$(up)
		sync && mv "$dir/vmcore-incomplete" "$dir/vmcore"
		log "nfs $name: sync+rename rc=$? in $(secs_since $t0)s"
	fi
	ls -l "$dir" 2>&1 | sed "s/^/LAB: nfs $name: ls: /"
	t0=$(up)
	timeout 30 umount $mnt || { umount -l $mnt; log "nfs $name: umount failed, detached"; }
	log "nfs $name: job done in $(secs_since $t0)s"
}

grep -v '^[[:space:]]*#' /etc/lab-nfs.conf | grep -v '^[[:space:]]*$' > /tmp/jobs
while read -r line; do
	job $line < /dev/null
done < /tmp/jobs

for d in /sys/block/vd*; do
	[ "$(cat $d/serial 2>/dev/null)" = rawdump ] && RAWDEV=/dev/${d##*/}
done
if [ -n "$RAWDEV" ]; then
	t0=$(up)
	dd if=/proc/vmcore of=$RAWDEV bs=1M 2> /tmp/dd.err || log "dd error: $(cat /tmp/dd.err)"
	sync
	log "raw copy done in $(secs_since $t0)s: $(tail -1 /tmp/dd.err)"
fi
log "CAPTURE DONE"
sync
poweroff -f
