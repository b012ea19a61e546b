// SPDX-License-Identifier: GPL-2.0-only
/*
 * DNS answers (RFC 1035) -> the name asked for and the addresses its CNAME
 * chain led to (dns.h). Every read is bounded by the message's length, every
 * loop by a count checked first; the answer is taken whole or not at all.
 */
#include "dns.h"

#include <string.h>
#include <sys/socket.h>

#define HDR_LEN 12
#define RR_FIXED 10 /* type, class, TTL, RDLENGTH after the owner name */
#define WIRE_NAME_MAX 255
/*
 * A name has at most 127 labels and a server's compression adds at least one
 * label per jump, so more jumps than that is no name (a loop of pointers to
 * pointers adds none and is caught here; one through labels by the length).
 */
#define MAX_JUMPS 127
/* CNAME links followed from the question; resolvers give up far sooner */
#define MAX_CHAIN 16

#define T_A 1
#define T_CNAME 5
#define T_AAAA 28
#define C_IN 1

G_DEFINE_QUARK(dns - parse - error - quark, dns_parse_error)

struct rr {
	uint32_t owner; /* offset of the owner name */
	uint32_t rdata; /* offset of RDATA */
	uint16_t type;
	uint16_t rdlen;
	uint32_t ttl;
	uint64_t owner_hash; /* of its presentation form: names compared by it first */
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * Host names (RFC 952/1123) plus '_', which real zones use (service labels,
 * some internal hosts). Anything else ('*', '.', spaces, control and
 * non-ASCII bytes: IDNs travel as xn--) is no name a process connects to.
 */
static gboolean name_char(uint8_t c)
{
	return g_ascii_isalnum(c) || c == '-' || c == '_';
}

static gboolean malformed(GError **error, const char *what, size_t off)
{
	g_set_error(error, DNS_PARSE_ERROR, DNS_PARSE_MALFORMED, "%s at byte %zu", what, off);
	return FALSE;
}

/*
 * Read the name at `off` into `out` (lower case, labels joined by '.', ""
 * for the root); `*end` is where the record goes on (after the first
 * pointer, or the root label). `hash` is FNV-1a of `out`.
 */
static gboolean read_name(const uint8_t *msg, size_t len, size_t off, size_t *end,
			  char out[DNS_NAME_MAX + 1], uint64_t *hash, GError **error)
{
	size_t pos = off, wire = 0, n = 0;
	unsigned int jumps = 0;
	uint64_t h = 14695981039346656037ULL;

	*end = 0;
	for (;;) {
		uint8_t b;

		if (pos >= len)
			return malformed(error, "name past the end", pos);
		b = msg[pos];
		if ((b & 0xc0) == 0xc0) {
			size_t to;

			if (pos + 1 >= len)
				return malformed(error, "pointer past the end", pos);
			to = (size_t)(b & 0x3f) << 8 | msg[pos + 1];
			/* a name is never in the header; the rest is the length's check */
			if (to < HDR_LEN || to >= len)
				return malformed(error, "pointer out of the message", pos);
			if (++jumps > MAX_JUMPS)
				return malformed(error, "compression loop", pos);
			if (!*end)
				*end = pos + 2;
			pos = to;
			continue;
		}
		if (b & 0xc0) /* 0x40, 0x80: extended label types, never deployed */
			return malformed(error, "unknown label type", pos);
		wire += 1 + b;
		if (wire > WIRE_NAME_MAX)
			return malformed(error, "name too long", pos);
		if (b == 0)
			break;
		if (pos + 1 + b > len)
			return malformed(error, "label past the end", pos);
		if (n)
			out[n++] = '.';
		for (size_t i = 0; i < b; i++) {
			uint8_t c = msg[pos + 1 + i];

			if (!name_char(c))
				return malformed(error, "label not printable", pos + 1 + i);
			out[n++] = g_ascii_tolower(c);
		}
		pos += 1 + b;
	}
	if (!*end)
		*end = pos + 1;
	out[n] = '\0';
	/* 255 wire bytes hold at most 253 characters: n never passes DNS_NAME_MAX */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)out[i]) * 1099511628211ULL;
	*hash = h;
	return TRUE;
}

/* Walk one resource record at *off; fills `rr` and moves *off past it. */
static gboolean read_rr(const uint8_t *msg, size_t len, size_t *off, struct rr *rr, GError **error)
{
	char name[DNS_NAME_MAX + 1];
	size_t p;

	rr->owner = (uint32_t)*off;
	if (!read_name(msg, len, *off, &p, name, &rr->owner_hash, error))
		return FALSE;
	if (p + RR_FIXED > len)
		return malformed(error, "record past the end", p);
	rr->type = get16(msg + p);
	/* RFC 2181 8: a TTL with the top bit set is zero */
	rr->ttl = get32(msg + p + 4);
	if (rr->ttl & 0x80000000u)
		rr->ttl = 0;
	rr->rdlen = get16(msg + p + 8);
	rr->rdata = (uint32_t)(p + RR_FIXED);
	if (rr->rdata + (size_t)rr->rdlen > len)
		return malformed(error, "record data past the end", rr->rdata);
	if (get16(msg + p + 2) != C_IN)
		rr->type = 0; /* no class but IN names an address: never on the chain */
	switch (rr->type) {
	case T_A:
		if (rr->rdlen != 4)
			return malformed(error, "A record not 4 bytes", rr->rdata);
		break;
	case T_AAAA:
		if (rr->rdlen != 16)
			return malformed(error, "AAAA record not 16 bytes", rr->rdata);
		break;
	case T_CNAME: {
		uint64_t h;
		size_t end;

		if (!read_name(msg, len, rr->rdata, &end, name, &h, error))
			return FALSE;
		if (end != rr->rdata + (size_t)rr->rdlen)
			return malformed(error, "CNAME target not its record's length", rr->rdata);
		break;
	}
	}
	*off = rr->rdata + (size_t)rr->rdlen;
	return TRUE;
}

/* The record's owner is `name` (hashes compared first, the text to be sure). */
static gboolean owner_is(const uint8_t *msg, size_t len, const struct rr *rr, const char *name,
			 uint64_t hash)
{
	char owner[DNS_NAME_MAX + 1];
	uint64_t h;
	size_t end;

	if (rr->owner_hash != hash)
		return FALSE;
	/* validated by read_rr: cannot fail */
	return read_name(msg, len, rr->owner, &end, owner, &h, NULL) && !strcmp(owner, name);
}

struct link {
	char name[DNS_NAME_MAX + 1];
	uint64_t hash;
	uint32_t ttl; /* smallest TTL of the CNAMEs that led here */
};

static gboolean not_answer(GError **error, const char *what)
{
	g_set_error(error, DNS_PARSE_ERROR, DNS_PARSE_NOT_ANSWER, "%s", what);
	return FALSE;
}

/* Follow the CNAME chain from the question, then take the addresses on it. */
static gboolean follow(const uint8_t *msg, size_t len, const struct rr *rrs, unsigned int n_rr,
		       uint64_t qhash, struct dns_answer *ans, GError **error)
{
	struct link chain[MAX_CHAIN + 1];
	unsigned int n_chain = 1;

	g_strlcpy(chain[0].name, ans->qname, sizeof(chain[0].name));
	chain[0].hash = qhash;
	chain[0].ttl = UINT32_MAX;
	for (;;) {
		struct link *cur = &chain[n_chain - 1], *next;
		const struct rr *cname = NULL;
		size_t end;

		for (unsigned int i = 0; i < n_rr && !cname; i++)
			if (rrs[i].type == T_CNAME &&
			    owner_is(msg, len, &rrs[i], cur->name, cur->hash))
				cname = &rrs[i];
		if (!cname)
			break;
		if (n_chain > MAX_CHAIN)
			return malformed(error, "CNAME chain too long", cname->owner);
		next = &chain[n_chain++];
		/* validated by read_rr: cannot fail */
		read_name(msg, len, cname->rdata, &end, next->name, &next->hash, NULL);
		next->ttl = MIN(cur->ttl, cname->ttl);
		ans->n_cnames++;
	}
	for (unsigned int i = 0; i < n_rr && ans->n_addrs < DNS_ANSWER_MAX_ADDRS; i++) {
		const struct rr *rr = &rrs[i];
		struct dns_addr *a;
		unsigned int l;

		if (rr->type != T_A && rr->type != T_AAAA)
			continue;
		for (l = 0; l < n_chain; l++)
			if (owner_is(msg, len, rr, chain[l].name, chain[l].hash))
				break;
		if (l == n_chain)
			continue;
		a = &ans->addrs[ans->n_addrs++];
		memset(a, 0, sizeof(*a));
		a->family = rr->type == T_A ? AF_INET : AF_INET6;
		memcpy(a->addr, msg + rr->rdata, rr->rdlen);
		a->ttl = MIN(chain[l].ttl, rr->ttl);
	}
	if (!ans->n_addrs)
		return not_answer(error, "no address for the name asked");
	return TRUE;
}

gboolean dns_parse_answer(const uint8_t *msg, size_t len, struct dns_answer *out, GError **error)
{
	struct dns_answer ans = { 0 };
	unsigned int qd, an, ns, ar, total;
	struct rr *rrs = NULL;
	gboolean ok = FALSE;
	uint64_t qhash;
	size_t off;

	if (len < HDR_LEN)
		return malformed(error, "shorter than a header", len);
	if (!(msg[2] & 0x80))
		return not_answer(error, "a query");
	if ((msg[2] & 0x78) != 0)
		return not_answer(error, "not a standard query's answer");
	/* the client asks again over TCP and uses that answer, not this one */
	if (msg[2] & 0x02)
		return not_answer(error, "truncated (TC)");
	if ((msg[3] & 0x0f) != 0)
		return not_answer(error, "an error RCODE");
	qd = get16(msg + 4);
	an = get16(msg + 6);
	ns = get16(msg + 8);
	ar = get16(msg + 10);
	/* the smallest question is 5 bytes, the smallest record 11 */
	if ((size_t)qd * 5 + ((size_t)an + ns + ar) * (1 + RR_FIXED) > len - HDR_LEN)
		return malformed(error, "counts larger than the message", 4);
	if (qd != 1)
		return not_answer(error, "not one question");
	if (!read_name(msg, len, HDR_LEN, &off, ans.qname, &qhash, error))
		return FALSE;
	if (off + 4 > len)
		return malformed(error, "question past the end", off);
	if (get16(msg + off + 2) != C_IN)
		return not_answer(error, "not class IN");
	if (!ans.qname[0])
		return not_answer(error, "the root asked");
	off += 4;
	total = an + ns + ar;
	rrs = g_new(struct rr, an ? an : 1);
	for (unsigned int i = 0; i < total; i++) {
		struct rr other;

		/* every section is walked: a broken record anywhere spoils the answer */
		if (!read_rr(msg, len, &off, i < an ? &rrs[i] : &other, error))
			goto out;
	}
	/* bytes after the last record are nobody's: ignored, as resolvers do */
	if (!follow(msg, len, rrs, an, qhash, &ans, error))
		goto out;
	*out = ans;
	ok = TRUE;
out:
	g_free(rrs);
	return ok;
}
