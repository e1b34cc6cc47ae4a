/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * garpctl send's reading of an RTM_GETADDR dump, without sockets: which
 * addresses count as configured on the interface, and what a hostile or
 * broken answer gets (an error, never a read out of bounds). Messages are
 * built with libmnl.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include "garpctl.h"

#define PORTID 4242u
#define SEQ 77u
#define IFINDEX 3

struct fixture {
	uint8_t buf[4096];
	size_t len;
	struct in_addr addrs[4];
	bool seen[4];
	struct garpctl_addr_dump d;
};

static struct in_addr ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static void fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->addrs[0] = ip("10.0.0.1");
	f->addrs[1] = ip("10.0.0.2");
	f->addrs[2] = ip("10.0.0.3");
	f->addrs[3] = ip("10.0.0.4");
	f->d = (struct garpctl_addr_dump){
		.portid = PORTID, .seq = SEQ, .ifindex = IFINDEX,
		.addrs = f->addrs, .n_addrs = 4, .seen = f->seen};
}

static struct nlmsghdr *msg_put(struct fixture *f, uint16_t type)
{
	struct nlmsghdr *h = mnl_nlmsg_put_header(f->buf + f->len);

	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_MULTI;
	h->nlmsg_pid = PORTID;
	h->nlmsg_seq = SEQ;
	return h;
}

static void msg_end(struct fixture *f, struct nlmsghdr *h)
{
	f->len += NLMSG_ALIGN(h->nlmsg_len);
	assert_true(f->len < sizeof(f->buf) - 512);
}

/* An RTM_NEWADDR; @local/@address NULL for none. */
static struct nlmsghdr *addr_put(struct fixture *f, uint8_t family, int ifindex, const char *local,
				 const char *address)
{
	struct nlmsghdr *h = msg_put(f, RTM_NEWADDR);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(h, sizeof(*ifa));

	ifa->ifa_family = family;
	ifa->ifa_prefixlen = 24;
	ifa->ifa_index = (unsigned int)ifindex;
	if (address) {
		struct in_addr a = ip(address);

		mnl_attr_put(h, IFA_ADDRESS, sizeof(a), &a);
	}
	if (local) {
		struct in_addr a = ip(local);

		mnl_attr_put(h, IFA_LOCAL, sizeof(a), &a);
	}
	mnl_attr_put_strz(h, IFA_LABEL, "eth0");
	return h;
}

static void addr_add(struct fixture *f, uint8_t family, int ifindex, const char *local,
		     const char *address)
{
	msg_end(f, addr_put(f, family, ifindex, local, address));
}

static void done_add(struct fixture *f, int error)
{
	struct nlmsghdr *h = msg_put(f, NLMSG_DONE);
	int *e = mnl_nlmsg_put_extra_header(h, sizeof(int));

	*e = error;
	msg_end(f, h);
}

static int parse(struct fixture *f)
{
	return garpctl_addr_dump_parse(&f->d, f->buf, f->len);
}

static void test_only_ipv4_of_the_interface(void **state)
{
	struct fixture f;

	fixture_init(&f);
	addr_add(&f, AF_INET, IFINDEX, "10.0.0.1", "10.0.0.1");
	addr_add(&f, AF_INET, IFINDEX + 1, "10.0.0.2", "10.0.0.2"); /* another interface */
	addr_add(&f, AF_INET6, IFINDEX, "10.0.0.3", "10.0.0.3");     /* not IPv4 */
	addr_add(&f, AF_INET, IFINDEX, NULL, "10.0.0.4");           /* IFA_ADDRESS alone */
	assert_int_equal(parse(&f), 0);                               /* no DONE yet */
	assert_true(f.seen[0]);
	assert_false(f.seen[1]);
	assert_false(f.seen[2]);
	assert_true(f.seen[3]);
	assert_false(f.d.interrupted);

	f.len = 0;
	done_add(&f, 0);
	assert_int_equal(parse(&f), 1);
}

/* Point-to-point: IFA_ADDRESS is the peer, IFA_LOCAL ours (either order). */
static void test_peer_address_is_not_ours(void **state)
{
	struct fixture f;

	fixture_init(&f);
	addr_add(&f, AF_INET, IFINDEX, "10.0.0.1", "10.0.0.2");
	done_add(&f, 0);
	assert_int_equal(parse(&f), 1);
	assert_true(f.seen[0]);
	assert_false(f.seen[1]);
}

static void test_other_requests_skipped(void **state)
{
	struct fixture f;
	struct nlmsghdr *h;

	fixture_init(&f);
	h = addr_put(&f, AF_INET, IFINDEX, "10.0.0.1", NULL);
	h->nlmsg_seq = SEQ + 1;
	msg_end(&f, h);
	h = addr_put(&f, AF_INET, IFINDEX, "10.0.0.2", NULL);
	h->nlmsg_pid = PORTID + 1;
	msg_end(&f, h);
	h = msg_put(&f, NLMSG_DONE); /* someone else's end */
	h->nlmsg_seq = SEQ + 1;
	msg_end(&f, h);
	h = msg_put(&f, RTM_NEWLINK); /* unknown type: skipped */
	msg_end(&f, h);
	assert_int_equal(parse(&f), 0);
	assert_false(f.seen[0]);
	assert_false(f.seen[1]);
}

static void test_errors_and_end(void **state)
{
	struct fixture f;
	struct nlmsghdr *h;
	struct nlmsgerr *e;

	fixture_init(&f);
	done_add(&f, -EPERM);
	assert_int_equal(parse(&f), -EPERM);

	fixture_init(&f);
	h = msg_put(&f, NLMSG_DONE); /* no payload: an old kernel's plain end */
	msg_end(&f, h);
	assert_int_equal(parse(&f), 1);

	fixture_init(&f);
	h = msg_put(&f, NLMSG_ERROR);
	e = mnl_nlmsg_put_extra_header(h, sizeof(*e));
	e->error = -EINVAL;
	msg_end(&f, h);
	assert_int_equal(parse(&f), -EINVAL);

	fixture_init(&f);
	h = msg_put(&f, NLMSG_ERROR);
	e = mnl_nlmsg_put_extra_header(h, sizeof(*e));
	e->error = 0; /* an acknowledgement is no end of a dump */
	msg_end(&f, h);
	assert_int_equal(parse(&f), -EPROTO);

	fixture_init(&f);
	h = msg_put(&f, NLMSG_ERROR); /* no room for the error */
	msg_end(&f, h);
	assert_int_equal(parse(&f), -EBADMSG);
}

static void test_interrupted(void **state)
{
	struct fixture f;
	struct nlmsghdr *h;

	fixture_init(&f);
	h = addr_put(&f, AF_INET, IFINDEX, "10.0.0.1", NULL);
	h->nlmsg_flags |= NLM_F_DUMP_INTR;
	msg_end(&f, h);
	done_add(&f, 0);
	assert_int_equal(parse(&f), 1);
	assert_true(f.d.interrupted);
}

static void test_malformed(void **state)
{
	struct fixture f;
	struct nlmsghdr *h;
	struct nlattr *a;

	/* nlmsg_len past the buffer, and below the header. */
	fixture_init(&f);
	h = addr_put(&f, AF_INET, IFINDEX, "10.0.0.1", NULL);
	msg_end(&f, h);
	h->nlmsg_len += 4;
	assert_int_equal(parse(&f), -EBADMSG);
	h->nlmsg_len = sizeof(*h) - 1;
	assert_int_equal(parse(&f), -EBADMSG);
	assert_false(f.seen[0]);

	/* A payload shorter than struct ifaddrmsg. */
	fixture_init(&f);
	h = msg_put(&f, RTM_NEWADDR);
	mnl_nlmsg_put_extra_header(h, 4);
	msg_end(&f, h);
	assert_int_equal(parse(&f), -EBADMSG);

	/* IFA_LOCAL of the wrong size, both ways. */
	for (size_t size = 0; size <= 16; size++) {
		uint8_t zero[16] = {0};

		if (size == 4)
			continue;
		fixture_init(&f);
		h = msg_put(&f, RTM_NEWADDR);
		((struct ifaddrmsg *)mnl_nlmsg_put_extra_header(h, sizeof(struct ifaddrmsg)))
			->ifa_family = AF_INET;
		((struct ifaddrmsg *)mnl_nlmsg_get_payload(h))->ifa_index = IFINDEX;
		mnl_attr_put(h, IFA_LOCAL, size, zero);
		msg_end(&f, h);
		assert_int_equal(parse(&f), -EBADMSG);
	}

	/* An attribute running past the message; one shorter than its header. */
	fixture_init(&f);
	h = addr_put(&f, AF_INET, IFINDEX, "10.0.0.1", NULL);
	a = (struct nlattr *)((uint8_t *)mnl_nlmsg_get_payload(h) + sizeof(struct ifaddrmsg));
	msg_end(&f, h);
	a->nla_len = (uint16_t)(h->nlmsg_len + 8);
	assert_int_equal(parse(&f), -EBADMSG);
	a->nla_len = 2;
	assert_int_equal(parse(&f), -EBADMSG);
	assert_false(f.seen[0]);

	/* Trailing bytes too few for an attribute header. */
	fixture_init(&f);
	h = addr_put(&f, AF_INET, IFINDEX, "10.0.0.1", NULL);
	h->nlmsg_len += 2;
	msg_end(&f, h);
	assert_int_equal(parse(&f), -EBADMSG);

	/* Trailing bytes too few for a message header. */
	fixture_init(&f);
	addr_add(&f, AF_INET, IFINDEX, "10.0.0.1", NULL);
	f.len += 8;
	assert_int_equal(parse(&f), -EBADMSG);
}

/* Every cut of a valid answer: an error or a clean stop, never a bad read (ASan). */
static void test_every_truncation(void **state)
{
	struct fixture f;
	size_t full;
	uint8_t *copy;

	fixture_init(&f);
	addr_add(&f, AF_INET, IFINDEX, "10.0.0.1", "10.0.0.2");
	addr_add(&f, AF_INET, IFINDEX, NULL, "10.0.0.3");
	done_add(&f, 0);
	full = f.len;
	for (size_t len = 0; len < full; len++) {
		int r;

		fixture_init(&f);
		addr_add(&f, AF_INET, IFINDEX, "10.0.0.1", "10.0.0.2");
		addr_add(&f, AF_INET, IFINDEX, NULL, "10.0.0.3");
		done_add(&f, 0);
		/* An exact-size heap copy, so ASan sees a read past @len. */
		copy = test_malloc(len ? len : 1);
		memcpy(copy, f.buf, len);
		r = garpctl_addr_dump_parse(&f.d, copy, len);
		test_free(copy);
		assert_true(r == 0 || r == -EBADMSG);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_only_ipv4_of_the_interface),
		cmocka_unit_test(test_peer_address_is_not_ours),
		cmocka_unit_test(test_other_requests_skipped),
		cmocka_unit_test(test_errors_and_end),
		cmocka_unit_test(test_interrupted),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_every_truncation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
