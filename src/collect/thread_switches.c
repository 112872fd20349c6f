/*
 * thread_switches.c — context-switch records of one thread; see
 * thread_switches.h for the why.
 *
 * The ring: one header page (struct perf_event_mmap_page, with data_head
 * written by the kernel and data_tail written by us) and SG_SWITCH_PAGES
 * data pages. Without sample_id_all a switch record is only its 8-byte
 * header, so two pages hold 1,024 switches: far more than a thread makes
 * between two samples at any rate we sample at.
 */
#include "collect/thread_switches.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SG_SWITCH_PAGES 2 /* data pages; a power of two, as perf requires */

int sg_switch_watch_open(sg_switch_watch *w, pid_t tid)
{
    memset(w, 0, sizeof *w);
    w->fd = -1;
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_DUMMY;
    attr.context_switch = 1;
    /* and an EXIT record: a thread's last switch out is not recorded (its
     * events go before it does), so without it an exited thread that was
     * last seen running would look running for ever. */
    attr.task = 1;
    /* User-space only keeps the event open to an unprivileged user under
     * perf_event_paranoid 2 (the default); switch records come regardless. */
    attr.exclude_kernel = 1;
    attr.exclude_hv = 1;
    /* Nobody polls the ring: wake no one until it is full. */
    attr.watermark = 1;
    attr.wakeup_watermark = (uint32_t)(SG_SWITCH_PAGES * (size_t)sysconf(_SC_PAGESIZE));
    int fd = (int)syscall(SYS_perf_event_open, &attr, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t size = (1 + SG_SWITCH_PAGES) * (size_t)sysconf(_SC_PAGESIZE);
    void *ring = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (ring == MAP_FAILED) {
        int err = errno;
        close(fd);
        return -err;
    }
    w->fd = fd;
    w->ring = ring;
    w->size = size;
    return 0;
}

enum sg_switch_state sg_switch_watch_read(sg_switch_watch *w)
{
    if (w->gone)
        return SG_SWITCH_GONE;
    struct perf_event_mmap_page *page = w->ring;
    /* The kernel publishes data_head after the records it covers. */
    uint64_t head = __atomic_load_n(&page->data_head, __ATOMIC_ACQUIRE);
    uint64_t tail = page->data_tail;
    if (head == tail)
        return SG_SWITCH_QUIET;
    const uint8_t *data = (const uint8_t *)w->ring + page->data_offset;
    uint64_t mask = page->data_size - 1;
    enum sg_switch_state state = SG_SWITCH_UNKNOWN;
    int lost = 0;
    while (tail < head) {
        /* Records are 8-byte aligned and the data size is a multiple of
         * 8, so a header never wraps. */
        struct perf_event_header h;
        memcpy(&h, data + (tail & mask), sizeof h);
        if (h.size < sizeof h || h.size > head - tail) {
            lost = 1; /* not a record we can trust: give the answer up */
            tail = head;
            break;
        }
        if (h.type == PERF_RECORD_SWITCH) {
            int out = (h.misc & PERF_RECORD_MISC_SWITCH_OUT) != 0;
            int preempted = (h.misc & PERF_RECORD_MISC_SWITCH_OUT_PREEMPT) != 0;
            state = out && !preempted ? SG_SWITCH_NOW_OUT : SG_SWITCH_NOW_IN;
        } else if (h.type == PERF_RECORD_LOST) {
            lost = 1;
        } else if (h.type == PERF_RECORD_EXIT) {
            w->gone = 1; /* (its FORK records, when it starts threads, say nothing) */
        }
        tail += h.size;
    }
    /* Hand the space back only after reading it. */
    __atomic_store_n(&page->data_tail, tail, __ATOMIC_RELEASE);
    /* Lost records may have been the last ones: only a switch seen after
     * the loss would say more, and we keep it simple. */
    if (w->gone)
        return SG_SWITCH_GONE;
    return lost ? SG_SWITCH_UNKNOWN : state;
}

void sg_switch_watch_close(sg_switch_watch *w)
{
    if (w->ring)
        munmap(w->ring, w->size);
    if (w->fd >= 0)
        close(w->fd);
    w->ring = NULL;
    w->fd = -1;
}
