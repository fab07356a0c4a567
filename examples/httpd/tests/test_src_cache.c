/* src_cache: the LRU order, the budget of bytes and entries, and entries
 * held by a response outliving their removal from the cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "../src_cache.h"

struct item {
	int key;
	struct src_cnode cn;
};

static int nfreed;

static void item_free(struct src_cnode *n)
{
	nfreed++;
	free(SRC_CNODE_OF(n, struct item, cn));
}

static bool item_match(struct src_cnode *n, const void *key)
{
	return SRC_CNODE_OF(n, struct item, cn)->key == *(const int *)key;
}

/* Keys collide in a table of 4 buckets: the match decides. */
static struct item *add(struct src_cache *c, int key, size_t charge)
{
	struct item *it = calloc(1, sizeof *it);
	assert_non_null(it);
	it->key = key;
	it->cn.charge = charge;
	src_cache_insert(c, &it->cn, (uint32_t)key % 2);
	return it;
}

static bool cached(struct src_cache *c, int key)
{
	return src_cache_find(c, (uint32_t)key % 2, item_match, &key) != NULL;
}

static void test_lru_trim(void **state)
{
	(void)state;
	struct src_cache c;
	nfreed = 0;
	assert_int_equal(src_cache_init(&c, 4, 100, 3, item_free), 0);
	add(&c, 1, 10);
	add(&c, 2, 10);
	add(&c, 3, 10);
	src_cache_touch(&c, src_cache_find(&c, 1, item_match, &(int){ 1 }));
	add(&c, 4, 10); /* four entries: 2 is the oldest now */
	src_cache_trim(&c);
	assert_false(cached(&c, 2));
	assert_true(cached(&c, 1) && cached(&c, 3) && cached(&c, 4));
	assert_int_equal(c.entries, 3);
	assert_int_equal(c.bytes, 30);
	add(&c, 5, 95); /* over the bytes: 3, 1 and 4 go, oldest first */
	src_cache_trim(&c);
	assert_int_equal(c.entries, 1);
	assert_int_equal(c.bytes, 95);
	assert_true(cached(&c, 5));
	assert_int_equal(nfreed, 4);
	src_cache_fini(&c);
	assert_int_equal(nfreed, 5);
}

static void test_held(void **state)
{
	(void)state;
	struct src_cache c;
	nfreed = 0;
	assert_int_equal(src_cache_init(&c, 4, 100, 10, item_free), 0);
	struct item *a = add(&c, 1, 10);
	a->cn.refs++;
	src_cache_remove(&c, &a->cn);
	assert_false(cached(&c, 1));
	assert_int_equal(nfreed, 0); /* a response still holds it */
	src_cache_remove(&c, &a->cn); /* not linked: nothing happens */
	assert_int_equal(c.entries, 0);
	src_cache_put(&c, &a->cn);
	assert_int_equal(nfreed, 1);

	struct item *b = add(&c, 2, 10);
	b->cn.refs++;
	src_cache_put(&c, &b->cn); /* still cached: kept */
	assert_int_equal(nfreed, 1);
	b->cn.refs++;
	src_cache_clear(&c);
	assert_int_equal(nfreed, 1);
	src_cache_put(&c, &b->cn);
	assert_int_equal(nfreed, 2);
	src_cache_fini(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lru_trim),
		cmocka_unit_test(test_held),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
