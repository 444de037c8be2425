/*
 * xensave's in-memory hypervisor, save side: a virtual guest (read from a
 * description file, see conformance/xen/guests.py) and the calls Xen's saver
 * (xc_domain_save) makes to look at it: page types, HVM context, TSC info,
 * the CPU policy, PV vCPU state (basic, extended, XSAVE, MSRs), the PV guest's
 * shared info page and p2m tree, and log-dirty rounds for live and Remus saves.
 *
 * Without a loaded guest (the restore driver) every call here answers as the
 * restore side always did: types "none", no contexts, success.
 *
 * SPDX-License-Identifier: MIT
 * Written for xensave; no Xen code. What the saver asks and how it reads the
 * answers was read in Xen's tools/libs/guest/xg_sr_save.c (write_batch,
 * send_memory_live, suspend_and_send_dirty, save), xg_sr_save_x86_hvm.c,
 * xg_sr_save_x86_pv.c (map_p2m_tree, write_one_vcpu_*, normalise_pagetable),
 * xg_sr_common_x86_pv.c (x86_pv_map_m2p, mfn_in_pseudophysmap),
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
#define MAX_VCPUS 8

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
    uint32_t *types;               /* by pfn: the XEN_DOMCTL_PFINFO_* type of a page */
    struct blob { uint8_t *data; uint32_t len; } ctx[MAX_VCPUS], ext[MAX_VCPUS],
        xsave[MAX_VCPUS], msrs_of[MAX_VCPUS], shinfo;
    xen_pfn_t p2m_leaf, p2m_mid, p2m_top;
    bool has_p2m;
} g;

/* --- loading the description ---------------------------------------------------- */

/* The frame the toolstack maps a guest page by: its gfn (HVM) or mfn (PV). */
static xen_pfn_t key_of(xen_pfn_t pfn)
{
    return emu_dom.hvm ? pfn : pfn + EMU_MFN_BASE;
}

static void *map_pfn(xen_pfn_t pfn)
{
    xen_pfn_t key = key_of(pfn);

    return emu_map(&key, 1, PROT_READ | PROT_WRITE, NULL);
}

static int fill_page(xen_pfn_t pfn, uint64_t word)
{
    uint64_t *p;
    unsigned int i;

    p = map_pfn(pfn);
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

static int parse_hex(const char *s, struct blob *b)
{
    size_t n = strcspn(s, "\n"), i;

    if ( n % 2 || !(b->data = malloc(n / 2 + 1)) )
        return -1;
    for ( i = 0; i < n / 2; i++ )
    {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

        if ( hi < 0 || lo < 0 )
            return -1;
        b->data[i] = (uint8_t)(hi << 4 | lo);
    }
    b->len = (uint32_t)(n / 2);
    return 0;
}

/* A PV guest's p2m: one leaf frame of machine frames (the guest's width each,
 * ~0 for a hole), a mid frame naming the leaf, a top frame naming the mid,
 * as Linux keeps them for the toolstack (pfn_to_mfn_frame_list_list). */
static int build_p2m(void)
{
    unsigned int w = emu_dom.width, per = (unsigned int)(PAGE / w), i;
    uint8_t *leaf, *mid, *top;
    uint64_t v;

    if ( g.p2m_size > per )
        return -1;
    leaf = map_pfn(g.p2m_leaf);
    mid = map_pfn(g.p2m_mid);
    top = map_pfn(g.p2m_top);
    if ( !leaf || !mid || !top )
        return -1;
    memset(leaf, 0xff, PAGE);
    for ( i = 0; i < g.p2m_size; i++ )
        if ( emu_populated(key_of(i)) )
        {
            v = key_of(i);
            memcpy(leaf + i * w, &v, w);
        }
    memset(mid, 0, PAGE);
    v = key_of(g.p2m_leaf);
    memcpy(mid, &v, w);
    memset(top, 0, PAGE);
    v = key_of(g.p2m_mid);
    memcpy(top, &v, w);
    munmap(leaf, PAGE);
    munmap(mid, PAGE);
    munmap(top, PAGE);
    return 0;
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
 * and for PV guests:
 *   width 4|8 | mfn_base N | type PFN XEN_DOMCTL_PFINFO | pte PFN SLOT TARGET FLAGS
 *   poke PFN OFFSET HEXBYTES | p2m LEAF MID TOP | shared_info HEXPAGE
 *   vcpu_context|vcpu_extended|vcpu_xsave|vcpu_msrs VCPU HEXBYTES
 * A page holds its 64-bit WORD repeated; "dirty" rewrites the page with a new
 * WORD when the saver fetches log-dirty round ROUND (1 = the first CLEAN). A
 * pte names its TARGET by pfn and is stored as the machine frame Xen would
 * hold (pfn + mfn_base), as are the p2m frames built from the populated pages
 * and the vCPU contexts (given in machine frames).
 */
int emu_guest_load(FILE *f)
{
    char *line = NULL, key[32];
    size_t cap = 0;
    unsigned int no = 0;
    int used, used2;
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
        if ( !strcmp(key, "p2m_size") && sscanf(line + used, "%" SCNx64, &a) == 1 &&
             a && a <= (1u << 20) && !g.types )
        {
            g.p2m_size = emu_dom.p2m_size = a;
            if ( !(g.types = calloc(a, sizeof(*g.types))) )
                return bad(no, "out of memory");
        }
        else if ( !strcmp(key, "vcpus") && sscanf(line + used, "%" SCNx64, &a) == 1 &&
                  a >= 1 && a <= MAX_VCPUS )
            g.vcpus = (unsigned int)a;
        else if ( !strcmp(key, "page") &&
                  sscanf(line + used, "%" SCNx64 " %" SCNx64, &a, &b) == 2 )
        {
            xen_pfn_t pfn = a;

            if ( !g.p2m_size || a >= g.p2m_size )
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
            struct blob b;

            if ( parse_hex(line + used, &b) )
                return bad(no, "bad hex");
            g.hvm_ctx = b.data;
            g.hvm_ctx_len = b.len;
        }
        else if ( !strcmp(key, "shared_info") )
        {
            uint8_t *p;
            xen_pfn_t key = EMU_SHARED_INFO_MFN;

            if ( parse_hex(line + used, &g.shinfo) || g.shinfo.len != PAGE ||
                 !(p = emu_map(&key, 1, PROT_READ | PROT_WRITE, NULL)) )
                return bad(no, "bad shared info page");
            memcpy(p, g.shinfo.data, PAGE);
            munmap(p, PAGE);
        }
        else if ( (!strcmp(key, "vcpu_context") || !strcmp(key, "vcpu_extended") ||
                   !strcmp(key, "vcpu_xsave") || !strcmp(key, "vcpu_msrs")) &&
                  sscanf(line + used, "%" SCNx64 " %n", &a, &used2) == 1 && a < MAX_VCPUS )
        {
            struct blob *b = key[5] == 'c' ? &g.ctx[a] : key[5] == 'e' ? &g.ext[a]
                           : key[5] == 'x' ? &g.xsave[a] : &g.msrs_of[a];

            if ( parse_hex(line + used + used2, b) )
                return bad(no, "bad hex");
        }
        else if ( !strcmp(key, "width") && sscanf(line + used, "%" SCNx64, &a) == 1 &&
                  (a == 4 || a == 8) )
            emu_dom.width = (unsigned int)a;
        else if ( !strcmp(key, "mfn_base") && sscanf(line + used, "%" SCNx64, &a) == 1 )
        {
            if ( a != EMU_MFN_BASE )
                return bad(no, "the description's mfn base is not EMU_MFN_BASE");
        }
        else if ( !strcmp(key, "type") &&
                  sscanf(line + used, "%" SCNx64 " %" SCNx64, &a, &b) == 2 && a < g.p2m_size )
            g.types[a] = (uint32_t)b;
        else if ( !strcmp(key, "pte") &&
                  sscanf(line + used, "%" SCNx64 " %" SCNx64 " %" SCNx64 " %" SCNx64,
                         &a, &b, &c, &d) == 4 && b < 512 )
        {
            uint64_t *p = map_pfn(a);

            if ( !p )
                return bad(no, "pte in a page not populated");
            p[b] = (key_of(c) << 12) | d;
            munmap(p, PAGE);
        }
        else if ( !strcmp(key, "poke") &&
                  sscanf(line + used, "%" SCNx64 " %" SCNx64 " %n", &a, &b, &used2) == 2 )
        {
            struct blob bl;
            uint8_t *p;

            if ( parse_hex(line + used + used2, &bl) || b + bl.len > PAGE ||
                 !(p = map_pfn(a)) )
                return bad(no, "bad poke");
            memcpy(p + b, bl.data, bl.len);
            munmap(p, PAGE);
            free(bl.data);
        }
        else if ( !strcmp(key, "p2m") &&
                  sscanf(line + used, "%" SCNx64 " %" SCNx64 " %" SCNx64, &a, &b, &c) == 3 )
        {
            g.p2m_leaf = a;
            g.p2m_mid = b;
            g.p2m_top = c;
            g.has_p2m = true;
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
    if ( g.has_p2m && build_p2m() )
        return bad(no, "cannot build the p2m (one leaf frame: p2m_size too large?)");
    return 0;
}

void emu_guest_suspend(void) { g.suspended = true; }
void emu_guest_resume(void) { g.suspended = false; }

void emu_guest_info(struct emu_info *info)
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

/* XEN_DOMCTL_getpageframeinfo3: a frame the domain has gets the type the
 * description gives its page (NOTAB unless told), any other XTAB (what Xen
 * answers for a gfn without a page, or an mfn not the domain's). */
int xc_get_pfn_type_batch(xc_interface *xch, uint32_t dom, unsigned int num, xen_pfn_t *arr)
{
    unsigned int i;
    xen_pfn_t base = emu_dom.hvm ? 0 : EMU_MFN_BASE;

    (void)xch; (void)dom;
    if ( !g.loaded )
        return 0;
    for ( i = 0; i < num; i++ )
    {
        if ( !emu_populated(arr[i]) || arr[i] < base || arr[i] - base >= g.p2m_size )
            arr[i] = XEN_DOMCTL_PFINFO_XTAB;
        else
            arr[i] = g.types[arr[i] - base];
    }
    return 0;
}

#ifndef EMU_SHADOW_CONTROL_OLD
int xc_shadow_control(xc_interface *xch, uint32_t domid, unsigned int sop, unsigned int *mb,
                      uint32_t mode)
{
    (void)xch; (void)domid; (void)sop; (void)mb; (void)mode;
    return 0;
}
#endif

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

#ifdef EMU_SHADOW_CONTROL_OLD
/* Up to Xen 4.15 one call did both (xenctrl.h: the bitmap, page count and stats
 * were xc_shadow_control's own until 4.16 split off xc_logdirty_control). */
int xc_shadow_control(xc_interface *xch, uint32_t domid, unsigned int sop,
                      xc_hypercall_buffer_t *dirty_bitmap, unsigned long pages,
                      unsigned long *mb, uint32_t mode, xc_shadow_op_stats_t *stats)
{
    (void)mb;
    return (int)xc_logdirty_control(xch, domid, sop, dirty_bitmap, pages, mode, stats);
}
#endif

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

/* XEN_DOMCTL_getvcpucontext: the description's context, in machine frames. */
int xc_vcpu_getcontext(xc_interface *xch, uint32_t domid, uint32_t vcpu,
                       vcpu_guest_context_any_t *ctxt)
{
    (void)xch; (void)domid;
    if ( !g.loaded || vcpu >= MAX_VCPUS || !g.ctx[vcpu].data ||
         g.ctx[vcpu].len > sizeof(*ctxt) )
        return errno = ENOSYS, -1;
    memset(ctxt, 0, sizeof(*ctxt));
    memcpy(ctxt, g.ctx[vcpu].data, g.ctx[vcpu].len);
    return 0;
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
        if ( EMU_POLICY_LEAVES(p) )
            memcpy(EMU_POLICY_LEAVES(p), g.leaves, g.nr_leaves * sizeof(*g.leaves));
        if ( EMU_POLICY_MSRS(p) )
            memcpy(EMU_POLICY_MSRS(p), g.msrs, g.nr_msrs * sizeof(*g.msrs));
        p->nr_leaves = g.nr_leaves;
        p->nr_msrs = g.nr_msrs;
        return 1;
    }
    case XEN_DOMCTL_get_ext_vcpucontext:
    {
        struct blob *b = d->u.ext_vcpucontext.vcpu < MAX_VCPUS ?
                         &g.ext[d->u.ext_vcpucontext.vcpu] : NULL;
        uint32_t vcpu = d->u.ext_vcpucontext.vcpu;

        memset(&d->u.ext_vcpucontext, 0, sizeof(d->u.ext_vcpucontext));
        if ( b && b->data && b->len <= sizeof(d->u.ext_vcpucontext) )
            memcpy(&d->u.ext_vcpucontext, b->data, b->len);
        d->u.ext_vcpucontext.vcpu = vcpu;
        return 1;
    }
    case XEN_DOMCTL_getvcpuextstate:
    {
        /* first call: the feature mask and size; then the state (xcr0,
         * xcr0_accum, the XSAVE area) into the buffer */
        struct xen_domctl_vcpuextstate *x = &d->u.vcpuextstate;
        struct blob *b = x->vcpu < MAX_VCPUS ? &g.xsave[x->vcpu] : NULL;

        if ( !b || !b->data || b->len < 16 )
        {
            x->xfeature_mask = 0;
            x->size = 0;
            return 1;
        }
        if ( x->buffer.p )
        {
            if ( x->size < b->len )
                return *rc = -ENOBUFS, 1;
            memcpy(x->buffer.p, b->data, b->len);
        }
        memcpy(&x->xfeature_mask, b->data, sizeof(x->xfeature_mask));
        x->size = b->len;
        return 1;
    }
    case XEN_DOMCTL_get_vcpu_msrs:
    {
        struct xen_domctl_vcpu_msrs *m = &d->u.vcpu_msrs;
        struct blob *b = m->vcpu < MAX_VCPUS ? &g.msrs_of[m->vcpu] : NULL;
        uint32_t n = b && b->data ? b->len / (uint32_t)sizeof(xen_domctl_vcpu_msr_t) : 0;

        if ( m->msrs.p )
        {
            if ( m->msr_count < n )
                return *rc = -ENOBUFS, 1;
            memcpy(m->msrs.p, b->data, n * sizeof(xen_domctl_vcpu_msr_t));
        }
        m->msr_count = n;
        return 1;
    }
    default:
        return 0;
    }
}
