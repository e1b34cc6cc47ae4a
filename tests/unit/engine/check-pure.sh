#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The engine is pure (DESIGN.md): no sockets, no clocks, no signals, no file
# I/O. Its static library must not refer to any such function; every
# undefined symbol of every object in it is checked against the list.
# Usage: check-pure.sh NM LIBRARY.a
set -eu
nm=$1
lib=$2
[ -f "$lib" ] || { echo "no such library: $lib" >&2; exit 1; }

forbidden='
socket socketpair bind connect listen accept accept4 shutdown
send sendto sendmsg sendmmsg recv recvfrom recvmsg recvmmsg
setsockopt getsockopt getsockname getpeername
poll ppoll select pselect epoll_create epoll_create1 epoll_ctl epoll_wait epoll_pwait
clock_gettime clock_getres clock_nanosleep gettimeofday time nanosleep usleep sleep
timerfd_create timerfd_settime timerfd_gettime timer_create timer_settime alarm setitimer
signal sigaction sigprocmask pthread_sigmask signalfd kill raise sigwait sigwaitinfo
open open64 openat openat64 creat read write pread pwrite readv writev close ioctl fcntl
fopen fdopen fread fwrite fclose
mnl_socket_open mnl_socket_open2 mnl_socket_sendto mnl_socket_recvfrom
pkt_socket_open pkt_socket_set_filter pkt_send pkt_send_batch pkt_recv
gnl_new gnl_start gnl_dispatch
'

undefined=$("$nm" -u "$lib" | awk 'NF == 2 && $1 == "U" { print $2 } NF == 1 && $1 !~ /:$/ { print $1 }' |
	sed 's/@.*//' | sort -u)
[ -n "$undefined" ] || { echo "$lib: no undefined symbols at all: is this the right library?" >&2; exit 1; }

bad=0
for sym in $undefined; do
	base=${sym#__}   # __open_2, __read_chk, ... count too
	base=${base%_chk}
	base=${base%_2}
	for f in $forbidden; do
		if [ "$sym" = "$f" ] || [ "$base" = "$f" ]; then
			echo "$lib: refers to $sym: the engine must not touch sockets, clocks, signals or files" >&2
			bad=1
		fi
	done
done
[ $bad -eq 0 ] || exit 1
echo "$lib: $(echo "$undefined" | wc -l) undefined symbols, none forbidden"
