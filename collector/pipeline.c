/* pipeline.c - see pipeline.h */
#include "config.h"

#include "collector/pipeline.h"

#include "collector/order.h"
#include "lib/rss.h"
#include "lib/thread.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Pages per slot.  16 (it was 64): a quarter of the ring and page buffers,
 * 0.9 MiB less peak RSS with one thread (a slot's packed data still reaches
 * near its worst case over a dump).  Small batches used to cost speed, a
 * context switch per batch (-d 31 -l 0.17 -> 0.20 s, -d 1 -l 1.7 -> 2.2 s):
 * with the main thread compressing while it waits and waking only once per
 * half ring, they no longer do (doc/performance.md). */
#define BATCH_PAGES CS_PIPELINE_BATCH_PAGES

enum slot_state { SLOT_FREE, SLOT_QUEUED, SLOT_WORKING, SLOT_DONE };

struct slot {
	enum slot_state state;
	unsigned int n;				/* pfns in this batch */
	uint64_t zeros, raws;			/* pages the worker found */
	uint64_t pfn[BATCH_PAGES];
	uint32_t len[BATCH_PAGES];		/* 0 = zero page (excluded) */
	uint32_t flags[BATCH_PAGES];
	uint32_t off[BATCH_PAGES];		/* page i's bytes: data + off[i] */
	/* BATCH_PAGES pages: the batch is read in here, and each page's
	 * compressed (or raw) bytes are then packed from the start, over the
	 * pages already compressed (see process_slot) */
	uint8_t *data;
	enum cs_status status;			/* first failure in the batch */
	struct cs_err err;
};

struct pipe {
	const struct cs_pipeline_cfg *cfg;
	size_t page_size;
	unsigned int nslots;
	struct slot *slots;
	pthread_mutex_t lock;
	pthread_cond_t work_cv;			/* a slot was queued, or quit */
	pthread_cond_t done_cv;			/* a slot finished */
	uint64_t fill_seq, work_seq, write_seq;
	/* main sleeps until the slots [write_seq, wait_end) are all done (0:
	 * not sleeping): one wake-up for n+1 batches, not one per batch */
	uint64_t wait_end;
	unsigned int idle;			/* workers waiting on work_cv */
	int quit;
	int zero_excluded;			/* level bit 1 */
	int need_data;				/* compress/copy page bytes */
	uint64_t zero_pages, raw_pages, pages_read;
};

struct worker {
	struct pipe *p;
	pthread_t tid;
	struct cs_codec_ctx cctx;
	int started;		/* a thread runs worker_main() */
	int ctx_ready;		/* cctx to deinit */
};

int cs_page_is_zero(const void *page, size_t size)
{
	const uint64_t *w = page;

	for (size_t i = 0; i < size / 8; i++)
		if (w[i])
			return 0;
	return 1;
}

/* Read the batch's pages into s->data: one pread per run of consecutive
 * pfns (a batch is usually one run), falling back to page-by-page reads for a
 * run that crosses a hole or a partly covered page. */
static enum cs_status read_batch(const struct pipe *p, struct slot *s)
{
	const struct cs_vmcore *vc = p->cfg->k->vc;
	size_t ps = p->page_size;
	unsigned int i = 0;

	while (i < s->n) {
		unsigned int j = i + 1;

		while (j < s->n && s->pfn[j] == s->pfn[j - 1] + 1)
			j++;
		if (cs_vmcore_read_phys(vc, s->pfn[i] * ps, s->data + (size_t)i * ps,
					(size_t)(j - i) * ps, &s->err) != CS_OK) {
			for (unsigned int k = i; k < j; k++) {
				enum cs_status st = cs_vmcore_read_page(vc, s->pfn[k],
									s->data + (size_t)k * ps,
									&s->err);
				if (st != CS_OK) {
					cs_err_prefix(&s->err, "cannot read page at pfn %#llx",
						      (unsigned long long)s->pfn[k]);
					return st;
				}
			}
		}
		i = j;
	}
	return CS_OK;
}

/* Compress the batch in place.  Page i's output goes to s->data + off, where
 * off (the bytes of pages 0..i-1, each at most a page: a page that does not
 * shrink is stored raw) is at most i pages: it overwrites only pages already
 * compressed and page i itself, which the codec has read by then (its output
 * is in the context's buffer, or is the page itself, hence memmove).  So no
 * second buffer of BATCH_PAGES pages per thread. */
static void process_slot(struct worker *wk, struct slot *s)
{
	struct pipe *p = wk->p;
	uint64_t zeros = 0, raws = 0;
	size_t off = 0;

	s->status = read_batch(p, s);
	for (unsigned int i = 0; i < s->n && s->status == CS_OK; i++) {
		const uint8_t *page = s->data + (size_t)i * p->page_size;
		const void *out;
		size_t out_len;
		uint32_t flags;
		enum cs_status st;

		if (p->zero_excluded && cs_page_is_zero(page, p->page_size)) {
			s->len[i] = 0;
			s->flags[i] = 0;
			zeros++;
			continue;
		}
		if (!p->need_data) {
			s->len[i] = (uint32_t)p->page_size;
			s->flags[i] = 0;
			continue;
		}
		st = cs_codec_page(&wk->cctx, page, &out, &out_len, &flags, &s->err);
		if (st != CS_OK) {
			s->status = st;
			cs_err_prefix(&s->err, "cannot compress page at pfn %#llx",
				      (unsigned long long)s->pfn[i]);
			break;
		}
		if (!flags)
			raws++;
		if (s->data + off != out)
			memmove(s->data + off, out, out_len);
		s->off[i] = (uint32_t)off;
		off += out_len;
		s->len[i] = (uint32_t)out_len;
		s->flags[i] = flags;
	}
	s->zeros = zeros;
	s->raws = raws;
}

/* Are the slots of sequence numbers [from, to) all done?  (lock held) */
static int range_done(const struct pipe *p, uint64_t from, uint64_t to)
{
	for (uint64_t q = from; q < to; q++)
		if (p->slots[q % p->nslots].state != SLOT_DONE)
			return 0;
	return 1;
}

/* @s is processed: mark it done and wake the main thread if it now has all
 * it waits for (lock held). */
static void slot_done(struct pipe *p, struct slot *s)
{
	s->state = SLOT_DONE;
	p->zero_pages += s->zeros;
	p->raw_pages += s->raws;
	p->pages_read += s->n;
	if (p->wait_end && range_done(p, p->write_seq, p->wait_end))
		pthread_cond_signal(&p->done_cv);
}

/* Take the next queued slot (lock held; there is one). */
static struct slot *take_slot(struct pipe *p)
{
	struct slot *s = &p->slots[p->work_seq % p->nslots];

	p->work_seq++;
	s->state = SLOT_WORKING;
	return s;
}

static void *worker_main(void *arg)
{
	struct worker *wk = arg;
	struct pipe *p = wk->p;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct slot *s;

		while (!p->quit && p->work_seq == p->fill_seq) {
			p->idle++;
			pthread_cond_wait(&p->work_cv, &p->lock);
			p->idle--;
		}
		if (p->quit)
			break;
		s = take_slot(p);
		pthread_mutex_unlock(&p->lock);
		process_slot(wk, s);
		pthread_mutex_lock(&p->lock);
		slot_done(p, s);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static enum cs_status write_slot(struct pipe *p, const struct slot *s, struct cs_err *err)
{
	const struct cs_pipeline_cfg *cfg = p->cfg;
	enum cs_status st;

	if (!cfg->w)
		return CS_OK;
	for (unsigned int i = 0; i < s->n; i++) {
		if (s->len[i] == 0)
			st = cfg->wops->zero_page(cfg->w, s->pfn[i], err);
		else
			st = cfg->wops->page(cfg->w, s->pfn[i], s->data + s->off[i],
					     s->len[i], s->flags[i], err);
		if (st != CS_OK)
			return st;
	}
	return CS_OK;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void progress(const struct pipe *p, uint64_t done, uint64_t total, double t0, int final)
{
	double pct = total ? 100.0 * (double)done / (double)total : 100.0;
	double el = now_s() - t0;
	double eta = done && done < total ? el * (double)(total - done) / (double)done : 0;

	(void)p;
	fprintf(stderr, "\rCopying data                      : [%5.1f %%] eta: %.0fs%s",
		pct, eta, final ? "\n" : "");
	fflush(stderr);
}

enum cs_status cs_pipeline_run(const struct cs_pipeline_cfg *cfg,
			       struct cs_pipeline_stats *stats, struct cs_err *err)
{
	struct pipe p;
	struct worker *wks = NULL;
	enum cs_status st = CS_OK;
	uint64_t cursor = 0, done_pages = 0;
	struct cs_order *ord = NULL;
	unsigned int nthreads = cfg->nthreads ? cfg->nthreads : 1;
	double t0 = now_s(), last = t0;
	int shown = 0;		/* a progress line is on stderr */
	int locked = 0;

	memset(stats, 0, sizeof(*stats));
	memset(&p, 0, sizeof(p));
	p.cfg = cfg;
	p.page_size = cfg->k->vc->page_size;
	p.zero_excluded = cfg->dump_level & CS_DL_ZERO;
	p.need_data = cfg->w != NULL;
	/* a dry run without zero exclusion never needs the page data */
	if (!cfg->w && !p.zero_excluded) {
		stats->pages_out = cfg->plan->kept_pages;
		return CS_OK;
	}
	/* with workers: 2 per thread + 1; the main thread waits for n of them
	 * and writes them while the other n + 1 keep the workers busy (2n + 2
	 * was no faster and held a slot more).  Alone, the main thread
	 * reads, compresses and writes one slot at a time, and one is all it
	 * needs (the capture kernel's usual nr_cpus=1) */
	p.nslots = CS_PIPELINE_SLOTS(nthreads);
	p.slots = calloc(p.nslots, sizeof(*p.slots));
	wks = calloc(nthreads, sizeof(*wks));
	if (!p.slots || !wks) {
		free(p.slots);
		free(wks);
		return cs_fail_nomem(err);
	}
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.work_cv, NULL);
	pthread_cond_init(&p.done_cv, NULL);
	for (unsigned int i = 0; i < p.nslots && st == CS_OK; i++) {
		p.slots[i].data = aligned_alloc(64, BATCH_PAGES * p.page_size);
		if (!p.slots[i].data)
			st = cs_fail_nomem(err);
	}
	for (unsigned int i = 0; i < nthreads && st == CS_OK; i++) {
		wks[i].p = &p;
		if (p.need_data) {
			st = cs_codec_ctx_init(&wks[i].cctx, cfg->codec, cfg->codec_level,
					       p.page_size, err);
			if (st != CS_OK)
				break;
		}
		wks[i].ctx_ready = p.need_data;
		/* wks[0] is the main thread's own: it processes queued slots
		 * while it waits instead of sleeping (a context switch per
		 * batch was the pipeline's main cost, and with one thread there
		 * is no switch at all) */
		if (i == 0)
			continue;
		/* workers take no signal: the main thread must (lib/thread.h) */
		if (cs_thread_start(&wks[i].tid, worker_main, &wks[i])) {
			st = cs_fail(err, CS_SYS, "cannot start compression thread %u", i);
			break;
		}
		wks[i].started = 1;
	}

	/* with a second thread the order's priorities are looked for while
	 * the first ones found are already compressed (collector/order.h) */
	if (st == CS_OK)
		st = cs_order_create(&ord, cfg->w ? cfg->order : CS_ORDER_PFN, cfg->k, cfg->plan,
				     nthreads > 1, err);
	cursor = ord ? cs_order_next(ord) : CS_ORDER_END;
	pthread_mutex_lock(&p.lock);
	locked = 1;
	while (st == CS_OK) {
		uint64_t fill = p.fill_seq, end;

		/* fill the free slots without the lock: only this thread touches
		 * a free slot, and the slots [fill_seq, write_seq + nslots) are
		 * free, as slots are written and freed in order */
		pthread_mutex_unlock(&p.lock);
		while (cursor != CS_ORDER_END && fill < p.write_seq + p.nslots) {
			struct slot *s = &p.slots[fill % p.nslots];

			s->n = 0;
			while (s->n < BATCH_PAGES && cursor != CS_ORDER_END) {
				s->pfn[s->n++] = cursor;
				cursor = cs_order_next(ord);
			}
			fill++;
		}
		pthread_mutex_lock(&p.lock);
		if (fill > p.fill_seq) {
			for (uint64_t q = p.fill_seq; q < fill; q++)
				p.slots[q % p.nslots].state = SLOT_QUEUED;
			p.fill_seq = fill;
			if (p.idle)
				pthread_cond_broadcast(&p.work_cv);
		}
		if (p.write_seq == p.fill_seq)
			break;	/* all written */
		/* wait for half the ring (n of 2n + 1 slots; the rest keeps the
		 * workers busy meanwhile) or the one slot, or for what is left */
		end = p.write_seq + (p.nslots > 1 ? p.nslots / 2 : 1);
		if (end > p.fill_seq)
			end = p.fill_seq;
		p.wait_end = end;
		while (!range_done(&p, p.write_seq, end)) {
			if (p.work_seq < p.fill_seq) {
				struct slot *s = take_slot(&p);

				pthread_mutex_unlock(&p.lock);
				process_slot(&wks[0], s);
				pthread_mutex_lock(&p.lock);
				slot_done(&p, s);
			} else {
				pthread_cond_wait(&p.done_cv, &p.lock);
			}
		}
		p.wait_end = 0;
		pthread_mutex_unlock(&p.lock);
		locked = 0;
		for (uint64_t q = p.write_seq; q < end && st == CS_OK; q++) {
			struct slot *s = &p.slots[q % p.nslots];

			if (s->status != CS_OK) {
				*err = s->err;
				st = s->status;
			} else {
				st = write_slot(&p, s, err);
			}
			if (st == CS_OK && cfg->stop && *cfg->stop)
				st = cs_fail(err, CS_INTERRUPTED, "interrupted by a signal");
			done_pages += s->n;
		}
		if (cfg->progress && now_s() - last >= 1.0) {
			last = now_s();
			progress(&p, done_pages, cfg->plan->kept_pages, t0, 0);
			shown = 1;
		}
		pthread_mutex_lock(&p.lock);
		locked = 1;
		for (uint64_t q = p.write_seq; q < end; q++)
			p.slots[q % p.nslots].state = SLOT_FREE;
		p.write_seq = end;
	}
	if (!locked)
		pthread_mutex_lock(&p.lock);
	p.quit = 1;
	pthread_cond_broadcast(&p.work_cv);
	pthread_mutex_unlock(&p.lock);
	for (unsigned int i = 0; i < nthreads; i++)
		if (wks[i].started)
			pthread_join(wks[i].tid, NULL);
	/* every buffer and context of the copy is still here: the run's peak */
	stats->rss_kib = cs_rss_now_kib();
	for (unsigned int i = 0; i < nthreads; i++)
		if (wks[i].ctx_ready)
			cs_codec_ctx_deinit(&wks[i].cctx);
	if (cfg->progress && st == CS_OK)
		progress(&p, done_pages, cfg->plan->kept_pages, t0, 1);
	else if (shown)
		fputc('\n', stderr);	/* main's message starts on a line of its own */
	if (ord) {
		size_t nr;

		if (st == CS_OK)
			st = cs_order_status(ord, err);
		stats->first_pages = cs_order_priority_pages(ord, &nr);
		stats->first_ranges = nr;
	}
	for (unsigned int i = 0; i < p.nslots; i++)
		free(p.slots[i].data);
	free(p.slots);
	free(wks);
	cs_order_destroy(ord);
	pthread_mutex_destroy(&p.lock);
	pthread_cond_destroy(&p.work_cv);
	pthread_cond_destroy(&p.done_cv);
	stats->pages_read = p.pages_read;
	stats->zero_pages = p.zero_pages;
	stats->raw_pages = p.raw_pages;
	stats->pages_out = p.pages_read - p.zero_pages;
	return st;
}
