/*
 * xensave's in-memory hypervisor, as the libraries libxenguest imports from:
 * libxenctrl (xc_*, read_exact, ...), libxencall (xencall1), libxenforeignmemory
 * and libxentoollog (xtl_*). Built as libxenctrl.so.4.17 with the version node
 * VERS_4.17.0 that Debian's libxenguest.so.4.17 asks for.
 *
 * One domain, held in memory. Guest frames are identity-mapped (mfn == gfn) and
 * stored sparsely: a hash from frame number to a page slot of a memfd, so a
 * guest costs what its populated pages cost. "libxc only" mode answers every
 * call with success; "libxc + hypervisor" mode runs the checks of checks.c
 * where Xen's hypervisor would.
 *
 * SPDX-License-Identifier: MIT
 * Written for xensave; no Xen code. What libxenguest needs of these calls was
 * read in Xen's tools/libs/guest (xg_sr_restore*.c, xg_sr_common*.c,
 * xg_dom_boot.c: xc_dom_gnttab_seed) at RELEASE-4.17.0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "emu.h"
#include <xencall.h>
#include <xenforeignmemory.h>
#include <xentoollog.h>
#include <xen/memory.h>

#define PAGE 4096ul

/*
 * The layout libxenguest reads: it dereferences xch->fmem (xg_sr_restore.c,
 * xg_dom_boot.c), so the fields keep the order of libxenctrl's private
 * struct xc_interface_core (tools/libs/ctrl/xc_private.h, 4.17).
 */
struct xc_interface_core {
    int flags;
    xentoollog_logger *error_handler, *error_handler_tofree;
    xentoollog_logger *dombuild_logger, *dombuild_logger_tofree;
    struct xc_error last_error;
    FILE *dombuild_logger_file;
    const char *currently_progress_reporting;
    xencall_handle *xcall;
    xenforeignmemory_handle *fmem;
    void *dmod;
};

struct xenforeignmemory_handle { int unused; };
struct xencall_handle { int unused; };
struct xenforeignmemory_resource_handle { void *addr; size_t len; };

/* Prototypes of libxenctrl's exports that are not in its public headers
 * (tools/libs/ctrl/xc_private.h declares them for libxenguest). */
int xc__hypercall_bounce_pre(xc_interface *xch, xc_hypercall_buffer_t *bounce);
void xc__hypercall_bounce_post(xc_interface *xch, xc_hypercall_buffer_t *bounce);
void xc_report_error(xc_interface *xch, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void xc_reportv(xc_interface *xch, xentoollog_logger *lg, xentoollog_level level,
                int code, const char *fmt, va_list args) __attribute__((format(printf, 5, 0)));
void xc_report(xc_interface *xch, xentoollog_logger *lg, xentoollog_level level,
               int code, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
const char *xc_set_progress_prefix(xc_interface *xch, const char *doing);
void xc_report_progress_single(xc_interface *xch, const char *doing);
void xc_report_progress_step(xc_interface *xch, unsigned long done, unsigned long total);
void *xc_map_foreign_ranges(xc_interface *xch, uint32_t dom, size_t size, int prot,
                            size_t chunksize, void *entries, int nentries);
int xc_get_pfn_type_batch(xc_interface *xch, uint32_t dom, unsigned int num, xen_pfn_t *arr);
void discard_file_cache(xc_interface *xch, int fd, int flush);
struct xc_mmu;
struct xc_mmu *xc_alloc_mmu_updates(xc_interface *xch, unsigned int subject);
int xc_add_mmu_update(xc_interface *xch, struct xc_mmu *mmu, unsigned long long ptr,
                      unsigned long long val);
int xc_flush_mmu_updates(xc_interface *xch, struct xc_mmu *mmu);
int read_exact(int fd, void *data, size_t size);
int write_exact(int fd, const void *data, size_t size);
int writev_exact(int fd, const struct iovec *iov, int iovcnt);

struct emu_domain emu_dom;
int emu_verbose;
static char first_error[1024];
static char hv_error[1024];

/* --- logging ------------------------------------------------------------------ */

const char *emu_first_error(void) { return first_error; }
const char *emu_hypervisor_error(void) { return hv_error; }

void emu_refuse(const char *fmt, ...)
{
    va_list ap;

    if ( hv_error[0] )
        return;
    va_start(ap, fmt);
    vsnprintf(hv_error, sizeof(hv_error), fmt, ap);
    va_end(ap);
    fprintf(stderr, "hypervisor: %s\n", hv_error);
}

static void log_line(xentoollog_level level, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static void log_line(xentoollog_level level, int code, const char *fmt, va_list ap)
{
    char msg[1024];
    size_t n;

    (void)code;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    n = strlen(msg);
    while ( n && msg[n - 1] == '\n' )
        msg[--n] = '\0';
    if ( level >= XTL_ERROR )
    {
        if ( !first_error[0] )
            snprintf(first_error, sizeof(first_error), "%s", msg);
        fprintf(stderr, "xc: error: %s\n", msg);
    }
    else if ( emu_verbose )
        fprintf(stderr, "xc: %s\n", msg);
}

void xc_reportv(xc_interface *xch, xentoollog_logger *lg, xentoollog_level level,
                int code, const char *fmt, va_list args)
{
    (void)xch; (void)lg;
    log_line(level, code, fmt, args);
}

void xc_report(xc_interface *xch, xentoollog_logger *lg, xentoollog_level level,
               int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    xc_reportv(xch, lg, level, code, fmt, ap);
    va_end(ap);
}

void xc_report_error(xc_interface *xch, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    xc_reportv(xch, NULL, XTL_ERROR, code, fmt, ap);
    va_end(ap);
}

const char *xc_set_progress_prefix(xc_interface *xch, const char *doing)
{
    const char *old = xch->currently_progress_reporting;

    xch->currently_progress_reporting = doing;
    return old;
}

void xc_report_progress_single(xc_interface *xch, const char *doing) { (void)xch; (void)doing; }
void xc_report_progress_step(xc_interface *xch, unsigned long done, unsigned long total)
{
    (void)xch; (void)done; (void)total;
}

const char *xc_strerror(xc_interface *xch, int errcode)
{
    (void)xch;
    return strerror(errcode);
}

static void stdio_vmessage(struct xentoollog_logger *logger, xentoollog_level level,
                           int errnoval, const char *context, const char *format, va_list al)
    __attribute__((format(printf, 5, 0)));
static void stdio_vmessage(struct xentoollog_logger *logger, xentoollog_level level,
                           int errnoval, const char *context, const char *format, va_list al)
{
    (void)logger; (void)errnoval; (void)context;
    log_line(level, 0, format, al);
}

static void stdio_progress(struct xentoollog_logger *logger, const char *context,
                           const char *doing_what, int percent, unsigned long done,
                           unsigned long total)
{
    (void)logger; (void)context; (void)doing_what; (void)percent; (void)done; (void)total;
}

static void stdio_destroy(struct xentoollog_logger *logger) { (void)logger; }

static xentoollog_logger stdio_logger = {
    .vmessage = stdio_vmessage,
    .progress = stdio_progress,
    .destroy = stdio_destroy,
};

xentoollog_logger_stdiostream *xtl_createlogger_stdiostream(FILE *f, xentoollog_level min_level,
                                                            unsigned flags)
{
    (void)f; (void)min_level; (void)flags;
    return (xentoollog_logger_stdiostream *)&stdio_logger;
}

void xtl_logv(struct xentoollog_logger *logger, xentoollog_level level, int errnoval,
              const char *context, const char *format, va_list al)
{
    if ( logger && logger->vmessage )
        logger->vmessage(logger, level, errnoval, context, format, al);
}

/* --- guest memory: gfn -> page slot of a memfd, open addressing ---------------- */

static int mem_fd = -1;
static uint64_t nslots, file_slots;
static uint64_t *hkeys, *hvals;   /* key gfn + 1 (0: empty), value slot */
static uint64_t hcap;
/* The M2P libxenguest maps (xc_map_foreign_ranges on DOMID_XEN): kept true for
 * the identity p2m, because process_start_info and x86_pv_localise_page look
 * frames up in it (mfn_in_pseudophysmap, xg_sr_common_x86_pv.c). */
static unsigned long *m2p;
static uint64_t m2p_entries;

static uint64_t hash64(uint64_t x)
{
    x ^= x >> 33; x *= 0xff51afd7ed558ccdull; x ^= x >> 33;
    return x;
}

static int64_t slot_of(xen_pfn_t gfn)
{
    uint64_t i;

    if ( !hcap )
        return -1;
    for ( i = hash64(gfn) & (hcap - 1); hkeys[i]; i = (i + 1) & (hcap - 1) )
        if ( hkeys[i] == gfn + 1 )
            return (int64_t)hvals[i];
    return -1;
}

static int hash_put(uint64_t key, uint64_t val)
{
    uint64_t i;

    for ( i = hash64(key - 1) & (hcap - 1); hkeys[i]; i = (i + 1) & (hcap - 1) )
        ;
    hkeys[i] = key;
    hvals[i] = val;
    return 0;
}

static int grow_hash(void)
{
    uint64_t *ok = hkeys, *ov = hvals, oc = hcap, i;

    hcap = oc ? oc * 2 : 1024;
    hkeys = calloc(hcap, sizeof(*hkeys));
    hvals = calloc(hcap, sizeof(*hvals));
    if ( !hkeys || !hvals )
        return -1;
    for ( i = 0; i < oc; i++ )
        if ( ok[i] )
            hash_put(ok[i], ov[i]);
    free(ok);
    free(ov);
    return 0;
}

bool emu_populated(xen_pfn_t gfn) { return slot_of(gfn) >= 0; }

/* A new page for frame `key` (what the toolstack maps it by: the gfn of an HVM
 * guest, the mfn of a PV guest), holding guest frame `gfn`. */
static int add_frame(xen_pfn_t key, xen_pfn_t gfn)
{
    if ( slot_of(key) >= 0 )
        return 0;
    if ( key == UINT64_MAX )
        return errno = EINVAL, -1;
    if ( (nslots + 1) * 2 > hcap && grow_hash() )
        return errno = ENOMEM, -1;
    if ( nslots == file_slots )
    {
        uint64_t want = file_slots ? file_slots * 2 : 1024;

        if ( ftruncate(mem_fd, (off_t)(want * PAGE)) )
            return -1;
        file_slots = want;
    }
    hash_put(key + 1, nslots++);
    if ( m2p && key < m2p_entries )
        m2p[key] = gfn;
    return 0;
}

/* The machine frame of a guest frame. PV frames are offset so that no guest
 * page gets mfn 0, which the restorer's cr3 encoding cannot tell from "none". */
static xen_pfn_t frame_of(xen_pfn_t gfn)
{
    return emu_dom.hvm ? gfn : gfn + EMU_MFN_BASE;
}

static int populate(xen_pfn_t gfn)
{
    if ( gfn >= UINT64_MAX - EMU_MFN_BASE )
        return errno = EINVAL, -1;
    if ( slot_of(frame_of(gfn)) >= 0 )
        return 0;
    if ( add_frame(frame_of(gfn), gfn) )
        return -1;
    emu_dom.nr_pages++;
    return 0;
}

void *emu_map(const xen_pfn_t *gfns, size_t n, int prot, int *err)
{
    uint8_t *base;
    size_t i;
    int failed = 0;

    if ( n == 0 )
        return errno = EINVAL, NULL;
    base = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if ( base == MAP_FAILED )
        return NULL;
    for ( i = 0; i < n; i++ )
    {
        int64_t slot = slot_of(gfns[i]);

        if ( err )
            err[i] = 0;
        if ( slot < 0 )
        {
            /* Xen refuses a foreign mapping of a frame the domain does not have. */
            if ( err )
                err[i] = -ENOENT;
            failed = 1;
            continue;
        }
        if ( mmap(base + i * PAGE, PAGE, prot ? prot : PROT_READ, MAP_SHARED | MAP_FIXED,
                  mem_fd, (off_t)((uint64_t)slot * PAGE)) == MAP_FAILED )
        {
            int e = errno;

            munmap(base, n * PAGE);
            errno = e;
            return NULL;
        }
    }
    if ( failed && !err )
    {
        munmap(base, n * PAGE);
        errno = ENOENT;
        return NULL;
    }
    return base;
}

/* --- the handle and the domain -------------------------------------------------- */

static struct xenforeignmemory_handle the_fmem;
static struct xencall_handle the_xcall;

void emu_setup(bool hvm, bool hypervisor, int verbose)
{
    memset(&emu_dom, 0, sizeof(emu_dom));
    emu_dom.hvm = hvm;
    emu_dom.hypervisor = hypervisor;
    emu_dom.width = 8;
    emu_verbose = verbose;
    if ( mem_fd < 0 )
        mem_fd = memfd_create("xensave-guest", MFD_CLOEXEC);
    if ( !hvm )
        add_frame(EMU_SHARED_INFO_MFN, EMU_SHARED_INFO_MFN);
}

xc_interface *xc_interface_open(xentoollog_logger *logger, xentoollog_logger *dombuild_logger,
                                unsigned open_flags)
{
    xc_interface *xch = calloc(1, sizeof(*xch));

    (void)logger; (void)dombuild_logger; (void)open_flags;
    if ( !xch )
        return NULL;
    xch->xcall = &the_xcall;
    xch->fmem = &the_fmem;
    return xch;
}

int xc_interface_close(xc_interface *xch)
{
    free(xch);
    return 0;
}

static void domain_info(struct emu_info *info)
{
    memset(info, 0, sizeof(*info));
    info->paused = true;
    info->max_memkb = 4ul << 20;
    info->nr_online_vcpus = 1;
    info->max_vcpu_id = EMU_MAX_VCPU_ID;
    emu_guest_info(info);
}

#ifndef EMU_GETINFO_SINGLE
int xc_domain_getinfo(xc_interface *xch, uint32_t first_domid, unsigned int max_doms,
                      xc_dominfo_t *info)
{
    struct emu_info e;

    (void)xch;
    if ( max_doms < 1 || first_domid > EMU_DOMID )
        return 0;
    domain_info(&e);
    memset(info, 0, sizeof(*info));
    info->domid = EMU_DOMID;
    info->hvm = emu_dom.hvm;
    info->hap = emu_dom.hvm;
    info->paused = e.paused;
    info->shutdown = e.shutdown;
    info->shutdown_reason = e.shutdown_reason;
    info->nr_pages = emu_dom.nr_pages;
    info->shared_info_frame = EMU_SHARED_INFO_MFN;
    info->max_memkb = e.max_memkb;
    info->nr_online_vcpus = e.nr_online_vcpus;
    info->max_vcpu_id = e.max_vcpu_id;
    return 1;
}
#else
/* Xen 4.18's replacement (tools/libs/ctrl/xc_domain.c): the domctl's own struct,
 * state in flags (public/domctl.h XEN_DOMINF_*), ESRCH for another domain. */
int xc_domain_getinfo_single(xc_interface *xch, uint32_t domid, xc_domaininfo_t *info)
{
    struct emu_info e;

    (void)xch;
    if ( domid != EMU_DOMID )
    {
        errno = ESRCH;
        return -1;
    }
    domain_info(&e);
    memset(info, 0, sizeof(*info));
    info->domain = EMU_DOMID;
    info->flags = (emu_dom.hvm ? XEN_DOMINF_hvm_guest | XEN_DOMINF_hap : 0) |
                  (e.paused ? XEN_DOMINF_paused : 0) |
                  (e.shutdown ? XEN_DOMINF_shutdown : 0) |
                  (e.shutdown_reason & XEN_DOMINF_shutdownmask) << XEN_DOMINF_shutdownshift;
    info->tot_pages = emu_dom.nr_pages;
    info->max_pages = e.max_memkb / 4;
    info->shared_info_frame = EMU_SHARED_INFO_MFN;
    info->nr_online_vcpus = e.nr_online_vcpus;
    info->max_vcpu_id = e.max_vcpu_id;
    return 0;
}
#endif

int xc_domain_get_guest_width(xc_interface *xch, uint32_t domid, unsigned int *guest_width)
{
    (void)xch; (void)domid;
    *guest_width = emu_dom.width;
    return 0;
}

int xc_domain_nr_gpfns(xc_interface *xch, uint32_t domid, xen_pfn_t *gpfns)
{
    (void)xch; (void)domid;
    /* a saved guest's p2m size; on restore 4 GiB: only sizes the dirty bitmap of
     * checkpointed streams */
    *gpfns = emu_dom.p2m_size ? emu_dom.p2m_size : 0x100000;
    return 0;
}

#ifdef EMU_SCRATCH_GPFN
/* libxenctrl's until 4.16 moved it to libxenguest (xc_core_x86.c, then
 * xg_core_x86.c): the first gpfn past the domain's, where xc_dom_gnttab_seed maps
 * the grant table for a moment. Only a tree without it in libxenguest gets ours:
 * otherwise this library, loaded first, would stand in for Xen's. */
int xc_core_arch_get_scratch_gpfn(xc_interface *xch, uint32_t domid, xen_pfn_t *gpfn);
int xc_core_arch_get_scratch_gpfn(xc_interface *xch, uint32_t domid, xen_pfn_t *gpfn)
{
    return xc_domain_nr_gpfns(xch, domid, gpfn);
}
#endif

int xc_maximum_ram_page(xc_interface *xch, unsigned long *max_mfn)
{
    (void)xch;
    *max_mfn = (1ul << 24) - 1;
    return 0;
}

int xc_machphys_mfn_list(xc_interface *xch, unsigned long max_extents, xen_pfn_t *extent_start)
{
    unsigned long i;

    (void)xch;
    for ( i = 0; i < max_extents; i++ )
        extent_start[i] = EMU_SHARED_INFO_MFN + 1 + i;
    return 0;
}

long xc_memory_op(xc_interface *xch, unsigned int cmd, void *arg, size_t len)
{
    (void)xch; (void)len;
    if ( cmd == XENMEM_machphys_compat_mfn_list )
    {
        struct xen_machphys_mfn_list *l = arg;

        l->nr_extents = 1;
        l->extent_start.p[0] = EMU_SHARED_INFO_MFN + 1;
    }
    return 0;
}

/* Its name until 4.17 (tools/libs/ctrl/xc_private.h), which 4.16's libxenguest
 * imports (xg_dom_boot.c, xg_sr_common_x86_pv.c). */
long do_memory_op(xc_interface *xch, int cmd, void *arg, size_t len);
long do_memory_op(xc_interface *xch, int cmd, void *arg, size_t len)
{
    return xc_memory_op(xch, (unsigned int)cmd, arg, len);
}

int xc_domain_populate_physmap_exact(xc_interface *xch, uint32_t domid, unsigned long nr_extents,
                                     unsigned int extent_order, unsigned int mem_flags,
                                     xen_pfn_t *extent_start)
{
    unsigned long i, j;

    (void)xch; (void)domid; (void)mem_flags;
    for ( i = 0; i < nr_extents; i++ )
    {
        for ( j = 0; j < (1ul << extent_order); j++ )
            if ( populate(extent_start[i] + j) )
                return -1;
        /* XENMEM_populate_physmap hands a PV guest's new mfns back */
        extent_start[i] = frame_of(extent_start[i]);
    }
    return 0;
}

int xc_domain_populate_physmap(xc_interface *xch, uint32_t domid, unsigned long nr_extents,
                               unsigned int extent_order, unsigned int mem_flags,
                               xen_pfn_t *extent_start)
{
    return xc_domain_populate_physmap_exact(xch, domid, nr_extents, extent_order, mem_flags,
                                            extent_start) ? -1 : (int)nr_extents;
}

void *xc_map_foreign_pages(xc_interface *xch, uint32_t dom, int prot, const xen_pfn_t *arr,
                           int num)
{
    (void)xch; (void)dom;
    if ( num <= 0 )
        return errno = EINVAL, NULL;
    return emu_map(arr, (size_t)num, prot, NULL);
}

void *xc_map_foreign_range(xc_interface *xch, uint32_t dom, int size, int prot,
                           unsigned long mfn)
{
    size_t n = ((size_t)size + PAGE - 1) / PAGE, i;
    xen_pfn_t *arr = calloc(n ? n : 1, sizeof(*arr));
    void *p;

    (void)xch; (void)dom;
    if ( !arr )
        return NULL;
    for ( i = 0; i < n; i++ )
        arr[i] = mfn + i;
    p = emu_map(arr, n, prot, NULL);
    free(arr);
    return p;
}

void *xc_map_foreign_ranges(xc_interface *xch, uint32_t dom, size_t size, int prot,
                            size_t chunksize, void *entries, int nentries)
{
    void *p;
    uint64_t i;

    /* Only the M2P (DOMID_XEN) is mapped this way on restore: our own memory,
     * filled with the identity for every populated frame. */
    (void)xch; (void)dom; (void)chunksize; (void)entries; (void)nentries;

    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
             -1, 0);
    if ( p == MAP_FAILED )
        return NULL;
    (void)prot;
    m2p = p;
    m2p_entries = size / sizeof(*m2p);
    for ( i = 0; i < hcap; i++ )
        if ( hkeys[i] && hkeys[i] - 1 < m2p_entries )
            m2p[hkeys[i] - 1] = emu_dom.hvm ? hkeys[i] - 1 : hkeys[i] - 1 - EMU_MFN_BASE;
    return p;
}

void *xenforeignmemory_map(xenforeignmemory_handle *fmem, uint32_t dom, int prot, size_t pages,
                           const xen_pfn_t arr[], int err[])
{
    (void)fmem; (void)dom;
    return emu_map(arr, pages, prot, err);
}

int xenforeignmemory_unmap(xenforeignmemory_handle *fmem, void *addr, size_t pages)
{
    (void)fmem;
    return munmap(addr, pages * PAGE);
}

xenforeignmemory_resource_handle *xenforeignmemory_map_resource(
    xenforeignmemory_handle *fmem, domid_t domid, unsigned int type, unsigned int id,
    unsigned long frame, unsigned long nr_frames, void **paddr, int prot, int flags)
{
    xenforeignmemory_resource_handle *r = calloc(1, sizeof(*r));

    (void)fmem; (void)domid; (void)type; (void)id; (void)frame; (void)prot; (void)flags;
    if ( !r )
        return NULL;
    r->len = (nr_frames ? nr_frames : 1) * PAGE;
    r->addr = mmap(NULL, r->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if ( r->addr == MAP_FAILED )
    {
        free(r);
        return NULL;
    }
    *paddr = r->addr;
    return r;
}

int xenforeignmemory_unmap_resource(xenforeignmemory_handle *fmem,
                                    xenforeignmemory_resource_handle *fres)
{
    (void)fmem;
    if ( fres )
    {
        munmap(fres->addr, fres->len);
        free(fres);
    }
    return 0;
}

int xc_clear_domain_pages(xc_interface *xch, uint32_t domid, unsigned long dst_pfn, int num)
{
    void *p = xc_map_foreign_range(xch, domid, num * (int)PAGE, PROT_WRITE, dst_pfn);

    if ( !p )
        return -1;
    memset(p, 0, (size_t)num * PAGE);
    munmap(p, (size_t)num * PAGE);
    return 0;
}

/* --- hypercall buffers: plain memory, bounce buffers alias the caller's -------- */

void *xc__hypercall_buffer_alloc(xc_interface *xch, xc_hypercall_buffer_t *b, size_t size)
{
    (void)xch;
    b->hbuf = calloc(1, size ? size : 1);
    return b->hbuf;
}

void xc__hypercall_buffer_free(xc_interface *xch, xc_hypercall_buffer_t *b)
{
    (void)xch;
    free(b->hbuf);
    b->hbuf = NULL;
}

void *xc__hypercall_buffer_alloc_pages(xc_interface *xch, xc_hypercall_buffer_t *b, int nr_pages)
{
    void *p = mmap(NULL, (size_t)nr_pages * PAGE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    (void)xch;
    b->hbuf = p == MAP_FAILED ? NULL : p;
    return b->hbuf;
}

void xc__hypercall_buffer_free_pages(xc_interface *xch, xc_hypercall_buffer_t *b, int nr_pages)
{
    (void)xch;
    if ( b->hbuf )
        munmap(b->hbuf, (size_t)nr_pages * PAGE);
    b->hbuf = NULL;
}

int xc__hypercall_bounce_pre(xc_interface *xch, xc_hypercall_buffer_t *bounce)
{
    (void)xch;
    bounce->hbuf = bounce->sz ? bounce->ubuf : NULL;
    return 0;
}

void xc__hypercall_bounce_post(xc_interface *xch, xc_hypercall_buffer_t *bounce)
{
    (void)xch;
    bounce->hbuf = NULL;
}

/* --- hypercalls with hypervisor-side effects ------------------------------------ */

static int hv_result(int rc)
{
    if ( rc < 0 )
    {
        errno = -rc;
        return -1;
    }
    return 0;
}

static int domctl(struct xen_domctl *d)
{
    int rc;

    if ( emu_guest_domctl(d, &rc) )
        return hv_result(rc);
    if ( d->cmd == XEN_DOMCTL_set_address_size )
    {
        /* switch_compat/switch_native (xen/arch/x86/pv/domain.c) */
        if ( emu_dom.hvm )
            return hv_result(emu_dom.hypervisor ? -EINVAL : 0);
        if ( d->u.address_size.size == 32 )
            emu_dom.width = 4;
        else if ( d->u.address_size.size == 64 )
            emu_dom.width = 8;
        else
            return hv_result(-EINVAL);
        emu_dom.address_size_set = true;
        return 0;
    }
    return hv_result(emu_dom.hypervisor ? hv_domctl(d) : 0);
}

int xc_domctl(xc_interface *xch, struct xen_domctl *d)
{
    (void)xch;
    return domctl(d);
}

int xencall1(xencall_handle *xcall, unsigned int op, uint64_t arg1)
{
    (void)xcall;
    if ( op == __HYPERVISOR_domctl )
        return domctl((struct xen_domctl *)(uintptr_t)arg1);
    if ( op == __HYPERVISOR_sysctl )
        return hv_result(emu_guest_sysctl((struct xen_sysctl *)(uintptr_t)arg1));
    return 0;
}

int xc_vcpu_setcontext(xc_interface *xch, uint32_t domid, uint32_t vcpu,
                       vcpu_guest_context_any_t *ctxt)
{
    (void)xch; (void)domid;
    return hv_result(emu_dom.hypervisor ? hv_set_vcpu_context(vcpu, ctxt) : 0);
}

int xc_domain_hvm_setcontext(xc_interface *xch, uint32_t domid, uint8_t *hvm_ctxt,
                             uint32_t size)
{
    (void)xch; (void)domid;
    return hv_result(emu_dom.hypervisor ? hv_hvm_load(hvm_ctxt, size) : 0);
}

int xc_hvm_param_set(xc_interface *handle, uint32_t dom, uint32_t param, uint64_t value)
{
    int rc = emu_dom.hypervisor ? hv_set_param(param, value) : 0;

    (void)handle; (void)dom;
    if ( rc == 0 && param < 128 )
    {
        emu_dom.params[param] = value;
        emu_dom.params_set[param / 64] |= 1ull << (param % 64);
    }
    return hv_result(rc);
}

int xc_domain_set_tsc_info(xc_interface *xch, uint32_t domid, uint32_t tsc_mode,
                           uint64_t elapsed_nsec, uint32_t gtsc_khz, uint32_t incarnation)
{
    (void)xch; (void)domid;
    return hv_result(emu_dom.hypervisor ?
                     hv_tsc_set_info(tsc_mode, elapsed_nsec, gtsc_khz, incarnation) : 0);
}

/* --- calls the restore path makes for their side effects only ------------------- */

int xc_mmuext_op(xc_interface *xch, struct mmuext_op *op, unsigned int nr_ops, uint32_t dom)
{
    (void)xch; (void)op; (void)nr_ops; (void)dom;
    return 0;
}

int xc_hvm_param_get(xc_interface *handle, uint32_t dom, uint32_t param, uint64_t *value)
{
    (void)handle; (void)dom;
    *value = param < 128 ? emu_dom.params[param] : 0;
    return 0;
}

int xc_domain_add_to_physmap(xc_interface *xch, uint32_t domid, unsigned int space,
                             unsigned long idx, xen_pfn_t gpfn)
{
    (void)xch; (void)domid; (void)space; (void)idx; (void)gpfn;
    return 0;
}

int xc_domain_cacheflush(xc_interface *xch, uint32_t domid, xen_pfn_t start_pfn,
                         xen_pfn_t nr_pfns)
{
    (void)xch; (void)domid; (void)start_pfn; (void)nr_pfns;
    return 0;
}

int xc_domain_claim_pages(xc_interface *xch, uint32_t domid, unsigned long nr_pages)
{
    (void)xch; (void)domid; (void)nr_pages;
    return 0;
}

int xc_domain_memory_exchange_pages(xc_interface *xch, uint32_t domid, unsigned long nr_in_extents,
                                    unsigned int in_order, xen_pfn_t *in_extents,
                                    unsigned long nr_out_extents, unsigned int out_order,
                                    xen_pfn_t *out_extents)
{
    (void)xch; (void)domid; (void)nr_in_extents; (void)in_order; (void)in_extents;
    (void)nr_out_extents; (void)out_order; (void)out_extents;
    return 0;
}

int xc_domain_set_pod_target(xc_interface *xch, uint32_t domid, uint64_t target_pages,
                             uint64_t *tot_pages, uint64_t *pod_cache_pages,
                             uint64_t *pod_entries)
{
    (void)xch; (void)domid; (void)target_pages;
    if ( tot_pages ) *tot_pages = 0;
    if ( pod_cache_pages ) *pod_cache_pages = 0;
    if ( pod_entries ) *pod_entries = 0;
    return 0;
}

int xc_domain_subscribe_for_suspend(xc_interface *xch, uint32_t domid, evtchn_port_t port)
{
    (void)xch; (void)domid; (void)port;
    return 0;
}

unsigned long xc_make_page_below_4G(xc_interface *xch, uint32_t domid, unsigned long mfn)
{
    (void)xch; (void)domid;
    return mfn;
}

/* xc_get_pfn_type_batch, xc_shadow_control, xc_logdirty_control, the TSC, HVM
 * and vCPU context getters and xc_sysctl answer from the virtual guest: guest.c. */

int xc_version(xc_interface *xch, int cmd, void *arg)
{
    (void)xch; (void)arg;
    return cmd == XENVER_version ? (4 << 16) | 17 : 0;
}

int xc_gnttab_op(xc_interface *xch, int cmd, void *op, int op_size, int count)
{
    (void)xch; (void)cmd; (void)op; (void)op_size; (void)count;
    return 0;
}

grant_entry_v1_t *xc_gnttab_map_table_v1(xc_interface *xch, uint32_t domid, int *gnt_num)
{
    (void)xch; (void)domid; (void)gnt_num;
    return errno = ENOSYS, NULL;
}

grant_entry_v2_t *xc_gnttab_map_table_v2(xc_interface *xch, uint32_t domid, int *gnt_num)
{
    (void)xch; (void)domid; (void)gnt_num;
    return errno = ENOSYS, NULL;
}

struct xc_mmu *xc_alloc_mmu_updates(xc_interface *xch, unsigned int subject)
{
    (void)xch; (void)subject;
    return calloc(1, 64 * 1024);  /* opaque to libxenguest: it only hands it back */
}

int xc_add_mmu_update(xc_interface *xch, struct xc_mmu *mmu, unsigned long long ptr,
                      unsigned long long val)
{
    (void)xch; (void)mmu; (void)ptr; (void)val;
    return 0;
}

int xc_flush_mmu_updates(xc_interface *xch, struct xc_mmu *mmu)
{
    (void)xch; (void)mmu;
    return 0;
}

/* --- file helpers libxenctrl exports -------------------------------------------- */

int read_exact(int fd, void *data, size_t size)
{
    size_t got = 0;

    while ( got < size )
    {
        ssize_t n = read(fd, (char *)data + got, size - got);

        if ( n < 0 && errno == EINTR )
            continue;
        if ( n == 0 )
            errno = 0;
        if ( n <= 0 )
            return -1;
        got += (size_t)n;
    }
    return 0;
}

int write_exact(int fd, const void *data, size_t size)
{
    size_t done = 0;

    while ( done < size )
    {
        ssize_t n = write(fd, (const char *)data + done, size - done);

        if ( n < 0 && errno == EINTR )
            continue;
        if ( n <= 0 )
            return -1;
        done += (size_t)n;
    }
    return 0;
}

int writev_exact(int fd, const struct iovec *iov, int iovcnt)
{
    int i;

    for ( i = 0; i < iovcnt; i++ )
        if ( write_exact(fd, iov[i].iov_base, iov[i].iov_len) )
            return -1;
    return 0;
}

void discard_file_cache(xc_interface *xch, int fd, int flush)
{
    (void)xch; (void)fd; (void)flush;
}
