/*
 * xensave's in-memory hypervisor: the state shared by the emulated libraries,
 * the hypervisor-side checks and the restore driver.
 *
 * SPDX-License-Identifier: MIT
 * Written for xensave; no Xen code. Compiled against the headers of Debian's
 * libxen-dev (fetched at run time, never committed).
 */
#ifndef XENSAVE_EMU_H
#define XENSAVE_EMU_H

#define XC_WANT_COMPAT_MAP_FOREIGN_API 1
#include <stdbool.h>
#include <stdint.h>
#include <xenctrl.h>

/*
 * The two handles of struct xen_domctl_cpu_policy (public/domctl.h) were named
 * cpuid_policy and msr_policy up to RELEASE-4.17.0 and leaves and msrs since
 * (Debian's 4.17.7 has the new names); build.py defines EMU_POLICY_OLD_NAMES
 * when a XEN_SRC tree's header has the old ones.
 */
#ifdef EMU_POLICY_OLD_NAMES
#define EMU_POLICY_LEAVES(p) ((p)->cpuid_policy.p)
#define EMU_POLICY_MSRS(p) ((p)->msr_policy.p)
#else
#define EMU_POLICY_LEAVES(p) ((p)->leaves.p)
#define EMU_POLICY_MSRS(p) ((p)->msrs.p)
#endif

/*
 * Up to Xen 4.15, xc_shadow_control also carried the log-dirty bitmap; 4.16 moved
 * that to xc_logdirty_control (build.py defines EMU_SHADOW_CONTROL_OLD for the old
 * form, and then declares xc_logdirty_control, which the old xenctrl.h lacks).
 */
#ifdef EMU_SHADOW_CONTROL_OLD
long long xc_logdirty_control(xc_interface *xch, uint32_t domid, unsigned int sop,
                              xc_hypercall_buffer_t *dirty_bitmap, unsigned long pages,
                              unsigned int mode, xc_shadow_op_stats_t *stats);
#endif

/* The one domain the emulation holds. */
#define EMU_DOMID 1u
/* The highest vCPU id a domain may use (HVM_MAX_VCPUS - 1: the most libxl creates). */
#define EMU_MAX_VCPU_ID 127u
/* PV guests' machine frames are their pseudo-physical frames plus this. */
#define EMU_MFN_BASE ((xen_pfn_t)0x1000)
/* Pages our own frames (shared info, m2p) live at: never a guest frame of the corpus. */
#define EMU_SHARED_INFO_MFN ((xen_pfn_t)1 << 44)

struct emu_domain {
    bool hvm;
    bool hypervisor;          /* "libxc + hypervisor" mode: run the checks of checks.c */
    unsigned int width;       /* guest width in bytes: 8, or 4 after set_address_size 32 */
    bool address_size_set;
    uint64_t nr_pages;        /* populated pages */
    uint64_t params_set[2];   /* which HVM params have been set (bitmap, 128 entries) */
    uint64_t params[128];
    uint64_t p2m_size;        /* a saved guest's (guest.c); 0 on restore */
};

extern struct emu_domain emu_dom;

/* Start (or reset) the emulated domain. Exported for the driver. */
void emu_setup(bool hvm, bool hypervisor, int verbose);
/* The first error libxenguest reported, and the hypervisor check that failed, if any. */
const char *emu_first_error(void);
const char *emu_hypervisor_error(void);

/* A hypervisor-side check refused: record why (the Xen function in the message). */
void emu_refuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern int emu_verbose;

/* Guest memory. */
void *emu_map(const xen_pfn_t *gfns, size_t n, int prot, int *err);
bool emu_populated(xen_pfn_t gfn);

/* The hypervisor-side checks (checks.c): 0, or a negative Xen errno. */
int hv_set_vcpu_context(unsigned int vcpu, const void *ctxt);
int hv_domctl(struct xen_domctl *domctl);
int hv_hvm_load(const uint8_t *buf, uint32_t size);
int hv_set_param(uint32_t index, uint64_t value);
int hv_tsc_set_info(uint32_t mode, uint64_t nsec, uint32_t khz, uint32_t incarnation);

/* The virtual guest a save reads (guest.c); none on restore. */
#include <stdio.h>
struct xen_sysctl;
int emu_guest_load(FILE *f);
void emu_guest_suspend(void);
void emu_guest_resume(void);
/* What a domain-info query answers, whichever form the library asks it in:
 * xc_domain_getinfo's xc_dominfo_t (to Xen 4.17) or xc_domain_getinfo_single's
 * xc_domaininfo_t (from 4.18; build.py defines EMU_GETINFO_SINGLE then). */
struct emu_info {
    bool paused, shutdown;
    unsigned int shutdown_reason, nr_online_vcpus, max_vcpu_id;
    uint64_t max_memkb;
};
void emu_guest_info(struct emu_info *info);
int emu_guest_domctl(struct xen_domctl *d, int *rc);
int emu_guest_sysctl(struct xen_sysctl *s);

#endif
