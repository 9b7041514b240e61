#!/bin/sh
# guest-init.sh - /init of the kdump lab initramfs (copied in by mkinitramfs.sh;
# runs inside the QEMU guest under busybox ash, never on the host).
#
# The mode comes from the kernel command line:
#   lab=first    first kernel: load the crash kernel with kexec -p, fill memory
#                (anon/zero/THP/hugetlb/hwpoison via memfill, tmpfs files,
#                block-device and ext4 page cache), save a page-state snapshot
#                (/proc/kpageflags, kpagecount, meminfo, zoneinfo, iomem,
#                vmstat) into /first/ on the ext4 disk, and panic via sysrq-c.
#   lab=capture  capture (kdump) kernel: copy /proc/vmcore raw to the disk with
#                serial "rawdump", run makedumpfile -l -d 31 and --dump-dmesg
#                onto the ext4 disk with serial "outfs"; when /usr/sbin/coresift
#                is in the initramfs, run it too (coresift -l -d 31 ->
#                /coresift-d31.lzo, messages in /coresift.log; -z -d 31 ->
#                /coresift-d31.zst, /coresift-z.log); then power off.
#                Just before the panic, lab=first also saves makedumpfile
#                --mem-usage /proc/kcore (and coresift's --mem-usage and
#                --estimate when coresift is in the initramfs) in /first/.
#   lab=fill     fill memory and save the snapshot like lab=first, print
#                "LAB: READY", and idle
#                (for qemudump.sh, which dumps with QEMU's dump-guest-memory).
# Other knobs: lab.fill=PCT (percent of MemAvailable to use, default 60),
#   lab.mix=default|cache (memory mix; "cache" = mostly page cache: ext4 and
#   tmpfs files incl. a huge=always tmpfs, many anon THPs, few plain anon pages),
#   lab.ck=CMDLINE-EXTRA (extra capture-kernel args, ',' becomes ' '),
#   lab.shell=1 (drop to a shell instead of acting; needs an interactive serial).
# Every line meant for the host starts with "LAB:" so realdump.sh can grep it.

export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /tmp /mnt /dev/shm
mount -t tmpfs -o size=90% tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

up() { cut -d' ' -f1 /proc/uptime; }
log() { echo "LAB: [$(up)] $*"; }
arg() { # arg NAME -> value of NAME=... on the kernel command line
	for a in $(cat /proc/cmdline); do
		case "$a" in "$1"=*) echo "${a#*=}"; return 0 ;; esac
	done
	return 1
}
die() {
	log "FAILED: $*"
	sync
	sleep 1
	poweroff -f
}
secs_since() { awk -v a="$1" -v b="$(up)" 'BEGIN{printf "%.2f", b-a}'; }

MODE=$(arg lab || echo none)
log "init start mode=$MODE kernel=$(uname -r) cmdline: $(cat /proc/cmdline)"

# kernel modules, in dependency order (missing ones are built in or absent)
# (three passes, so a wrong order only costs a retry)
todo=$(cat /etc/lab-modules 2>/dev/null)
for pass in 1 2 3; do
	left=
	for m in $todo; do
		insmod /lib/modules/$m.ko 2>/dev/null || left="$left $m"
	done
	todo=$left
	[ -z "$todo" ] && break
done
[ -n "$todo" ] && log "modules not loaded:$todo"

sleep 1
disk_by_serial() {
	for d in /sys/block/vd*; do
		[ -f "$d/serial" ] && [ "$(cat $d/serial)" = "$1" ] && { echo /dev/${d##*/}; return 0; }
	done
	return 1
}
RAWDEV=$(disk_by_serial rawdump)
OUTDEV=$(disk_by_serial outfs)
log "disks: rawdump=${RAWDEV:-none} outfs=${OUTDEV:-none}"

[ "$(arg lab.shell)" = 1 ] && exec setsid cttyhack sh

start_memfill() { # start_memfill ARGS: memfill in the background, wait for "ready"
	/bin/memfill "$@" > /tmp/memfill.out 2>&1 &
	n=0
	while ! grep -q ready /tmp/memfill.out 2>/dev/null; do
		sleep 1; n=$((n + 1)); [ $n -gt 600 ] && break
	done
	sed 's/^/LAB: /' /tmp/memfill.out
}

text_file() { # text_file PATH MB: compressible, non-zero file content
	yes "kdump-lab text file $1: the quick brown fox jumps over the lazy dog" | head -c $(($2 * 1048576)) > "$1"
}

fill_memory() {
	pct=$(arg lab.fill || echo 60)
	mix=$(arg lab.mix || echo default)
	avail=$(awk '/^MemAvailable:/{print int($2/1024)}' /proc/meminfo)
	u=$(( avail * pct / 100 * 2 / 19 ))    # 9.5 units = pct% of MemAvailable
	log "MemTotal=$(awk '/^MemTotal:/{print int($2/1024)}' /proc/meminfo)MB MemAvailable=${avail}MB fill=${pct}% unit=${u}MB mix=$mix"
	t0=$(up)
	# hugetlb pool: 16 x 2MB reserved, 8 of them used by memfill
	echo 16 > /proc/sys/vm/nr_hugepages 2>/dev/null
	if [ "$mix" = cache ]; then
		fill_cache_mix
	else
		fill_default_mix
	fi
	log "fill done in $(secs_since $t0)s"
	grep -E '^(MemFree|Cached|AnonPages|AnonHugePages|ShmemHugePages|Shmem|HugePages_Total|HugePages_Free|HardwareCorrupted|Slab|Buffers):' /proc/meminfo | tr -s ' ' | sed 's/^/LAB: meminfo /'
}

# "cache" mix (9 units + 32 MB): anon THPs first (3u, before the page cache
# fragments memory), then block-device cache 1u, ext4 file cache 3u (2u random,
# 1u text), tmpfs 1u random + 1u text on a huge=always tmpfs (shmem THPs);
# only 16 MB random + 16 MB zero plain anon pages
fill_cache_mix() {
	start_memfill -r 16 -z 16 -t $((u * 3)) -H 8 -p 4
	if [ -n "$RAWDEV" ]; then
		exec 3<$RAWDEV
		dd if=/dev/urandom of=$RAWDEV bs=1M count=$u 2>/dev/null
		sync
		dd if=$RAWDEV of=/dev/null bs=1M count=$u 2>/dev/null
	fi
	if [ -n "$OUTDEV" ] && mount -t ext4 $OUTDEV /mnt 2>/dev/null; then
		dd if=/dev/urandom of=/mnt/scratch.bin bs=1M count=$((u * 2)) 2>/dev/null
		text_file /mnt/scratch-text.bin $u
		sync
		cat /mnt/scratch.bin /mnt/scratch-text.bin > /dev/null
	fi
	dd if=/dev/urandom of=/tmp/shm-random.bin bs=1M count=$u 2>/dev/null
	mkdir -p /tmp/huge
	mount -t tmpfs -o size=50%,huge=always tmpfs /tmp/huge || log "huge=always tmpfs failed"
	text_file /tmp/huge/shm-text.bin $u
}

fill_default_mix() {
	# page cache of a block device (clean after sync, buffer heads -> "cache private");
	# fd 3 keeps the device open: the last close of a block device drops its page cache
	if [ -n "$RAWDEV" ]; then
		exec 3<$RAWDEV
		dd if=/dev/urandom of=$RAWDEV bs=1M count=$((u * 2)) 2>/dev/null
		sync
		dd if=$RAWDEV of=/dev/null bs=1M count=$((u * 2)) 2>/dev/null
	fi
	# ext4 file page cache (outfs disk; the capture kernel deletes the file)
	if [ -n "$OUTDEV" ] && mount -t ext4 $OUTDEV /mnt 2>/dev/null; then
		dd if=/dev/urandom of=/mnt/scratch.bin bs=1M count=$u 2>/dev/null
		sync
		cat /mnt/scratch.bin > /dev/null
	fi
	# shmem/tmpfs: random and zero-filled files
	dd if=/dev/urandom of=/tmp/shm-random.bin bs=1M count=$u 2>/dev/null
	dd if=/dev/zero of=/tmp/shm-zero.bin bs=1M count=$((u / 2)) 2>/dev/null
	# anonymous memory: random, compressible, zero-content, THP, hugetlb, hwpoison
	start_memfill -r $((u * 2)) -c $((u * 2)) -z $u -t 32 -H 8 -p 4
}

# An independent record of page state just before the panic, for checking a
# collector's page classes: the kernel's own per-pfn flags (8 bytes a pfn) and
# map counts, plus the summary files. A few pages change while it is written.
snapshot_page_state() {
	if ! grep -q " /mnt " /proc/mounts; then
		[ -n "$OUTDEV" ] && mount -t ext4 $OUTDEV /mnt 2>/dev/null || { log "snapshot: no outfs"; return; }
	fi
	t0=$(up)
	mkdir -p /mnt/first
	for f in meminfo zoneinfo iomem vmstat; do
		cat /proc/$f > /mnt/first/$f
	done
	dd if=/proc/kpageflags of=/mnt/first/kpageflags bs=1M 2>/dev/null
	dd if=/proc/kpagecount of=/mnt/first/kpagecount bs=1M 2>/dev/null
	sync
	log "snapshot saved in $(secs_since $t0)s: kpageflags=$(stat -c %s /mnt/first/kpageflags) kpagecount=$(stat -c %s /mnt/first/kpagecount)"
}

# First-kernel views of the same memory, last thing before the panic (the
# dump the capture kernel writes is what they describe): makedumpfile's
# --mem-usage table, and, with coresift in the initramfs, coresift's table and
# its --estimate of the capture-kernel dump (tests/real/estimate.test).
# Outputs go to /first/ on the ext4 disk.
first_kernel_estimates() {
	grep -q " /mnt " /proc/mounts || return
	t0=$(up)
	makedumpfile --mem-usage /proc/kcore > /mnt/first/mdf-mem-usage.txt 2>&1
	log "makedumpfile --mem-usage rc=$? in $(secs_since $t0)s"
	if [ -x /usr/sbin/coresift ]; then
		t0=$(up)
		timeout 300 /usr/sbin/coresift --mem-usage /proc/kcore > /mnt/first/coresift-mem-usage.txt 2>&1
		log "coresift --mem-usage rc=$? in $(secs_since $t0)s"
		t0=$(up)
		timeout 300 /usr/sbin/coresift --estimate -d 31 --json-stats /mnt/first/coresift-estimate.json \
			/proc/kcore > /mnt/first/coresift-estimate.txt 2>&1
		log "coresift --estimate rc=$? in $(secs_since $t0)s"
		sed 's/^/LAB: estimate: /' /mnt/first/coresift-estimate.txt
	fi
	sed 's/^/LAB: mem-usage: /' /mnt/first/mdf-mem-usage.txt
	sync
}

case "$MODE" in
first)
	VMLINUZ=/boot/vmlinuz
	CKARGS="console=ttyS0 lab=capture irqpoll nr_cpus=1 reset_devices panic=10 $(arg lab.ck | tr ',' ' ')"
	log "crash kernel region size: $(cat /sys/kernel/kexec_crash_size)"
	t0=$(up)
	kexec -p $VMLINUZ --initrd=/boot/initrd-capture.img --append="$CKARGS" || die "kexec -p"
	log "kexec -p loaded=$(cat /sys/kernel/kexec_crash_loaded) in $(secs_since $t0)s args: $CKARGS"
	[ "$(cat /sys/kernel/kexec_crash_loaded)" = 1 ] || die "crash kernel not loaded"
	fill_memory
	snapshot_page_state
	first_kernel_estimates
	echo 1 > /proc/sys/kernel/sysrq
	log "PANIC NOW (sysrq-c)"
	sync
	echo c > /proc/sysrq-trigger
	die "still alive after sysrq-c"
	;;
fill)
	fill_memory
	snapshot_page_state
	log "READY"
	while :; do sleep 3600; done
	;;
capture)
	[ -e /proc/vmcore ] || die "no /proc/vmcore"
	VSIZE=$(stat -c %s /proc/vmcore)
	log "vmcore_size=$VSIZE"
	log "MemTotal(capture)=$(awk '/^MemTotal:/{print $2}' /proc/meminfo)kB"
	if [ -n "$RAWDEV" ]; then
		t0=$(up)
		dd if=/proc/vmcore of=$RAWDEV bs=1M 2>/tmp/dd.err || log "dd error: $(cat /tmp/dd.err)"
		sync
		log "raw copy done in $(secs_since $t0)s: $(tail -1 /tmp/dd.err)"
	fi
	if [ -n "$OUTDEV" ]; then
		mount -t ext4 $OUTDEV /mnt || die "mount outfs"
		rm -f /mnt/scratch*.bin
		sync
		t0=$(up)
		makedumpfile -l -d 31 --message-level 31 /proc/vmcore /mnt/dump-d31.lzo > /mnt/makedumpfile.log 2>&1
		rc=$?
		log "makedumpfile -l -d 31 rc=$rc in $(secs_since $t0)s size=$(stat -c %s /mnt/dump-d31.lzo 2>/dev/null)"
		sed 's/^/LAB: mdf /' /mnt/makedumpfile.log
		makedumpfile --dump-dmesg /proc/vmcore /mnt/dmesg.txt > /dev/null 2>&1
		log "dmesg lines=$(wc -l < /mnt/dmesg.txt)"
		if [ -x /usr/sbin/coresift ]; then
			# after makedumpfile, so a coresift crash cannot cost the reference dump
			log "coresift start: coresift -l -d 31 --message-level 31 /proc/vmcore /mnt/coresift-d31.lzo"
			t0=$(up)
			timeout 600 /usr/sbin/coresift -l -d 31 --message-level 31 /proc/vmcore /mnt/coresift-d31.lzo > /mnt/coresift.log 2>&1
			rc=$?
			sync
			log "coresift rc=$rc in $(secs_since $t0)s size=$(stat -c %s /mnt/coresift-d31.lzo 2>/dev/null || echo none) magic=$(head -c 8 /mnt/coresift-d31.lzo 2>/dev/null | tr -c 'A-Za-z0-9' _)"
			tail -40 /mnt/coresift.log | sed 's/^/LAB: coresift: /'
			# the same with zstd (for tests/real/estimate.test: size and peak RSS)
			t0=$(up)
			timeout 600 /usr/sbin/coresift -z -d 31 --message-level 31 /proc/vmcore /mnt/coresift-d31.zst > /mnt/coresift-z.log 2>&1
			rc=$?
			sync
			log "coresift -z rc=$rc in $(secs_since $t0)s size=$(stat -c %s /mnt/coresift-d31.zst 2>/dev/null || echo none)"
			grep -i 'peak' /mnt/coresift.log /mnt/coresift-z.log | sed 's/^/LAB: coresift: /'
		fi
		echo "$VSIZE" > /mnt/vmcore_size
		sync
		umount /mnt
	fi
	log "CAPTURE DONE"
	sync
	poweroff -f
	;;
*)
	log "unknown mode, starting a shell"
	exec setsid cttyhack sh
	;;
esac
