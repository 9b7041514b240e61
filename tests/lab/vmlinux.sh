#!/bin/bash
# vmlinux.sh - make sure the debug vmlinux of a lab kernel exists and print its path.
#
# Usage: tests/lab/vmlinux.sh KERNEL      (6.1, 6.12 or a full release)
# Downloads linux-image-<rel>-dbg once (~300 MB, deleted after extracting the
# vmlinux); the last line of stdout is $LAB_DATA/kernels/<rel>/vmlinux.
set -euo pipefail
. "$(dirname "$0")/common.sh"
[ $# -eq 1 ] || { echo "usage: $0 KERNEL" >&2; exit 2; }
rel=$("$LAB/getkernel.sh" "$1" --dbg | tail -1)
echo "$LAB_DATA/kernels/$rel/vmlinux"
