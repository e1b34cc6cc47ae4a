/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one AF_PACKET socket: unbound, so it sends on any ifindex given in
 * sockaddr_ll and receives ARP from every interface; a classic BPF
 * program decides what reaches userspace.
 */

#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "garp-packet.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

/* Nothing passes: while no address is probing, ARP on the segment must not wake us. */
static const struct sock_filter filter_drop_all[] = {
	BPF_STMT(BPF_RET | BPF_K, 0), /* drop */
};

/*
 * IPv4-over-Ethernet ARP requests and replies, at least an ARP header long.
 * A tag the NIC or the kernel stripped is not in the packet (it is in
 * PACKET_AUXDATA), so offset 12 is usually the ethertype; a tag left
 * in-band (a VLAN device with reorder_hdr off) moves the ARP header by 4,
 * and pkt_rx_same_vlan() decides whose VLAN the frame is. Userspace still
 * checks every field (pkt_parse_arp). X holds the tag's length, 0 or 4.
 */
static const struct sock_filter filter_arp[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),				       /* A = length */
	BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, PKT_ETH_HLEN + PKT_ARP_LEN, 1, 0), /* long enough? */
	BPF_STMT(BPF_RET | BPF_K, 0),					       /* no: drop */
	BPF_STMT(BPF_LDX | BPF_W | BPF_IMM, 0),				       /* X = 0 */
	BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),				       /* A = ethertype */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PKT_ETHERTYPE_VLAN, 0, 2),	       /* a tag? */
	BPF_STMT(BPF_LDX | BPF_W | BPF_IMM, PKT_VLAN_HLEN),		       /* yes: X = 4 */
	BPF_STMT(BPF_LD | BPF_H | BPF_IND, 12),				       /* A = inner type */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PKT_ETHERTYPE_ARP, 1, 0),	       /* ARP? */
	BPF_STMT(BPF_RET | BPF_K, 0),					       /* no: drop */
	BPF_STMT(BPF_LD | BPF_W | BPF_IND, PKT_ETH_HLEN),		       /* A = htype,ptype */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x00010800, 1, 0),		       /* Ethernet/IPv4? */
	BPF_STMT(BPF_RET | BPF_K, 0),					       /* no: drop */
	BPF_STMT(BPF_RET | BPF_K, PKT_ETH_HLEN + PKT_ARP_LEN + PKT_VLAN_HLEN), /* pass the header */
};

/*
 * IPv6 neighbour solicitations and advertisements, for the ND socket
 * (pkt_socket_open_nd()): ethertype IPv6, next header ICMPv6 with no
 * extension header, hop limit 255 (RFC 4861 §7.1: anything else is
 * invalid), type 135 or 136, at least an NS/NA long. Everything else
 * that is IPv6 (the socket sees only IPv6) is dropped in the kernel;
 * userspace checks every field again (pkt_parse_nd).
 */
#define ND_OFF_NH (PKT_ETH_HLEN + 6)
#define ND_OFF_HOP (PKT_ETH_HLEN + 7)
#define ND_OFF_TYPE (PKT_ETH_HLEN + 40)
static const struct sock_filter filter_nd[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),				   /* A = length */
	BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, PKT_ETH_HLEN + 40 + 24, 1, 0), /* long enough? */
	BPF_STMT(BPF_RET | BPF_K, 0),					   /* no: drop */
	BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),				   /* A = ethertype */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x86dd, 1, 0),		   /* IPv6? */
	BPF_STMT(BPF_RET | BPF_K, 0),					   /* no: drop */
	BPF_STMT(BPF_LD | BPF_H | BPF_ABS, ND_OFF_NH),			   /* A = next,hop */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 58 << 8 | 255, 1, 0),	   /* ICMPv6, 255? */
	BPF_STMT(BPF_RET | BPF_K, 0),					   /* no: drop */
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, ND_OFF_TYPE),		   /* A = type */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 135, 2, 0),			   /* NS? */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 136, 1, 0),			   /* NA? */
	BPF_STMT(BPF_RET | BPF_K, 0),					   /* no: drop */
	BPF_STMT(BPF_RET | BPF_K, 0xffff),				   /* whole frame */
};

int pkt_socket_set_filter(int fd, enum pkt_filter filter)
{
	struct sock_fprog prog;

	switch (filter) {
	case PKT_FILTER_DROP_ALL:
		prog.len = sizeof(filter_drop_all) / sizeof(filter_drop_all[0]);
		prog.filter = (struct sock_filter *)filter_drop_all;
		break;
	case PKT_FILTER_ARP:
		prog.len = sizeof(filter_arp) / sizeof(filter_arp[0]);
		prog.filter = (struct sock_filter *)filter_arp;
		break;
	case PKT_FILTER_ND:
		prog.len = sizeof(filter_nd) / sizeof(filter_nd[0]);
		prog.filter = (struct sock_filter *)filter_nd;
		break;
	default:
		return -EINVAL;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
		return -errno;
	return 0;
}

/*
 * Frames queued before the drop-all filter was attached may still sit in
 * the receive queue; read them away so the filter is the only gate.
 */
static void drain(int fd)
{
	uint8_t buf[64];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC) >= 0)
		;
}

int pkt_socket_open(int *ret_fd)
{
	int fd, r, one = 1;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ARP));
	if (fd < 0)
		return -errno;

	r = pkt_socket_set_filter(fd, PKT_FILTER_DROP_ALL);
	if (r < 0)
		goto fail;
	drain(fd);

	/* The tag the kernel took off a received frame, for pkt_rx_same_vlan(). */
	if (setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) < 0) {
		r = -errno;
		goto fail;
	}

	/* Our own frames come back as PACKET_OUTGOING; pkt_recv() also skips them on old kernels.
	 */
	if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0 &&
	    errno != ENOPROTOOPT) {
		r = -errno;
		goto fail;
	}

	*ret_fd = fd;
	return 0;
fail:
	close(fd);
	return r;
}

int pkt_socket_open_nd(int *ret_fd)
{
	int fd, r, one = 1;

	/* ETH_P_IPV6, not ETH_P_ALL: the kernel never clones our outgoing traffic for it */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_IPV6));
	if (fd < 0)
		return -errno;
	r = pkt_socket_set_filter(fd, PKT_FILTER_DROP_ALL);
	if (r < 0)
		goto fail;
	drain(fd);
	if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0 &&
	    errno != ENOPROTOOPT) {
		r = -errno;
		goto fail;
	}
	/* the tag the kernel took off, for pkt_rx_same_vlan() */
	if (setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) < 0) {
		r = -errno;
		goto fail;
	}
	*ret_fd = fd;
	return 0;
fail:
	close(fd);
	return r;
}

static void fill_sll(struct sockaddr_ll *sll, int ifindex, const struct pkt_frame *frame)
{
	memset(sll, 0, sizeof(*sll));
	sll->sll_family = AF_PACKET;
	sll->sll_ifindex = ifindex;
	sll->sll_halen = PKT_ETH_ALEN;
	memcpy(sll->sll_addr, frame->data, PKT_ETH_ALEN);
	/* The ethertype (after a tag, if any); SOCK_RAW sends the header as built. */
	memcpy(&sll->sll_protocol, frame->data + 12, 2);
}

int pkt_send(int fd, int ifindex, const struct pkt_frame *frame)
{
	struct sockaddr_ll sll;

	fill_sll(&sll, ifindex, frame);
	if (sendto(fd, frame->data, frame->len, 0, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -errno;
	return 0;
}

#define BATCH 64

int pkt_send_batch(int fd, const struct pkt_out *out, size_t n)
{
	struct sockaddr_ll sll[BATCH];
	struct iovec iov[BATCH];
	struct mmsghdr msg[BATCH];
	size_t done = 0;

	while (done < n) {
		size_t k = n - done < BATCH ? n - done : BATCH;
		int r;

		for (size_t i = 0; i < k; i++) {
			const struct pkt_out *o = &out[done + i];

			fill_sll(&sll[i], o->ifindex, &o->frame);
			iov[i].iov_base = (void *)o->frame.data;
			iov[i].iov_len = o->frame.len;
			memset(&msg[i], 0, sizeof(msg[i]));
			msg[i].msg_hdr.msg_name = &sll[i];
			msg[i].msg_hdr.msg_namelen = sizeof(sll[i]);
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
		}
		r = sendmmsg(fd, msg, (unsigned int)k, 0);
		if (r < 0) {
			if (done > 0)
				break;
			return -errno;
		}
		done += (size_t)r;
		if ((size_t)r < k)
			break;
	}
	return (int)done;
}

int pkt_recv_rx(int fd, void *buf, size_t size, size_t *ret_len, struct pkt_rx *ret)
{
	for (;;) {
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
		} control;
		struct sockaddr_ll sll;
		struct iovec iov = { .iov_base = buf, .iov_len = size };
		struct msghdr msg = {
			.msg_name = &sll,
			.msg_namelen = sizeof(sll),
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = &control,
			.msg_controllen = sizeof(control),
		};
		ssize_t n;

		n = recvmsg(fd, &msg, MSG_DONTWAIT);
		if (n < 0)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		if (msg.msg_namelen < sizeof(sll) - sizeof(sll.sll_addr) ||
		    sll.sll_pkttype == PACKET_OUTGOING)
			continue;
		*ret = (struct pkt_rx){ .ifindex = sll.sll_ifindex, .pkttype = sll.sll_pkttype };
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			struct tpacket_auxdata aux;

			if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA ||
			    c->cmsg_len < CMSG_LEN(sizeof(aux)))
				continue;
			memcpy(&aux, CMSG_DATA(c), sizeof(aux));
			/* old kernels: no TP_STATUS_VLAN_VALID, a nonzero TCI says it */
			if (aux.tp_status & TP_STATUS_VLAN_VALID || aux.tp_vlan_tci) {
				ret->vlan_valid = true;
				ret->vlan = aux.tp_vlan_tci & 0x0fff;
			}
		}
		*ret_len = (size_t)n;
		return 0;
	}
}

int pkt_recv(int fd, void *buf, size_t size, size_t *ret_len, int *ret_ifindex)
{
	struct pkt_rx rx;
	int r = pkt_recv_rx(fd, buf, size, ret_len, &rx);

	if (r == 0)
		*ret_ifindex = rx.ifindex;
	return r;
}
