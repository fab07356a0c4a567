/* The per-worker cache of the sources (see src_cache.h). */
#include "src_cache.h"

#include <stdlib.h>

int src_cache_init(struct src_cache *c, size_t nbuckets, size_t max_bytes, size_t max_entries,
	void (*free_fn)(struct src_cnode *n))
{
	c->bucket = calloc(nbuckets, sizeof *c->bucket);
	if (!c->bucket)
		return -1;
	c->nbuckets = nbuckets;
	c->oldest = c->newest = NULL;
	c->bytes = c->entries = 0;
	c->max_bytes = max_bytes;
	c->max_entries = max_entries;
	c->free = free_fn;
	return 0;
}

void src_cache_fini(struct src_cache *c)
{
	src_cache_clear(c);
	free(c->bucket);
	c->bucket = NULL;
}

struct src_cnode *src_cache_find(const struct src_cache *c, uint32_t h,
	bool (*match)(struct src_cnode *n, const void *key), const void *key)
{
	struct src_cnode *n = c->bucket[h % c->nbuckets];
	while (n && !(n->hash == h && match(n, key)))
		n = n->hnext;
	return n;
}

static void lru_unlink(struct src_cache *c, struct src_cnode *n)
{
	if (n->older)
		n->older->newer = n->newer;
	else
		c->oldest = n->newer;
	if (n->newer)
		n->newer->older = n->older;
	else
		c->newest = n->older;
}

static void lru_append(struct src_cache *c, struct src_cnode *n)
{
	n->older = c->newest;
	n->newer = NULL;
	if (c->newest)
		c->newest->newer = n;
	else
		c->oldest = n;
	c->newest = n;
}

void src_cache_touch(struct src_cache *c, struct src_cnode *n)
{
	if (c->newest == n)
		return;
	lru_unlink(c, n);
	lru_append(c, n);
}

void src_cache_insert(struct src_cache *c, struct src_cnode *n, uint32_t h)
{
	n->hash = h;
	n->linked = true;
	n->hnext = c->bucket[h % c->nbuckets];
	c->bucket[h % c->nbuckets] = n;
	lru_append(c, n);
	c->bytes += n->charge;
	c->entries++;
}

void src_cache_remove(struct src_cache *c, struct src_cnode *n)
{
	if (!n->linked)
		return;
	struct src_cnode **pp = &c->bucket[n->hash % c->nbuckets];
	while (*pp != n)
		pp = &(*pp)->hnext;
	*pp = n->hnext;
	lru_unlink(c, n);
	n->linked = false;
	c->bytes -= n->charge;
	c->entries--;
	if (n->refs == 0)
		c->free(n);
}

void src_cache_trim(struct src_cache *c)
{
	struct src_cnode *n = c->oldest;
	while (n && (c->bytes > c->max_bytes || c->entries > c->max_entries)) {
		struct src_cnode *next = n->newer;
		src_cache_remove(c, n);
		n = next;
	}
}

void src_cache_clear(struct src_cache *c)
{
	while (c->oldest)
		src_cache_remove(c, c->oldest);
}

void src_cache_put(struct src_cache *c, struct src_cnode *n)
{
	if (--n->refs == 0 && !n->linked)
		c->free(n);
}
