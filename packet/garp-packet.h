/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * packet/: gratuitous ARP frames, built and parsed, and the one AF_PACKET
 * socket garpd sends and receives them on.
 *
 * The builders and the parser are pure: they take buffers and values and
 * touch nothing else. Addresses are in network byte order (struct in_addr),
 * MACs are 6 bytes.
 */

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "garp-addr.h"

#define PKT_ETH_ALEN 6
#define PKT_ETH_HLEN 14
#define PKT_VLAN_HLEN 4
#define PKT_ARP_LEN 28
/* Minimum Ethernet frame without FCS; shorter frames are zero-padded. */
#define PKT_FRAME_MIN 60
/*
 * The largest frame we build: a tagged IPv6 neighbour advertisement
 * (Ethernet 14 + tag 4 + IPv6 40 + NA 24 + one option 8); ARP frames are
 * PKT_FRAME_MIN, plus the tag when tagged.
 */
#define PKT_FRAME_MAX (PKT_ETH_HLEN + PKT_VLAN_HLEN + 40 + 32)
#define PKT_VLAN_NONE 0
#define PKT_VLAN_MAX 4094

#define PKT_ETHERTYPE_ARP 0x0806
#define PKT_ETHERTYPE_RARP 0x8035
#define PKT_ETHERTYPE_VLAN 0x8100

#define PKT_ARPOP_REQUEST 1
#define PKT_ARPOP_REPLY 2
#define PKT_ARPOP_RREQUEST 3

/* A frame ready for the wire, Ethernet header included, FCS not. */
struct pkt_frame {
	uint16_t len;
	uint8_t data[PKT_FRAME_MAX];
};

/* What an announcement request carries as target hardware address. */
enum pkt_tha {
	PKT_THA_BROADCAST,
	PKT_THA_ZERO,
};

/*
 * Every builder takes an optional 802.1Q VLAN id (PKT_VLAN_NONE for an
 * untagged frame) and returns 0, or -EINVAL for a VLAN id above
 * PKT_VLAN_MAX.
 */

/**
 * pkt_build_probe() - ARP probe (RFC 5227 §2.1.1): who-has @tpa, from @mac
 * @ret: the frame
 * @mac: our MAC (Ethernet source and SHA)
 * @tpa: the address being probed (TPA); SPA is 0.0.0.0, THA zero
 * @vlan: VLAN id or PKT_VLAN_NONE
 *
 * Return: 0, or -EINVAL for a bad VLAN id.
 */
int pkt_build_probe(struct pkt_frame *ret, const uint8_t mac[PKT_ETH_ALEN], struct in_addr tpa,
		    uint16_t vlan);

/**
 * pkt_build_announce_request() - gratuitous ARP request, SPA = TPA = @addr
 * @ret: the frame
 * @mac: our MAC (Ethernet source and SHA)
 * @addr: the announced address
 * @tha: THA broadcast (the default: some devices ignore a zero THA) or zero
 * @vlan: VLAN id or PKT_VLAN_NONE
 *
 * Return: 0, or -EINVAL for a bad VLAN id or @tha.
 */
int pkt_build_announce_request(struct pkt_frame *ret, const uint8_t mac[PKT_ETH_ALEN],
			       struct in_addr addr, enum pkt_tha tha, uint16_t vlan);

/**
 * pkt_build_announce_reply() - gratuitous ARP reply, SPA = TPA = @addr
 * @ret: the frame
 * @mac: our MAC (Ethernet source, SHA and THA: Linux takes a reply as
 *       gratuitous only when THA equals SHA)
 * @addr: the announced address
 * @vlan: VLAN id or PKT_VLAN_NONE
 *
 * Return: 0, or -EINVAL for a bad VLAN id.
 */
int pkt_build_announce_reply(struct pkt_frame *ret, const uint8_t mac[PKT_ETH_ALEN],
			     struct in_addr addr, uint16_t vlan);

enum pkt_relearn {
	PKT_RELEARN_RARP, /* RARP request, SHA = THA = the MAC, no IPs (what QEMU sends) */
	PKT_RELEARN_ARP,  /* ARP request from the MAC, SPA = TPA = 0.0.0.0 */
};

/**
 * pkt_build_relearn() - a frame that makes a switch learn @mac on our port
 * @ret: the frame
 * @mac: the MAC the switch must relearn (Ethernet source), e.g. a guest's
 * @kind: PKT_RELEARN_RARP or PKT_RELEARN_ARP
 * @vlan: VLAN id or PKT_VLAN_NONE
 *
 * No IP stack changes its cache on either form.
 *
 * Return: 0, or -EINVAL for a bad VLAN id or @kind.
 */
int pkt_build_relearn(struct pkt_frame *ret, const uint8_t mac[PKT_ETH_ALEN], enum pkt_relearn kind,
		      uint16_t vlan);

/**
 * pkt_build_directed_request() - "who-has @tpa tell @spa", addressed to one neighbour
 * @ret: the frame
 * @mac: our MAC (Ethernet source and SHA)
 * @spa: the announced address (SPA)
 * @dst: the neighbour's MAC (Ethernet destination), or NULL for broadcast
 *       when it is not known
 * @tpa: the neighbour's own address (TPA); THA is zero
 * @vlan: VLAN id or PKT_VLAN_NONE
 *
 * The directed refresh (packet-refresh.c): the target of a request records
 * the sender's (SPA, SHA) to answer it (RFC 826), whatever it does with
 * gratuitous ARP.
 *
 * Return: 0, or -EINVAL for a bad VLAN id.
 */
int pkt_build_directed_request(struct pkt_frame *ret, const uint8_t mac[PKT_ETH_ALEN],
			       struct in_addr spa, const uint8_t dst[PKT_ETH_ALEN],
			       struct in_addr tpa, uint16_t vlan);

/* A received ARP frame, parsed. */
struct pkt_arp {
	uint8_t eth_dst[PKT_ETH_ALEN];
	uint8_t eth_src[PKT_ETH_ALEN];
	bool tagged;   /* an in-band 802.1Q tag was present */
	uint16_t vlan; /* its VLAN id (0 when untagged) */
	uint16_t op;   /* PKT_ARPOP_REQUEST or PKT_ARPOP_REPLY */
	uint8_t sha[PKT_ETH_ALEN];
	struct in_addr spa;
	uint8_t tha[PKT_ETH_ALEN];
	struct in_addr tpa;
};

/**
 * pkt_parse_arp() - parse an Ethernet ARP frame for IPv4, strictly
 * @buf: the frame from its Ethernet header on (FCS not included)
 * @len: bytes in @buf
 * @ret: the parsed frame, written only on success
 *
 * Accepts htype 1, ptype 0x0800, hlen 6, plen 4, op 1 or 2, with or without
 * one 802.1Q tag. Never reads past @len.
 *
 * Return: 0, -EBADMSG for a frame too short for what it claims, or
 * -EPROTO for one that is not Ethernet/IPv4 ARP request or reply.
 */
int pkt_parse_arp(const void *buf, size_t len, struct pkt_arp *ret);

/**
 * pkt_is_probe() - whether a parsed frame is an ARP probe (SPA 0.0.0.0)
 */
bool pkt_is_probe(const struct pkt_arp *arp);

/* The socket. */

enum pkt_filter {
	PKT_FILTER_DROP_ALL, /* nothing reaches userspace: idle, no wakeups */
	PKT_FILTER_ARP,	     /* IPv4 ARP requests and replies only */
	PKT_FILTER_ND,	     /* IPv6 neighbour solicitations and advertisements only */
};

/**
 * pkt_socket_open() - open the AF_PACKET socket, unbound to any interface
 * @ret_fd: the socket, non-blocking and close-on-exec
 *
 * Receives ARP from every interface, filtered with PKT_FILTER_DROP_ALL
 * until told otherwise; our own outgoing frames are not looped back.
 * Needs CAP_NET_RAW.
 *
 * Return: 0, or a negative errno (-EPERM without CAP_NET_RAW).
 */
int pkt_socket_open(int *ret_fd);

/**
 * pkt_socket_open_nd() - a second AF_PACKET socket, for IPv6 only
 * @ret_fd: the socket, non-blocking and close-on-exec
 *
 * Receives IPv6 from every interface, filtered with PKT_FILTER_DROP_ALL
 * until told otherwise (PKT_FILTER_ND while garpd's own DAD probes run).
 * Sending works as on the first socket. Needs CAP_NET_RAW.
 *
 * Return: 0, or a negative errno.
 */
int pkt_socket_open_nd(int *ret_fd);

/**
 * pkt_socket_set_filter() - attach one of the classic BPF programs
 * Return: 0 or a negative errno.
 */
int pkt_socket_set_filter(int fd, enum pkt_filter filter);

/**
 * pkt_send() - send one frame out of @ifindex
 * Return: 0, or a negative errno (-EAGAIN when the queue is full).
 */
int pkt_send(int fd, int ifindex, const struct pkt_frame *frame);

/* One frame and where it goes, for pkt_send_batch(). */
struct pkt_out {
	int ifindex;
	struct pkt_frame frame;
};

/**
 * pkt_send_batch() - send up to @n frames with as few syscalls as possible
 * @fd: the packet socket
 * @out: the frames, sent in order
 * @n: how many
 *
 * Return: how many were sent (may be fewer than @n when the socket would
 * block), or a negative errno when the first one failed.
 */
int pkt_send_batch(int fd, const struct pkt_out *out, size_t n);

/**
 * pkt_recv() - receive one frame that was not sent by this host
 * @fd: the packet socket
 * @buf: where the frame goes
 * @size: size of @buf
 * @ret_len: the frame's length (at most @size)
 * @ret_ifindex: the interface it arrived on
 *
 * Return: 0, -EAGAIN when nothing is queued, or a negative errno.
 */
int pkt_recv(int fd, void *buf, size_t size, size_t *ret_len, int *ret_ifindex);

/* <linux/if_packet.h>'s PACKET_OTHERHOST: a frame not for this host. */
#define PKT_PACKET_OTHERHOST 3

/* What the kernel tells about a received frame besides its bytes. */
struct pkt_rx {
	int ifindex;	 /* the interface it arrived on */
	uint8_t pkttype; /* PACKET_HOST, PACKET_BROADCAST, PACKET_OTHERHOST, ... */
	bool vlan_valid; /* the kernel took an 802.1Q tag off (PACKET_AUXDATA): vlan is its id */
	uint16_t vlan;
};

/**
 * pkt_recv_rx() - pkt_recv(), with what the kernel said about the frame
 * @fd: the packet socket
 * @buf: where the frame goes
 * @size: size of @buf
 * @ret_len: the frame's length (at most @size)
 * @ret: interface, packet type and the tag the kernel took off, if any
 *
 * Return: 0, -EAGAIN when nothing is queued, or a negative errno.
 */
int pkt_recv_rx(int fd, void *buf, size_t size, size_t *ret_len, struct pkt_rx *ret);

/**
 * pkt_rx_same_vlan() - whether a received frame belongs to its interface's VLAN
 * @eth_dst: the frame's Ethernet destination
 * @tagged: it had an in-band 802.1Q tag (as pkt_parse_arp()/pkt_parse_nd() say)
 * @vlan: that tag's VLAN id
 * @rx: what the kernel said about it
 * @link_mac: the interface's MAC
 * @link_vlan: the interface's VLAN id when it is a VLAN device, else 0
 *
 * A frame counts for an interface only when its VLAN is the interface's:
 * untagged or priority-tagged (VID 0) for a plain interface, its own VID for
 * a VLAN device (the kernel usually takes that tag off; with reorder_hdr off
 * it stays in-band). The kernel hands another VLAN's frame to the parent's
 * packet sockets with the tag in PACKET_AUXDATA, in-band, or already taken
 * off and marked PACKET_OTHERHOST; a broadcast, multicast or our own MAC
 * as destination cannot be PACKET_OTHERHOST otherwise, so such a frame
 * never counts, whatever tag is left in-band (a VLAN device with
 * reorder_hdr off puts its own tag back in front of an inner one that had
 * no device). (A frame of another
 * VLAN unicast to a third host, seen in promiscuous mode, cannot be told
 * from one of ours and still counts.)
 *
 * Return: true when the frame counts for the interface.
 */
bool pkt_rx_same_vlan(const uint8_t eth_dst[PKT_ETH_ALEN], bool tagged, uint16_t vlan,
		      const struct pkt_rx *rx, const uint8_t link_mac[PKT_ETH_ALEN],
		      uint16_t link_vlan);

/* Formatting helpers for logs and tools. */
#define PKT_MAC_STRLEN 18
/* "aa:bb:cc:dd:ee:ff"; returns @buf. */
char *pkt_mac_to_str(const uint8_t mac[PKT_ETH_ALEN], char buf[PKT_MAC_STRLEN]);
#define PKT_IPV4_STRLEN 16
/* "192.0.2.1", the text inet_ntop() gives, without stdio (it is on the log's hot path); returns
 * @buf. */
char *pkt_ipv4_to_str(const struct in_addr *addr, char buf[PKT_IPV4_STRLEN]);
/* Parses "aa:bb:cc:dd:ee:ff"; 0 or -EINVAL. */
int pkt_mac_from_str(const char *s, uint8_t ret[PKT_ETH_ALEN]);
