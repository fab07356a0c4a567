/*
 * Timers: an intrusive pairing heap (Fredman, Sedgewick, Sleator, Tarjan
 * 1986) over caller-owned cl_timer structs, so any number of timers costs
 * no allocation: O(1) set, O(log n) amortized fire and cancel.
 */
#include "cl_posix_int.h"

#include <limits.h>
#include <string.h>

static bool before(const struct cl_timer *a, const struct cl_timer *b)
{
	if (a->deadline != b->deadline)
		return a->deadline < b->deadline;
	return a->priv.seq < b->priv.seq;
}

/* Meld two heap roots (next/prev NULL) into one. */
static struct cl_timer *meld(struct cl_timer *a, struct cl_timer *b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	if (before(b, a)) {
		struct cl_timer *t = a;
		a = b;
		b = t;
	}
	b->priv.prev = a;
	b->priv.next = a->priv.child;
	if (a->priv.child)
		a->priv.child->priv.prev = b;
	a->priv.child = b;
	return a;
}

/* The standard two-pass merge of a sibling list into one heap: meld pairs
 * left to right, then fold the pairs right to left. Iterative, so a long
 * list cannot overflow the stack. */
static struct cl_timer *merge_pairs(struct cl_timer *first)
{
	struct cl_timer *stack = NULL;
	while (first) {
		struct cl_timer *a = first, *b = a->priv.next;
		first = b ? b->priv.next : NULL;
		a->priv.next = a->priv.prev = NULL;
		if (b)
			b->priv.next = b->priv.prev = NULL;
		struct cl_timer *m = meld(a, b);
		m->priv.next = stack; /* next doubles as the stack link */
		stack = m;
	}
	struct cl_timer *root = NULL;
	while (stack) {
		struct cl_timer *m = stack;
		stack = m->priv.next;
		m->priv.next = NULL;
		root = meld(root, m);
	}
	return root;
}

static void heap_remove(struct cl_loop *loop, struct cl_timer *t)
{
	if (loop->priv.timers == t) {
		loop->priv.timers = merge_pairs(t->priv.child);
	} else {
		struct cl_timer *p = t->priv.prev;
		if (p->priv.child == t)
			p->priv.child = t->priv.next;
		else
			p->priv.next = t->priv.next;
		if (t->priv.next)
			t->priv.next->priv.prev = p;
		loop->priv.timers = meld(loop->priv.timers, merge_pairs(t->priv.child));
	}
	if (loop->priv.timers)
		loop->priv.timers->priv.prev = NULL;
	t->priv.child = t->priv.next = t->priv.prev = NULL;
	t->priv.loop = NULL;
	loop->priv.ntimers--;
}

void cl_timer_init(struct cl_timer *t, cl_timer_fn fn, void *arg)
{
	memset(t, 0, sizeof(*t));
	t->deadline = UINT64_MAX;
	t->priv.fn = fn;
	t->priv.arg = arg;
}

void cl_timer_cancel(struct cl_timer *t)
{
	if (t->priv.loop)
		heap_remove(t->priv.loop, t);
}

bool cl_timer_armed(const struct cl_timer *t)
{
	return t->priv.loop != NULL;
}

void cl_timer_set(struct cl_loop *loop, struct cl_timer *t, uint64_t deadline_ms)
{
	cl_timer_cancel(t);
	if (deadline_ms == UINT64_MAX)
		return;
	t->deadline = deadline_ms;
	t->priv.seq = loop->priv.seq++;
	t->priv.loop = loop;
	loop->priv.ntimers++;
	loop->priv.timers = meld(loop->priv.timers, t);
}

size_t cl_loop_timers(const struct cl_loop *loop)
{
	return loop->priv.ntimers;
}

uint64_t cl_loop_next_deadline(const struct cl_loop *loop)
{
	return loop->priv.timers ? loop->priv.timers->deadline : UINT64_MAX;
}

int cl_timers_wait_ms(const struct cl_loop *loop)
{
	const struct cl_timer *t = loop->priv.timers;
	if (!t)
		return -1;
	if (t->deadline <= loop->now_ms)
		return 0;
	/* now_ms is the floor of the clock, so sleeping deadline - now_ms
	 * never wakes before the deadline. */
	uint64_t d = t->deadline - loop->now_ms;
	return d > INT_MAX ? INT_MAX : (int)d;
}

int cl_timers_fire(struct cl_loop *loop)
{
	/* Only timers set before this pass fire in it: a callback that re-arms
	 * itself for a past deadline waits for the next iteration instead of
	 * starving the loop. */
	uint64_t seq_end = loop->priv.seq;
	int fired = 0;
	struct cl_timer *t;
	while ((t = loop->priv.timers) && t->deadline <= loop->now_ms && t->priv.seq < seq_end) {
		heap_remove(loop, t);
		fired++;
		t->priv.fn(t->priv.arg);
	}
	return fired;
}
