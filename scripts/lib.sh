# shellcheck shell=bash
# Shared by scripts/run, scripts/test, scripts/demo and scripts/bench.

# Run as root: re-exec through sudo when started as a user.
garpd_need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		if command -v sudo >/dev/null 2>&1; then
			exec sudo -E "$0" "$@"
		fi
		echo "$0: must run as root (network namespaces, AF_PACKET)" >&2
		exit 1
	fi
}

# Install whichever of the named Debian packages are missing.
garpd_install() {
	local missing=() p
	for p in "$@"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
			missing+=("$p")
		fi
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "Installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# Wait for another apt (a second script, unattended-upgrades) to finish.
	apt-get -o DPkg::Lock::Timeout=600 update -qq
	apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
}

# What building garpd needs.
GARPD_BUILD_DEPS=(gcc libc6-dev pkg-config meson ninja-build libmnl-dev libcap-dev libinih-dev
	scdoc)
# What scripts/package needs on top: Debian's packaging tools and lintian.
GARPD_PACKAGE_DEPS=(debhelper dpkg-dev fakeroot lintian)
# What the tests need on top.
GARPD_TEST_DEPS=(libcmocka-dev iproute2 python3 man-db systemd qemu-system-x86 busybox-static kmod cpio
	systemd-container mmdebstrap binutils nftables clang-format)
# What scripts/fuzz needs on top: clang with libFuzzer, llvm-cov/llvm-profdata for --coverage.
GARPD_FUZZ_DEPS=(clang libclang-rt-dev llvm)

# garpd_build DIR [meson options...]: configure (once) and build.
garpd_build() {
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@"
	else
		meson configure "$dir" "$@" >/dev/null
	fi
	meson compile -C "$dir"
}
