/*
 * xensave's in-memory hypervisor, save side: a virtual guest (read from a
 * description file, see conformance/xen/guests.py) and the calls Xen's saver
 * (xc_domain_save) makes to look at it: page types, HVM context, TSC info,
 * the CPU policy, vCPU state and log-dirty rounds.
 *
 * Without a loaded guest (the restore driver) every call here answers as the
 * restore side always did: types "none", no contexts, success.
 *
 * SPDX-License-Identifier: MIT
 * Written for xensave; no Xen code. What the saver asks and how it reads the
 * answers was read in Xen's tools/libs/guest/xg_sr_save.c, xg_sr_save_x86_hvm.c,
 * xg_sr_common_x86.c (write_x86_tsc_info, write_x86_cpu_policy_records) and
 * xg_cpuid_x86.c (xc_cpu_policy_get_size, get_domain_cpu_policy) at RELEASE-4.17.0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "emu.h"
#include <xen/sysctl.h>

#define PAGE 4096ul
#define MAX_ITEMS 4096

struct dirty {
    unsigned int round;
    xen_pfn_t pfn;
    uint64_t word;
};

static struct {
    bool loaded;
    bool suspended;
    uint64_t p2m_size;
    unsigned int vcpus;
    unsigned int clean_calls;      /* XEN_DOMCTL_SHADOW_OP_CLEAN calls so far */
    uint32_t tsc_mode, tsc_khz, tsc_incarnation;
    uint64_t tsc_nsec;
    uint8_t *hvm_ctx;
    uint32_t hvm_ctx_len;
    xen_cpuid_leaf_t leaves[MAX_ITEMS];
    uint32_t nr_leaves;
    xen_msr_entry_t msrs[64];
    uint32_t nr_msrs;
    struct dirty dirty[MAX_ITEMS];
    unsigned int nr_dirty;
} g;

/* --- loading the description ---------------------------------------------------- */

static int fill_page(xen_pfn_t pfn, uint64_t word)
{
    uint64_t *p;
    unsigned int i;

    p = emu_map(&pfn, 1, PROT_READ | PROT_WRITE, NULL);
    if ( !p )
        return -1;
    for ( i = 0; i < PAGE / sizeof(*p); i++ )
        p[i] = word;
    munmap(p, PAGE);
    return 0;
}

static int hexval(int c)
{
    if ( c >= '0' && c <= '9' )
        return c - '0';
    if ( c >= 'a' && c <= 'f' )
        return c - 'a' + 10;
    return -1;
}

static int bad(unsigned int line, const char *what)
{
    fprintf(stderr, "guest description, line %u: %s\n", line, what);
    return -1;
}

/*
 * One item a line, fields in hexadecimal:
 *   p2m_size N | vcpus N | page PFN WORD | param INDEX VALUE
 *   tsc MODE NSEC KHZ INCARNATION | hvm_context HEXBYTES
 *   cpuid LEAF SUBLEAF A B C D | msr INDEX FLAGS VALUE | dirty ROUND PFN WORD
 * A page holds its 64-bit WORD repeated; "dirty" rewrites the page with a new
 * WORD when the saver fetches log-dirty round ROUND (1 = the first CLEAN).
 */
int emu_guest_load(FILE *f)
{
    char *line = NULL, key[32];
    size_t cap = 0;
    unsigned int no = 0;
    int used;
    uint64_t a, b, c, d, e, h;

    g.loaded = true;
    g.vcpus = 1;
    while ( getline(&line, &cap, f) > 0 )
    {
        no++;
        if ( line[0] == '#' || line[0] == '\n' )
            continue;
        if ( sscanf(line, "%31s %n", key, &used) != 1 )
            return bad(no, "no key");
        if ( !strcmp(key, "p2m_size") && sscanf(line + used, "%" SCNx64, &a) == 1 )
            g.p2m_size = emu_dom.p2m_size = a;
        else if ( !strcmp(key, "vcpus") && sscanf(line + used, "%" SCNx64, &a) == 1 )
            g.vcpus = (unsigned int)a;
        else if ( !strcmp(key, "page") &&
                  sscanf(line + used, "%" SCNx64 " %" SCNx64, &a, &b) == 2 )
        {
            xen_pfn_t pfn = a;

            if ( a >= g.p2m_size )
                return bad(no, "page beyond p2m_size");
            if ( xc_domain_populate_physmap_exact(NULL, EMU_DOMID, 1, 0, 0, &pfn) ||
                 fill_page(a, b) )
                return bad(no, "cannot populate the page");
        }
        else if ( !strcmp(key, "param") &&
                  sscanf(line + used, "%" SCNx64 " %" SCNx64, &a, &b) == 2 && a < 128 )
        {
            emu_dom.params[a] = b;
            emu_dom.params_set[a / 64] |= 1ull << (a % 64);
        }
        else if ( !strcmp(key, "tsc") &&
                  sscanf(line + used, "%" SCNx64 " %" SCNx64 " %" SCNx64 " %" SCNx64,
                         &a, &b, &c, &d) == 4 )
        {
            g.tsc_mode = (uint32_t)a;
            g.tsc_nsec = b;
            g.tsc_khz = (uint32_t)c;
            g.tsc_incarnation = (uint32_t)d;
        }
        else if ( !strcmp(key, "hvm_context") )
        {
            const char *s = line + used;
            size_t n = strcspn(s, "\n"), i;

            if ( n % 2 || !(g.hvm_ctx = malloc(n / 2 + 1)) )
                return bad(no, "odd hex");
            for ( i = 0; i < n / 2; i++ )
            {
                int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

                if ( hi < 0 || lo < 0 )
                    return bad(no, "not hex");
                g.hvm_ctx[i] = (uint8_t)(hi << 4 | lo);
            }
            g.hvm_ctx_len = (uint32_t)(n / 2);
        }
        else if ( !strcmp(key, "cpuid") && g.nr_leaves < MAX_ITEMS &&
                  sscanf(line + used, "%" SCNx64 " %" SCNx64 " %" SCNx64 " %" SCNx64
                         " %" SCNx64 " %" SCNx64, &a, &b, &c, &d, &e, &h) == 6 )
            g.leaves[g.nr_leaves++] = (xen_cpuid_leaf_t){
                (uint32_t)a, (uint32_t)b, (uint32_t)c, (uint32_t)d, (uint32_t)e, (uint32_t)h };
        else if ( !strcmp(key, "msr") && g.nr_msrs < 64 &&
                  sscanf(line + used, "%" SCNx64 " %" SCNx64 " %" SCNx64, &a, &b, &c) == 3 )
            g.msrs[g.nr_msrs++] = (xen_msr_entry_t){ (uint32_t)a, (uint32_t)b, c };
        else if ( !strcmp(key, "dirty") && g.nr_dirty < MAX_ITEMS &&
                  sscanf(line + used, "%" SCNx64 " %" SCNx64 " %" SCNx64, &a, &b, &c) == 3 )
            g.dirty[g.nr_dirty++] = (struct dirty){ (unsigned int)a, b, c };
        else
            return bad(no, "unknown or malformed item");
    }
    free(line);
    if ( !g.p2m_size )
        return bad(no, "no p2m_size");
    return 0;
}

void emu_guest_suspend(void) { g.suspended = true; }

void emu_guest_info(xc_dominfo_t *info)
{
    if ( !g.loaded )
        return;
    info->paused = 1;
    info->shutdown = g.suspended;
    info->shutdown_reason = g.suspended ? SHUTDOWN_suspend : 0;
    info->nr_online_vcpus = g.vcpus;
    info->max_vcpu_id = g.vcpus - 1;
    info->max_memkb = g.p2m_size * 4;
}

/* --- the saver's queries ---------------------------------------------------------- */

/* XEN_DOMCTL_getpageframeinfo3: a populated frame of an HVM guest is NOTAB,
 * a hole XTAB (what Xen answers for a gfn without a page). */
int xc_get_pfn_type_batch(xc_interface *xch, uint32_t dom, unsigned int num, xen_pfn_t *arr)
{
    unsigned int i;

    (void)xch; (void)dom;
    if ( !g.loaded )
        return 0;
    for ( i = 0; i < num; i++ )
        arr[i] = emu_populated(arr[i]) ? XEN_DOMCTL_PFINFO_NOTAB : XEN_DOMCTL_PFINFO_XTAB;
    return 0;
}

int xc_shadow_control(xc_interface *xch, uint32_t domid, unsigned int sop, unsigned int *mb,
                      uint32_t mode)
{
    (void)xch; (void)domid; (void)sop; (void)mb; (void)mode;
    return 0;
}

/* A CLEAN hands the saver the pfns the description dirties in that round, and
 * the guest "writes" their new contents before the saver maps them. */
long long xc_logdirty_control(xc_interface *xch, uint32_t domid, unsigned int sop,
                              xc_hypercall_buffer_t *dirty_bitmap, unsigned long pages,
                              unsigned int mode, xc_shadow_op_stats_t *stats)
{
    unsigned long *bits = dirty_bitmap ? dirty_bitmap->hbuf : NULL;
    unsigned int i, count = 0, bpl = 8 * sizeof(*bits);

    (void)xch; (void)domid; (void)mode;
    if ( stats )
        memset(stats, 0, sizeof(*stats));
    if ( !g.loaded || sop != XEN_DOMCTL_SHADOW_OP_CLEAN || !bits )
        return (long long)pages;
    g.clean_calls++;
    memset(bits, 0, (pages + bpl - 1) / bpl * sizeof(*bits));
    for ( i = 0; i < g.nr_dirty; i++ )
    {
        struct dirty *d = &g.dirty[i];

        if ( d->round != g.clean_calls || d->pfn >= pages )
            continue;
        if ( fill_page(d->pfn, d->word) )
            return -1;
        if ( !(bits[d->pfn / bpl] & (1ul << (d->pfn % bpl))) )
            count++;
        bits[d->pfn / bpl] |= 1ul << (d->pfn % bpl);
    }
    if ( stats )
    {
        stats->dirty_count = count;
        stats->fault_count = count;
    }
    return (long long)pages;
}

int xc_domain_get_tsc_info(xc_interface *xch, uint32_t domid, uint32_t *tsc_mode,
                           uint64_t *elapsed_nsec, uint32_t *gtsc_khz, uint32_t *incarnation)
{
    (void)xch; (void)domid;
    *tsc_mode = g.tsc_mode;
    *elapsed_nsec = g.tsc_nsec;
    *gtsc_khz = g.tsc_khz;
    *incarnation = g.tsc_incarnation;
    return 0;
}

/* XEN_DOMCTL_gethvmcontext: with no buffer, the size; else the blob. */
int xc_domain_hvm_getcontext(xc_interface *xch, uint32_t domid, uint8_t *ctxt_buf,
                             uint32_t size)
{
    (void)xch; (void)domid;
    if ( !g.hvm_ctx )
        return errno = ENOSYS, -1;
    if ( !ctxt_buf )
        return (int)g.hvm_ctx_len;
    if ( size < g.hvm_ctx_len )
        return errno = ENOSPC, -1;
    memcpy(ctxt_buf, g.hvm_ctx, g.hvm_ctx_len);
    return (int)g.hvm_ctx_len;
}

int xc_vcpu_getcontext(xc_interface *xch, uint32_t domid, uint32_t vcpu,
                       vcpu_guest_context_any_t *ctxt)
{
    (void)xch; (void)domid; (void)vcpu; (void)ctxt;
    return errno = ENOSYS, -1;
}

int xc_vcpu_getinfo(xc_interface *xch, uint32_t domid, uint32_t vcpu, xc_vcpuinfo_t *info)
{
    (void)xch; (void)domid;
    memset(info, 0, sizeof(*info));
    info->vcpu = vcpu;
    info->online = !g.loaded || vcpu < g.vcpus;
    return 0;
}

int xc_sysctl(xc_interface *xch, struct xen_sysctl *sysctl)
{
    (void)xch; (void)sysctl;
    return errno = ENOSYS, -1;
}

/* XEN_SYSCTL_get_cpu_policy without buffers: how many leaves and MSRs a policy
 * may serialise to (room for the guest's; the saver sizes its buffers by it). */
int emu_guest_sysctl(struct xen_sysctl *s)
{
    if ( !g.loaded || s->cmd != XEN_SYSCTL_get_cpu_policy )
        return 0;
    s->u.cpu_policy.nr_leaves = MAX_ITEMS;
    s->u.cpu_policy.nr_msrs = 64;
    return 0;
}

/* The domctls a save makes: 1 if answered here (rc in *rc), 0 if not ours. */
int emu_guest_domctl(struct xen_domctl *d, int *rc)
{
    if ( !g.loaded )
        return 0;
    *rc = 0;
    switch ( d->cmd )
    {
    case XEN_DOMCTL_get_cpu_policy:
    {
        struct xen_domctl_cpu_policy *p = &d->u.cpu_policy;

        /* Xen copies out only as many as fit, and says -ENOBUFS otherwise. */
        if ( p->nr_leaves < g.nr_leaves || p->nr_msrs < g.nr_msrs )
            return *rc = -ENOBUFS, 1;
        if ( p->leaves.p )
            memcpy(p->leaves.p, g.leaves, g.nr_leaves * sizeof(*g.leaves));
        if ( p->msrs.p )
            memcpy(p->msrs.p, g.msrs, g.nr_msrs * sizeof(*g.msrs));
        p->nr_leaves = g.nr_leaves;
        p->nr_msrs = g.nr_msrs;
        return 1;
    }
    default:
        return 0;
    }
}
