# crashkernel.sh - shared steps of the real --estimate / crashkernel= tests
# (sourced after tests/lib.sh by estimate.test, crashkernel-4G.test,
# estimate-6.12.test).
#
# est_cycle NAME MEM KERNEL [CRASHKERNEL]
#     one uncached kdump cycle (tests/lab/realdump.sh) with this coresift in
#     the initramfs, the first kernel booted with crashkernel=CRASHKERNEL
#     (default: the lab's 256M); sets RUN and CON.  The first kernel's
#     initramfs also gets /var/lib/kdump/initrd.img-RELEASE -> the capture
#     initrd it loads with kexec -p (LAB_FIRST_CPIO), where Debian's
#     kdump-tools keeps it and where --estimate looks for it first.
#     Just before the panic the guest runs coresift --estimate -d 31; the
#     capture kernel then writes coresift -l -d 31 and -z -d 31 dumps.
# est_check_estimate
#     the estimate of $RUN predicted both dumps' sizes and coresift's peak RSS
#     in the capture kernel within 10%, and found the kdump initrd.
# est_recommended   -> the recommended crashkernel= of $RUN, in MiB
# ck_check MIB
#     $RUN was booted with crashkernel=MIBM, the capture kernel had that
#     reservation, coresift completed both dumps there, every page of them
#     equals the vmcore's (tests/kdumpcheck --compare) and, on 6.1, crash
#     opens the -l dump (sys: release, panic).
# On failure the run's logs are kept in $LAB_DATA/runs/estimate-last/.

est_keep() {
	rm -rf "$LAB_DATA/runs/estimate-last"
	mkdir -p "$LAB_DATA/runs/estimate-last"
	cp "$TMP"/*.log "$RUN"/*.txt "$RUN"/*.log "$RUN"/*.json "$RUN/iomem" \
		"$LAB_DATA/runs/estimate-last/" 2> /dev/null
	fail "$* (logs kept in $LAB_DATA/runs/estimate-last/)"
}

est_cycle() {
	_name=$1 _mem=$2 _kernel=$3 _ck=${4:-}
	RUN=$TMP/$_name
	CON=$RUN/console.txt
	EST_REL=$(lab_release "$_kernel") || broken "cannot resolve kernel $_kernel"
	if [ -n "${ESTIMATE_RUNS:-}" ]; then	# re-check finished runs (development)
		RUN=$ESTIMATE_RUNS/$_name
		CON=$RUN/console.txt
	else
		_cp=$TMP/cpio-$EST_REL
		rm -rf "$_cp"
		mkdir -p "$_cp/var/lib/kdump"
		ln -s /boot/initrd-capture.img "$_cp/var/lib/kdump/initrd.img-$EST_REL"
		(cd "$_cp" && find var | LC_ALL=C sort | cpio -o -H newc --quiet | gzip) > "$_cp.cpio.gz" ||
			broken "cannot make the kdump initrd link archive"
		_rc=0
		_t0=$(date +%s)
		LAB_RUN_DIR=$RUN CORESIFT_BIN=$CORESIFT LAB_FIRST_CPIO=$_cp.cpio.gz \
			LAB_CRASHKERNEL=${_ck:+${_ck}M} \
			bash "$LAB_DIR/realdump.sh" "$_mem" "$_kernel" > "$TMP/realdump-$_name.log" 2>&1 || _rc=$?
		echo "$_name: kdump cycle $_mem $_kernel crashkernel=${_ck:-256}M: realdump rc=$_rc in $(( $(date +%s) - _t0 ))s"
	fi
	[ -s "$CON" ] || { cat "$TMP/realdump-$_name.log" 2> /dev/null; est_keep "$_name: the kdump cycle did not run"; }
	grep -E 'LAB: .*(crash kernel region|MemTotal\(capture\)|--estimate rc|coresift rc|coresift -z rc|peak|CAPTURE DONE|FAILED)' "$CON"
	return 0
}

est_json() { # est_json PYTHON-EXPRESSION-OF-j
	python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
		"$RUN/coresift-estimate.json" "$1"
}

est_recommended() {
	est_json 'j["crashkernel"]["recommended_mib"]'
}

est_check_estimate() {
	grep -q 'LAB: .*coresift --estimate rc=0' "$CON" || est_keep "coresift --estimate failed in the first kernel"
	grep -q 'LAB: .*coresift rc=0' "$CON" || est_keep "coresift -l -d 31 failed in the capture kernel"
	grep -q 'LAB: .*coresift -z rc=0' "$CON" || est_keep "coresift -z -d 31 failed in the capture kernel"
	for _f in coresift-estimate.json coresift-estimate.txt coresift-d31.lzo coresift-d31.zst coresift.log coresift-z.log; do
		[ -s "$RUN/$_f" ] || est_keep "$_f missing from the run"
	done
	# the kdump initrd the first kernel loaded was found and measured
	expect_eq "initrd the estimate used" "$(est_json 'j["crashkernel"]["initrd"]')" \
		"/var/lib/kdump/initrd.img-$EST_REL"
	expect_eq "unpacked size from the gzip trailer" "$(est_json 'j["crashkernel"]["initrd_unpacked_exact"]')" True
	_est_codec lzo coresift-d31.lzo coresift.log
	_est_codec zstd coresift-d31.zst coresift-z.log
	sed -n '/^crashkernel=/,$p' "$RUN/coresift-estimate.txt"
}

_est_codec() { # _est_codec CODEC FILE LOG
	_pred=$(python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
for l in j["levels"]:
    if l["dump_level"] == 31:
        for c in l["codecs"]:
            if c["codec"] == sys.argv[2]:
                print(c["dump_bytes"], c["peak_rss_kib"])' "$RUN/coresift-estimate.json" "$1")
	[ -n "$_pred" ] || est_keep "no level-31 $1 estimate in the JSON"
	_real=$(stat -c %s "$RUN/$2")
	_rss=$(sed -n 's/.*peak memory (RSS): \([0-9]*\) KiB.*/\1/p' "$RUN/$3" | tail -1)
	[ -n "$_rss" ] || est_keep "no peak memory line in $3"
	python3 - "$1" $_pred "$_real" "$_rss" <<'EOF' || est_keep "$1: estimate off by more than 10% (above)"
import sys
c, ps, pr, rs, rr = sys.argv[1], *map(int, sys.argv[2:])
ds, dr = (ps - rs) / rs * 100, (pr - rr) / rr * 100
print("  -d 31 %s: size predicted %d, written %d (%+.1f%%); peak RSS predicted %d KiB, measured %d KiB (%+.1f%%)"
      % (c, ps, rs, ds, pr, rr, dr))
sys.exit(abs(ds) > 10 or abs(dr) > 10)
EOF
}

ck_check() {
	_mib=$1
	grep -q "LAB: .*init start mode=first .*crashkernel=${_mib}M" "$CON" ||
		est_keep "the first kernel was not booted with crashkernel=${_mib}M"
	expect_eq "crash kernel region" "$(sed -n 's/.*LAB: .*crash kernel region size: \([0-9]*\).*/\1/p' "$CON")" \
		$(( _mib * 1048576 ))
	grep -q 'LAB: .*init start mode=capture' "$CON" ||
		{ tail -40 "$CON"; est_keep "crashkernel=${_mib}M: the capture kernel never reached /init"; }
	grep -q 'LAB: .*coresift rc=0' "$CON" ||
		{ tail -40 "$CON"; est_keep "crashkernel=${_mib}M: coresift -l -d 31 did not complete in the capture kernel"; }
	grep -q 'LAB: .*coresift -z rc=0' "$CON" ||
		{ tail -40 "$CON"; est_keep "crashkernel=${_mib}M: coresift -z -d 31 did not complete in the capture kernel"; }
	grep -q 'LAB: .*CAPTURE DONE' "$CON" || est_keep "crashkernel=${_mib}M: the capture kernel did not finish"
	grep -qi 'out of memory\|oom-kill' "$CON" && est_keep "crashkernel=${_mib}M: the OOM killer ran"
	[ -s "$RUN/vmcore" ] || est_keep "no vmcore copied from the capture kernel"
	for _d in coresift-d31.lzo coresift-d31.zst; do
		"$top_builddir/tests/kdumpcheck" --compare "$RUN/vmcore" "$RUN/$_d" > "$TMP/chk-$_d" ||
			{ cat "$TMP/chk-$_d"; est_keep "kdumpcheck: $_d differs from the vmcore"; }
		grep -q ' level=31 incomplete=0$' "$TMP/chk-$_d" || est_keep "kdumpcheck summary of $_d: $(cat "$TMP/chk-$_d")"
		echo "  $_d: $(cat "$TMP/chk-$_d")"
	done
	case "$EST_REL" in
	6.1.*)
		lab_vmlinux 6.1
		oracle_crash "$LAB_VMLINUX" "$RUN/coresift-d31.lzo" sys > "$TMP/crash.txt" ||
			{ tail -30 "$TMP/crash.txt"; est_keep "crash cannot open the dump written with crashkernel=${_mib}M"; }
		expect_eq "crash sys RELEASE" "$(sed -n 's/^ *RELEASE: //p' "$TMP/crash.txt" | head -1)" "$EST_REL"
		grep -q '^ *PANIC: .*sysrq' "$TMP/crash.txt" || est_keep "crash sys: PANIC does not mention sysrq"
		;;
	esac
}
