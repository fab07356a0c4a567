/* The cache both sources keep per worker (source_dir.c: answers by path,
 * source_git.c: objects by id): a hash table of entries, an LRU list, and a
 * budget of bytes and entries. An entry is a struct src_cnode inside the
 * source's own struct; the source says what the key is (the hash and a match
 * function), what an entry costs (charge), and when one is stale. Entries
 * are counted: one dropped from the cache while a response still holds it
 * is freed when the last reference is put. */
#ifndef HTTPD_SRC_CACHE_H
#define HTTPD_SRC_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct src_cnode {
	struct src_cnode *hnext;
	struct src_cnode *older, *newer; /* LRU: the list's head is the oldest */
	uint32_t hash;
	int refs;
	bool linked; /* in the hash table and LRU */
	size_t charge; /* bytes counted against the budget; set before insert */
};

struct src_cache {
	struct src_cnode **bucket;
	size_t nbuckets;
	struct src_cnode *oldest, *newest;
	size_t bytes, entries;
	size_t max_bytes, max_entries;
	/* Frees the source's entry around n. */
	void (*free)(struct src_cnode *n);
};

/* The source's struct around a node. */
#define SRC_CNODE_OF(p, type, member) ((type *)(void *)((char *)(p) - offsetof(type, member)))

/* 0, or -1 (out of memory). */
int src_cache_init(struct src_cache *c, size_t nbuckets, size_t max_bytes, size_t max_entries,
	void (*free_fn)(struct src_cnode *n));
/* Drops every entry (those still held are freed on put) and the table. */
void src_cache_fini(struct src_cache *c);

/* The entry of hash h for which match(n, key) holds, or NULL. Not touched. */
struct src_cnode *src_cache_find(const struct src_cache *c, uint32_t h,
	bool (*match)(struct src_cnode *n, const void *key), const void *key);
/* n is used: the newest in the LRU. */
void src_cache_touch(struct src_cache *c, struct src_cnode *n);
/* Adds n (not linked) as the newest, with n->charge counted. No trim. */
void src_cache_insert(struct src_cache *c, struct src_cnode *n, uint32_t h);
/* Takes n out of the cache (when linked); freed now if nobody holds it. */
void src_cache_remove(struct src_cache *c, struct src_cnode *n);
/* Removes the oldest entries until the budget holds. */
void src_cache_trim(struct src_cache *c);
/* Removes every entry. */
void src_cache_clear(struct src_cache *c);
/* Drops a reference; frees n when it was the last and n is out of the
 * cache. */
void src_cache_put(struct src_cache *c, struct src_cnode *n);

#endif
