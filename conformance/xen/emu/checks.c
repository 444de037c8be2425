/*
 * Hypervisor-side checks of "libxc + hypervisor" mode: what Xen 4.17's
 * hypervisor refuses when the restorer hands it a domain's state. Host-
 * independent conditions only: nothing that compares with the host CPU (its
 * features, xfeature_mask, CPUID policy limits, MCE capabilities) beyond what
 * no host can have (an XSAVE component outside XCNTXT_MASK), and nothing
 * that needs page-type validation of guest memory (CR3 and GDT frames).
 * Each check names the Xen function (and file) that makes it and returns the
 * errno that function returns.
 *
 * SPDX-License-Identifier: MIT
 * Written for xensave from the facts of Xen's hypervisor source at
 * RELEASE-4.17.0; no Xen code. Structures and constants are those of Xen's
 * public headers (Debian's libxen-dev, fetched at run time).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "emu.h"
#include <xen/hvm/params.h>
#include <xen/hvm/save.h>
#include <xen/sched.h>

#define MAX_VCPUS (EMU_MAX_VCPU_ID + 1)

static bool canonical(uint64_t va)
{
    /* is_canonical_address: bits 63..47 all equal (48-bit virtual addresses) */
    return ((int64_t)va >> 47) == 0 || ((int64_t)va >> 47) == -1;
}

/* --- PV vCPU state -------------------------------------------------------------- */

/* Virtual address assists a PV guest may ask for (PV32_VM_ASSIST_MASK,
 * PV64_VM_ASSIST_MASK: xen/arch/x86/include/asm/domain.h). */
#define VMASST_PV32 ((1ull << VMASST_TYPE_4gb_segments) | \
                     (1ull << VMASST_TYPE_4gb_segments_notify) | \
                     (1ull << VMASST_TYPE_writable_pagetables) | \
                     (1ull << VMASST_TYPE_pae_extended_cr3) | \
                     (1ull << VMASST_TYPE_architectural_iopl) | \
                     (1ull << VMASST_TYPE_runstate_update_flag))
#define VMASST_PV64 (VMASST_PV32 | (1ull << VMASST_TYPE_m2p_strict))
/* GDT frames a vCPU holds, and the first entry Xen reserves for itself
 * (pv_set_gdt: FIRST_RESERVED_GDT_ENTRY = 14 pages of 512 entries). */
#define GDT_FRAMES 16
/* FIRST_RESERVED_GDT_ENTRY: the public header's (14 pages of 512 entries) */

int hv_set_vcpu_context(unsigned int vcpu, const void *ctxt)
{
    const vcpu_guest_context_any_t *c = ctxt;
    bool compat = emu_dom.width == 4;
    uint64_t ldt_base, ldt_ents, gdt_ents, vm_assist, flags;
    unsigned int i;

    if ( emu_dom.hvm )
        return 0;
    /* XEN_DOMCTL_setvcpucontext (xen/common/domctl.c): no such vCPU */
    if ( vcpu >= MAX_VCPUS )
    {
        emu_refuse("XEN_DOMCTL_setvcpucontext: vcpu %u beyond max_vcpus (-EINVAL)", vcpu);
        return -EINVAL;
    }
    if ( compat )
    {
        ldt_base = c->x32.ldt_base; ldt_ents = c->x32.ldt_ents;
        gdt_ents = c->x32.gdt_ents; vm_assist = c->x32.vm_assist; flags = c->x32.flags;
    }
    else
    {
        const vcpu_guest_context_x86_64_t *n = &c->x64;
        static const char *const names[] = {
            "rip", "rsp", "kernel_sp", "fs_base", "gs_base_kernel", "gs_base_user",
            "event_callback_eip", "syscall_callback_eip", "failsafe_callback_eip",
        };
        const uint64_t vals[] = {
            n->user_regs.rip, n->user_regs.rsp, n->kernel_sp, n->fs_base, n->gs_base_kernel,
            n->gs_base_user, n->event_callback_eip, n->syscall_callback_eip,
            n->failsafe_callback_eip,
        };

        ldt_base = n->ldt_base; ldt_ents = n->ldt_ents;
        gdt_ents = n->gdt_ents; vm_assist = n->vm_assist; flags = n->flags;
        /* arch_set_info_guest (xen/arch/x86/domain.c): 64-bit PV addresses
         * must be canonical */
        for ( i = 0; i < sizeof(vals) / sizeof(vals[0]); i++ )
            if ( !canonical(vals[i]) )
            {
                emu_refuse("arch_set_info_guest: vcpu %u %s %#llx is not canonical (-EINVAL)",
                           vcpu, names[i], (unsigned long long)vals[i]);
                return -EINVAL;
            }
        if ( ldt_ents && !canonical(ldt_base) )
        {
            emu_refuse("arch_set_info_guest: vcpu %u ldt_base %#llx is not canonical (-EINVAL)",
                       vcpu, (unsigned long long)ldt_base);
            return -EINVAL;
        }
        for ( i = 0; i < 256; i++ )
            if ( !canonical(n->trap_ctxt[i].address) )
            {
                emu_refuse("arch_set_info_guest: vcpu %u trap_ctxt[%u].address %#llx is not "
                           "canonical (-EINVAL)", vcpu, i,
                           (unsigned long long)n->trap_ctxt[i].address);
                return -EINVAL;
            }
        /* __addr_ok (asm/x86_64/uaccess.h): below 2^47 or above Xen's range,
         * tested even when ldt_ents is 0 */
        if ( !(ldt_base < (1ull << 47) || ldt_base >= __HYPERVISOR_VIRT_END) )
        {
            emu_refuse("arch_set_info_guest: vcpu %u ldt_base %#llx inside Xen's virtual "
                       "range (-EINVAL)", vcpu, (unsigned long long)ldt_base);
            return -EINVAL;
        }
    }
    /* arch_set_info_guest: LDT safety checks */
    if ( (ldt_base & 0xfff) || ldt_ents > 8192 )
    {
        emu_refuse("arch_set_info_guest: vcpu %u LDT base %#llx not page aligned or %llu "
                   "entries above 8192 (-EINVAL)", vcpu, (unsigned long long)ldt_base,
                   (unsigned long long)ldt_ents);
        return -EINVAL;
    }
    /* arch_set_info_guest: vCPU 0 sets the domain's vm_assist */
    if ( vcpu == 0 && (vm_assist & ~(compat ? VMASST_PV32 : VMASST_PV64)) )
    {
        emu_refuse("arch_set_info_guest: vm_assist %#llx outside arch_vm_assist_valid_mask "
                   "(-EINVAL)", (unsigned long long)vm_assist);
        return -EINVAL;
    }
    /* arch_set_info_guest: at most 16 GDT frames */
    if ( (gdt_ents + 511) / 512 > GDT_FRAMES )
    {
        emu_refuse("arch_set_info_guest: vcpu %u gdt_ents %llu needs more than %u frames "
                   "(-EINVAL)", vcpu, (unsigned long long)gdt_ents, GDT_FRAMES);
        return -EINVAL;
    }
    /* arch_set_info_guest: a 64-bit vCPU in user mode needs a user page table */
    if ( !compat && !(flags & VGCF_in_kernel) && !c->x64.ctrlreg[1] )
    {
        emu_refuse("arch_set_info_guest: vcpu %u in user mode without ctrlreg[1] (-EINVAL)",
                   vcpu);
        return -EINVAL;
    }
    /* pv_set_gdt (xen/arch/x86/pv/descriptor-tables.c): entries Xen reserves */
    if ( gdt_ents > FIRST_RESERVED_GDT_ENTRY )
    {
        emu_refuse("pv_set_gdt: vcpu %u gdt_ents %llu above FIRST_RESERVED_GDT_ENTRY %u "
                   "(-EINVAL)", vcpu, (unsigned long long)gdt_ents, FIRST_RESERVED_GDT_ENTRY);
        return -EINVAL;
    }
    /* arch_set_info_guest: get_page_from_mfn(cr3): the top-level table must be
     * a page of the domain */
    {
        uint64_t cr3 = compat ? c->x32.ctrlreg[3] : c->x64.ctrlreg[3];
        xen_pfn_t mfn = compat ? (xen_pfn_t)((cr3 >> 12) | (cr3 << 20)) & 0xffffffffu
                               : (xen_pfn_t)(cr3 >> 12);

        if ( !emu_populated(mfn) )
        {
            emu_refuse("arch_set_info_guest: vcpu %u cr3 frame %#llx is not the domain's "
                       "(-EINVAL)", vcpu, (unsigned long long)mfn);
            return -EINVAL;
        }
    }
    return 0;
}

/* --- domctls ------------------------------------------------------------------------- */

/* The MSRs XEN_DOMCTL_set_vcpu_msrs takes (msrs_to_send, xen/arch/x86/domctl.c) */
static const uint32_t vcpu_msrs[] = {
    0x00000048, /* MSR_SPEC_CTRL */
    0x00000140, /* MSR_INTEL_MISC_FEATURES_ENABLES */
    0xc0000103, /* MSR_TSC_AUX */
    0xc0011027, /* MSR_AMD64_DR0_ADDRESS_MASK */
    0xc0011019, /* MSR_AMD64_DR1_ADDRESS_MASK */
    0xc001101a, /* MSR_AMD64_DR2_ADDRESS_MASK */
    0xc001101b, /* MSR_AMD64_DR3_ADDRESS_MASK */
};

/* Size of an uncompacted XSAVE area for the components in xcr0 (the
 * architectural offsets of components 0-9; xstate_ctxt_size asks the host's
 * CPUID leaf 0xD, which on every CPU Xen supports agrees for these).
 * 0 when xcr0 has components beyond them: host-dependent, not checked. */
static uint64_t xsave_size(uint64_t xcr0)
{
    static const uint32_t end[10] = {
        576, 576, 832, 1024, 1088, 1152, 1664, 2688, 0, 2696,
    };
    uint64_t size = 576;
    unsigned int i;

    if ( xcr0 & ~0x2ffull )
        return 0;
    for ( i = 0; i < 10; i++ )
        if ( (xcr0 & (1ull << i)) && end[i] > size )
            size = end[i];
    return size;
}

/* valid_xcr0 (xen/arch/x86/xstate.c) */
static bool valid_xcr0(uint64_t xcr0)
{
    const uint64_t avx512 = (1ull << 5) | (1ull << 6) | (1ull << 7);

    if ( !(xcr0 & 1) )
        return false;
    if ( (xcr0 & 4) && !(xcr0 & 2) )
        return false;
    if ( xcr0 & avx512 )
    {
        if ( !(xcr0 & 4) || (~xcr0 & avx512) )
            return false;
    }
    if ( !(xcr0 & (1ull << 3)) != !(xcr0 & (1ull << 4)) )
        return false;
    return true;
}

/* The XSAVE components Xen 4.17 can ever use, on the most capable host: the
 * host's xfeature_mask is its CPU's XSAVE features ANDed with XCNTXT_MASK
 * (xstate_init; x87, SSE, YMM, BNDREGS, BNDCSR, OPMASK, ZMM, HI_ZMM, PKRU, and
 * no AMX before 4.20), and a domain's xcr0_max is what recalculate_xstate
 * (xen/arch/x86/cpuid.c) grants, the same components at most. */
#define XCNTXT_MASK_4_17 0x2ffull

/* validate_xstate (xen/arch/x86/xstate.c), against a host that has every
 * component Xen 4.17 knows (XCNTXT_MASK_4_17 as xcr0_max and xfeature_mask):
 * an xcr0_accum beyond it is refused on every host; a smaller host refuses
 * more, which is host-dependent and not modelled.
 * hdr: the 64-byte XSAVE header (xstate_bv, xcomp_bv, reserved[6]). */
static int validate_xstate(const char *who, uint64_t xcr0, uint64_t accum, const uint8_t *hdr)
{
    uint64_t bv, comp, r;
    unsigned int i;

    memcpy(&bv, hdr, 8);
    memcpy(&comp, hdr + 8, 8);
    if ( (bv & ~accum) || (xcr0 & ~accum) || !valid_xcr0(xcr0) || !valid_xcr0(accum) )
    {
        emu_refuse("%s: validate_xstate: xcr0 %#llx, xcr0_accum %#llx, xstate_bv %#llx "
                   "inconsistent (-EINVAL)", who, (unsigned long long)xcr0,
                   (unsigned long long)accum, (unsigned long long)bv);
        return -EINVAL;
    }
    if ( accum & ~XCNTXT_MASK_4_17 )
    {
        /* xcr0_accum & ~xcr0_max (-EINVAL) is tested before xcr0_accum &
         * ~xfeature_mask (-EOPNOTSUPP), and xcr0_max is within xfeature_mask */
        emu_refuse("%s: validate_xstate: xcr0_accum %#llx has components %#llx beyond any "
                   "host's xcr0_max and xfeature_mask (XCNTXT_MASK %#llx) (-EINVAL)",
                   who, (unsigned long long)accum,
                   (unsigned long long)(accum & ~XCNTXT_MASK_4_17),
                   (unsigned long long)XCNTXT_MASK_4_17);
        return -EINVAL;
    }
    if ( comp )
    {
        emu_refuse("%s: validate_xstate: xcomp_bv %#llx non-zero (-EOPNOTSUPP)", who,
                   (unsigned long long)comp);
        return -EOPNOTSUPP;
    }
    for ( i = 0; i < 6; i++ )
    {
        memcpy(&r, hdr + 16 + 8 * i, 8);
        if ( r )
        {
            emu_refuse("%s: validate_xstate: XSAVE header reserved[%u] non-zero (-EIO)", who,
                       i);
            return -EIO;
        }
    }
    return 0;
}

static int set_ext_vcpucontext(const struct xen_domctl_ext_vcpucontext *evc)
{
    /* XEN_DOMCTL_set_ext_vcpucontext (xen/arch/x86/domctl.c) */
    if ( evc->vcpu >= MAX_VCPUS )
    {
        emu_refuse("XEN_DOMCTL_set_ext_vcpucontext: vcpu %u beyond max_vcpus (-ESRCH)",
                   evc->vcpu);
        return -ESRCH;
    }
    if ( evc->size < offsetof(struct xen_domctl_ext_vcpucontext, mcg_cap) )
    {
        emu_refuse("XEN_DOMCTL_set_ext_vcpucontext: size %u below %zu (-EINVAL)", evc->size,
                   offsetof(struct xen_domctl_ext_vcpucontext, mcg_cap));
        return -EINVAL;
    }
    if ( !emu_dom.hvm && (!canonical(evc->sysenter_callback_eip) ||
                          !canonical(evc->syscall32_callback_eip)) )
    {
        emu_refuse("XEN_DOMCTL_set_ext_vcpucontext: sysenter/syscall32 callback not "
                   "canonical (-EINVAL)");
        return -EINVAL;
    }
    return 0;
}

static int setvcpuextstate(const struct xen_domctl_vcpuextstate *evc)
{
    const uint64_t hdr = 16;  /* PV_XSAVE_HDR_SIZE: xcr0 and xcr0_accum */
    const uint8_t *buf = (const uint8_t *)(uintptr_t)evc->buffer.p;
    uint64_t xcr0 = 0, accum = 0, want;
    int rc;

    /* XEN_DOMCTL_setvcpuextstate (xen/arch/x86/domctl.c) */
    if ( evc->vcpu >= MAX_VCPUS )
    {
        emu_refuse("XEN_DOMCTL_setvcpuextstate: vcpu %u beyond max_vcpus (-ESRCH)", evc->vcpu);
        return -ESRCH;
    }
    if ( evc->size < hdr )
    {
        emu_refuse("XEN_DOMCTL_setvcpuextstate: size %llu below 16 (-EINVAL)",
                   (unsigned long long)evc->size);
        return -EINVAL;
    }
    memcpy(&xcr0, buf, 8);
    memcpy(&accum, buf + 8, 8);
    if ( accum )
    {
        if ( evc->size < hdr + 576 )
        {
            emu_refuse("XEN_DOMCTL_setvcpuextstate: xcr0_accum %#llx with only %llu bytes "
                       "(-EINVAL)", (unsigned long long)accum, (unsigned long long)evc->size);
            return -EINVAL;
        }
        rc = validate_xstate("XEN_DOMCTL_setvcpuextstate", xcr0, accum, buf + hdr + 512);
        if ( rc )
            return rc;
    }
    else if ( xcr0 )
    {
        emu_refuse("XEN_DOMCTL_setvcpuextstate: xcr0 %#llx with xcr0_accum 0 (-EINVAL)",
                   (unsigned long long)xcr0);
        return -EINVAL;
    }
    if ( evc->size == hdr )
        return 0;
    if ( evc->size < hdr + 576 )
    {
        emu_refuse("XEN_DOMCTL_setvcpuextstate: size %llu too short for an XSAVE area "
                   "(-EINVAL)", (unsigned long long)evc->size);
        return -EINVAL;
    }
    {
        uint64_t comp;

        memcpy(&comp, buf + hdr + 512 + 8, 8);
        if ( comp & (1ull << 63) )  /* xsave_area_compressed */
        {
            emu_refuse("XEN_DOMCTL_setvcpuextstate: compressed XSAVE area (-EOPNOTSUPP)");
            return -EOPNOTSUPP;
        }
    }
    want = xsave_size(accum);
    if ( want && evc->size != hdr + want )
    {
        emu_refuse("XEN_DOMCTL_setvcpuextstate: size %llu, xcr0_accum %#llx needs %llu "
                   "(-EINVAL)", (unsigned long long)evc->size, (unsigned long long)accum,
                   (unsigned long long)(hdr + want));
        return -EINVAL;
    }
    return 0;
}

static int set_vcpu_msrs(const struct xen_domctl_vcpu_msrs *m)
{
    const xen_domctl_vcpu_msr_t *msr = (const xen_domctl_vcpu_msr_t *)(uintptr_t)m->msrs.p;
    const uint32_t nr = sizeof(vcpu_msrs) / sizeof(vcpu_msrs[0]);
    uint32_t i, j;

    /* XEN_DOMCTL_set_vcpu_msrs (xen/arch/x86/domctl.c) */
    if ( m->vcpu >= MAX_VCPUS )
    {
        emu_refuse("XEN_DOMCTL_set_vcpu_msrs: vcpu %u beyond max_vcpus (-ESRCH)", m->vcpu);
        return -ESRCH;
    }
    /* It takes its list's length, plus 4 on a host with DBEXT (AMD's debug address
     * masks): host-dependent, so the emulation is the host that takes most. */
    if ( m->msr_count > nr + 4 )
    {
        emu_refuse("XEN_DOMCTL_set_vcpu_msrs: %u MSRs, more than the %u it takes on a "
                   "host with DBEXT (-EINVAL)", m->msr_count, nr + 4);
        return -EINVAL;
    }
    for ( i = 0; i < m->msr_count; i++ )
    {
        if ( msr[i].reserved )
        {
            emu_refuse("XEN_DOMCTL_set_vcpu_msrs: msr[%u] reserved %#x non-zero (-EINVAL)", i,
                       msr[i].reserved);
            return -EINVAL;
        }
        for ( j = 0; j < nr && vcpu_msrs[j] != msr[i].index; j++ )
            ;
        if ( j == nr )
        {
            emu_refuse("XEN_DOMCTL_set_vcpu_msrs: msr[%u] index %#x not one it takes "
                       "(-EINVAL)", i, msr[i].index);
            return -EINVAL;
        }
    }
    return 0;
}

/* Array sizes of struct cpuid_policy (xen/include/xen/lib/x86/cpuid.h, 4.17) */
#define NR_BASIC 14
#define NR_CACHE 6
#define NR_FEAT 3
#define NR_TOPO 2
#define NR_XSTATE 63
#define NR_EXTD 0x22
#define MAX_SERIALISED_LEAVES \
    (NR_BASIC + NR_FEAT - 1 + NR_CACHE - 1 + NR_TOPO - 1 + NR_XSTATE - 1 + NR_EXTD + 2)

static int set_cpu_policy(const struct xen_domctl_cpu_policy *p)
{
    const xen_cpuid_leaf_t *l = (const xen_cpuid_leaf_t *)(uintptr_t)EMU_POLICY_LEAVES(p);
    const xen_msr_entry_t *m = (const xen_msr_entry_t *)(uintptr_t)EMU_POLICY_MSRS(p);
    uint32_t i, limit;

    /* x86_cpuid_copy_from_buffer (xen/lib/x86/cpuid.c) */
    if ( p->nr_leaves > MAX_SERIALISED_LEAVES )
    {
        emu_refuse("x86_cpuid_copy_from_buffer: %u leaves, more than %u (-E2BIG)",
                   p->nr_leaves, MAX_SERIALISED_LEAVES);
        return -E2BIG;
    }
    for ( i = 0; i < p->nr_leaves; i++ )
    {
        uint32_t leaf = l[i].leaf, sub = l[i].subleaf;

        if ( leaf < NR_BASIC )
        {
            switch ( leaf )
            {
            case 0x4: limit = NR_CACHE; break;
            case 0x7: limit = NR_FEAT; break;
            case 0xb: limit = NR_TOPO; break;
            case 0xd: limit = NR_XSTATE; break;
            default: limit = 0; break;
            }
            if ( limit ? sub < limit : sub == XEN_CPUID_NO_SUBLEAF )
                continue;
        }
        else if ( (leaf == 0x40000000 || leaf == 0x40000100 ||
                   (leaf >= 0x80000000 && leaf < 0x80000000 + NR_EXTD)) &&
                  sub == XEN_CPUID_NO_SUBLEAF )
            continue;
        emu_refuse("x86_cpuid_copy_from_buffer: leaf %#x subleaf %#x out of range (-ERANGE)",
                   leaf, sub);
        return -ERANGE;
    }
    /* x86_msr_copy_from_buffer (xen/lib/x86/msr.c) */
    if ( p->nr_msrs > 2 )
    {
        emu_refuse("x86_msr_copy_from_buffer: %u entries, more than 2 (-E2BIG)", p->nr_msrs);
        return -E2BIG;
    }
    for ( i = 0; i < p->nr_msrs; i++ )
    {
        if ( m[i].flags )
        {
            emu_refuse("x86_msr_copy_from_buffer: msr %#x flags %#x non-zero (-EINVAL)",
                       m[i].idx, m[i].flags);
            return -EINVAL;
        }
        if ( m[i].idx != 0xce && m[i].idx != 0x10a )
        {
            emu_refuse("x86_msr_copy_from_buffer: msr %#x not in the policy (-ERANGE)",
                       m[i].idx);
            return -ERANGE;
        }
        if ( m[i].val >> 32 )  /* platform_info and arch_caps are 32 bits wide */
        {
            emu_refuse("x86_msr_copy_from_buffer: msr %#x value %#llx wider than 32 bits "
                       "(-EOVERFLOW)", m[i].idx, (unsigned long long)m[i].val);
            return -EOVERFLOW;
        }
    }
    return 0;
}

int hv_domctl(struct xen_domctl *d)
{
    switch ( d->cmd )
    {
    case XEN_DOMCTL_set_ext_vcpucontext:
        return set_ext_vcpucontext(&d->u.ext_vcpucontext);
    case XEN_DOMCTL_setvcpuextstate:
        return setvcpuextstate(&d->u.vcpuextstate);
    case XEN_DOMCTL_set_vcpu_msrs:
        return set_vcpu_msrs(&d->u.vcpu_msrs);
    case XEN_DOMCTL_set_cpu_policy:
        return set_cpu_policy(&d->u.cpu_policy);
    default:
        return 0;
    }
}

/* --- HVM context: hvm_load and its handlers --------------------------------------- */

struct entry_kind {
    const char *name;       /* the handler's registered name */
    uint32_t len;           /* HVM_SAVE_LENGTH */
    bool strict;            /* hvm_load_entry (strict) or _zeroextend */
    bool per_vcpu;          /* instance is a vCPU id */
    int err;                /* what the handler returns when the entry check fails */
};

/* The typecodes Xen 4.17 registers a load handler for (HVM_REGISTER_SAVE_RESTORE
 * and hvm_register_savevm across xen/arch/x86), and how each reads its entry. */
static const struct entry_kind kinds[HVM_SAVE_CODE_MAX + 1] = {
    [2] = { "CPU", sizeof(struct hvm_hw_cpu), false, true, -EINVAL },              /* hvm_load_cpu_ctxt */
    [3] = { "PIC", sizeof(struct hvm_hw_vpic), true, false, -EINVAL },             /* vpic_load */
    [4] = { "IOAPIC", sizeof(struct hvm_hw_vioapic), true, false, -ENODATA },      /* ioapic_load */
    [5] = { "LAPIC", sizeof(struct hvm_hw_lapic), false, true, -EINVAL },          /* lapic_load_hidden */
    [6] = { "LAPIC_REGS", sizeof(struct hvm_hw_lapic_regs), true, true, -EINVAL }, /* lapic_load_regs */
    [7] = { "PCI_IRQ", sizeof(struct hvm_hw_pci_irqs), true, false, -EINVAL },     /* irq_load_pci */
    [8] = { "ISA_IRQ", sizeof(struct hvm_hw_isa_irqs), true, false, -EINVAL },     /* irq_load_isa */
    [9] = { "PCI_LINK", sizeof(struct hvm_hw_pci_link), true, false, -EINVAL },    /* irq_load_link */
    [10] = { "PIT", sizeof(struct hvm_hw_pit), true, false, -ENODATA },            /* pit_load */
    [11] = { "RTC", sizeof(struct hvm_hw_rtc), false, false, -EINVAL },            /* rtc_load */
    [12] = { "HPET", sizeof(struct hvm_hw_hpet), true, false, -EINVAL },           /* hpet_load */
    [13] = { "PMTIMER", sizeof(struct hvm_hw_pmtimer), true, false, -EINVAL },     /* acpi_load */
    [14] = { "MTRR", sizeof(struct hvm_hw_mtrr), true, true, -EINVAL },            /* hvm_load_mtrr_msr */
    [15] = { "VIRIDIAN_DOMAIN", sizeof(struct hvm_viridian_domain_context), false, false, -EINVAL },
    [16] = { "CPU_XSAVE", 0, false, true, 0 },                                      /* variable length */
    [17] = { "VIRIDIAN_VCPU", sizeof(struct hvm_viridian_vcpu_context), false, true, -EINVAL },
    [18] = { "VMCE_VCPU", sizeof(struct hvm_vmce_vcpu), false, true, -1 },         /* vmce_load_vcpu_ctxt */
    [19] = { "TSC_ADJUST", sizeof(struct hvm_tsc_adjust), true, true, -EINVAL },   /* hvm_load_tsc_adjust */
    [20] = { "CPU_MSR", 0, false, true, 0 },                                        /* variable length */
};

#define DESC sizeof(struct hvm_save_descriptor)
/* HVM_CPU_MSR_SIZE: the count word and n entries */
#define MSR_SIZE(n) (offsetof(struct hvm_msr, msr) + (size_t)(n) * sizeof(struct hvm_one_msr))

/* _hvm_check_entry (xen/arch/x86/hvm/save.c) */
static bool entry_fits(const struct hvm_save_descriptor *d, uint32_t left, uint32_t len,
                       bool strict)
{
    return !(strict ? d->length != len : d->length > len) && d->length <= left - DESC;
}

static int load_cpu(const struct hvm_save_descriptor *d, const uint8_t *body)
{
    struct hvm_hw_cpu c;
    const uint64_t reserved = ~(uint64_t)(0x1u | 0x2u | 0x4u | 0x8u | 0x10u | 0x20u |
                                          0x10000u | 0x40000u | 0x20000000u | 0x40000000u |
                                          0x80000000u);

    memset(&c, 0, sizeof(c));
    memcpy(&c, body, d->length);
    if ( d->length != sizeof(c) )
    {
        /* _hvm_hw_fix_cpu (public arch-x86/hvm/save.h) */
        if ( d->length == sizeof(struct hvm_hw_cpu_compat) )
        {
            struct hvm_hw_cpu_compat o;

            memcpy(&o, body, sizeof(o));
            c.error_code = o.error_code;
            c.pending_event = o.pending_event;
            c.tsc = o.tsc;
            c.msr_tsc_aux = 0;
        }
        c.flags = XEN_X86_FPU_INITIALISED;
    }
    /* hvm_load_cpu_ctxt (xen/arch/x86/hvm/hvm.c) */
    if ( c.pad0 )
    {
        emu_refuse("hvm_load_cpu_ctxt: vcpu %u pad0 non-zero (-EINVAL)", d->instance);
        return -EINVAL;
    }
    if ( (c.cr0 & reserved) || !(c.cr0 & 0x10) || (c.cr0 & 0x80000001u) == 0x80000000u )
    {
        emu_refuse("hvm_load_cpu_ctxt: vcpu %u bad CR0 %#llx (reserved bits, no ET, or PG "
                   "without PE) (-EINVAL)", d->instance, (unsigned long long)c.cr0);
        return -EINVAL;
    }
    if ( c.flags & ~XEN_X86_FPU_INITIALISED )
    {
        emu_refuse("hvm_load_cpu_ctxt: vcpu %u flags %#x beyond FPU_INITIALISED (-EINVAL)",
                   d->instance, c.flags);
        return -EINVAL;
    }
    if ( c.msr_tsc_aux >> 32 )
    {
        emu_refuse("hvm_load_cpu_ctxt: vcpu %u MSR_TSC_AUX %#llx wider than 32 bits (-EINVAL)",
                   d->instance, (unsigned long long)c.msr_tsc_aux);
        return -EINVAL;
    }
    return 0;
}

static int load_xsave(const struct hvm_save_descriptor *d, const uint8_t *body, uint32_t left)
{
    const size_t area = offsetof(struct hvm_hw_cpu_xsave, save_area);
    uint64_t xcr0, accum, want, comp;
    uint32_t i, length = d->length;
    int rc;

    /* hvm_load_cpu_xsave_states (xen/arch/x86/hvm/hvm.c) */
    if ( DESC + d->length > left )
    {
        emu_refuse("hvm_load_cpu_xsave_states: %u bytes past the end (-ENODATA)", d->length);
        return -ENODATA;
    }
    if ( d->length < area + 576 )
    {
        emu_refuse("hvm_load_cpu_xsave_states: length %u < %zu (-EINVAL)", d->length,
                   area + 576);
        return -EINVAL;
    }
    memcpy(&xcr0, body + offsetof(struct hvm_hw_cpu_xsave, xcr0), 8);
    memcpy(&accum, body + offsetof(struct hvm_hw_cpu_xsave, xcr0_accum), 8);
    rc = validate_xstate("hvm_load_cpu_xsave_states", xcr0, accum, body + area + 512);
    if ( rc )
        return rc;
    want = xsave_size(accum);
    if ( !want )
        return 0;  /* components whose size the host decides */
    want += area;
    if ( length > want )
    {
        for ( i = want; i < length; i++ )
            if ( body[i] )
            {
                emu_refuse("hvm_load_cpu_xsave_states: length %u > %llu with non-zero data at "
                           "%u (-EOPNOTSUPP)", length, (unsigned long long)want, i);
                return -EOPNOTSUPP;
            }
        length = want;
    }
    memcpy(&comp, body + area + 512 + 8, 8);
    if ( comp & (1ull << 63) )
    {
        emu_refuse("hvm_load_cpu_xsave_states: compressed XSAVE area (-EOPNOTSUPP)");
        return -EOPNOTSUPP;
    }
    if ( length != want )
    {
        emu_refuse("hvm_load_cpu_xsave_states: length %u != %llu for xcr0_accum %#llx "
                   "(-EINVAL)", length, (unsigned long long)want, (unsigned long long)accum);
        return -EINVAL;
    }
    return 0;
}

static int load_msrs(const struct hvm_save_descriptor *d, const uint8_t *body, uint32_t left)
{
    static const uint32_t handled[] = {
        0x00000048, 0x00000140, 0x00000d90, 0x00000da0, 0xc001011f,
        0xc0011027, 0xc0011019, 0xc001101a, 0xc001101b,
    };
    const struct hvm_msr *m = (const struct hvm_msr *)body;
    uint32_t i, j, count;

    /* hvm_load_cpu_msrs (xen/arch/x86/hvm/hvm.c) */
    if ( DESC + d->length > left )
    {
        emu_refuse("hvm_load_cpu_msrs: %u bytes past the end (-ENODATA)", d->length);
        return -ENODATA;
    }
    if ( d->length < MSR_SIZE(1) )
    {
        emu_refuse("hvm_load_cpu_msrs: length %u < %zu (-EINVAL)", d->length,
                   MSR_SIZE(1));
        return -EINVAL;
    }
    memcpy(&count, body, 4);
    if ( d->length != MSR_SIZE(count) )
    {
        emu_refuse("hvm_load_cpu_msrs: length %u != %zu for %u MSRs (-EOPNOTSUPP)", d->length,
                   MSR_SIZE(count), count);
        return -EOPNOTSUPP;
    }
    for ( i = 0; i < count; i++ )
        if ( m->msr[i]._rsvd )
        {
            emu_refuse("hvm_load_cpu_msrs: msr[%u] _rsvd non-zero (-EOPNOTSUPP)", i);
            return -EOPNOTSUPP;
        }
    for ( i = 0; i < count; i++ )
    {
        for ( j = 0; j < sizeof(handled) / sizeof(handled[0]) && handled[j] != m->msr[i].index;
              j++ )
            ;
        if ( j == sizeof(handled) / sizeof(handled[0]) )
        {
            emu_refuse("hvm_load_cpu_msrs: msr[%u] index %#x not handled (-ENXIO)", i,
                       m->msr[i].index);
            return -ENXIO;
        }
    }
    return 0;
}

int hv_hvm_load(const uint8_t *buf, uint32_t size)
{
    const struct hvm_save_descriptor *d;
    struct hvm_save_header hdr;
    uint32_t cur = 0;

    if ( !emu_dom.hvm )
        return -EINVAL;  /* XEN_DOMCTL_sethvmcontext: not an HVM domain */
    /* hvm_load (xen/arch/x86/hvm/save.c): the header entry first, strict length */
    d = (const void *)buf;
    if ( size < DESC || d->typecode != 1 || d->length != sizeof(hdr) ||
         d->length > size - DESC )
    {
        emu_refuse("hvm_load: no HEADER entry of %zu bytes first (-ENODATA)", sizeof(hdr));
        return -ENODATA;
    }
    memcpy(&hdr, buf + DESC, sizeof(hdr));
    cur = DESC + sizeof(hdr);
    /* arch_hvm_load */
    if ( hdr.magic != HVM_FILE_MAGIC || hdr.version != HVM_FILE_VERSION )
    {
        emu_refuse("arch_hvm_load: magic %#x / version %u not %#x / %u (-EINVAL)", hdr.magic,
                   hdr.version, HVM_FILE_MAGIC, HVM_FILE_VERSION);
        return -EINVAL;
    }
    for ( ;; )
    {
        const struct entry_kind *k;
        const uint8_t *body;
        uint32_t left = size - cur;
        int rc = 0;

        if ( left < DESC )
        {
            emu_refuse("hvm_load: save did not end with a null entry (-ENODATA)");
            return -ENODATA;
        }
        d = (const void *)(buf + cur);
        if ( d->typecode == 0 )
            return 0;
        k = d->typecode <= HVM_SAVE_CODE_MAX ? &kinds[d->typecode] : NULL;
        if ( !k || !k->name )
        {
            emu_refuse("hvm_load: unknown entry typecode %u (-EINVAL)", d->typecode);
            return -EINVAL;
        }
        body = buf + cur + DESC;
        if ( k->per_vcpu && d->instance >= MAX_VCPUS )
        {
            emu_refuse("hvm_load: %s instance %u: no such vcpu (-EINVAL)", k->name,
                       d->instance);
            return -EINVAL;
        }
        if ( d->typecode == 16 )
            rc = load_xsave(d, body, left);
        else if ( d->typecode == 20 )
            rc = load_msrs(d, body, left);
        else if ( d->typecode == 3 && d->instance > 1 )
        {
            emu_refuse("vpic_load: PIC instance %u > 1 (-ENOENT)", d->instance);
            return -ENOENT;
        }
        else if ( !entry_fits(d, left, k->len, k->strict) )
        {
            emu_refuse("_hvm_check_entry: %s instance %u length %u, expected %s%u, %u bytes "
                       "left (%d)", k->name, d->instance, d->length,
                       k->strict ? "" : "at most ", k->len, left - (uint32_t)DESC, k->err);
            return k->err;
        }
        else if ( d->typecode == 2 )
            rc = load_cpu(d, body);
        else if ( d->typecode == 9 )
        {
            const struct hvm_hw_pci_link *l = (const void *)body;
            unsigned int i;

            for ( i = 0; i < 4; i++ )  /* irq_load_link */
                if ( l->route[i] > 15 )
                {
                    emu_refuse("irq_load_link: PCI-ISA link %u routed to %u > 15 (-EINVAL)", i,
                               l->route[i]);
                    return -EINVAL;
                }
        }
        else if ( d->typecode == 5 )
        {
            struct hvm_hw_lapic l;

            memset(&l, 0, sizeof(l));
            memcpy(&l, body, d->length);
            /* lapic_load_hidden: x2APIC mode (EXTD) without the APIC enabled (EN) */
            if ( !(l.apic_base_msr & (1u << 11)) && (l.apic_base_msr & (1u << 10)) )
            {
                emu_refuse("lapic_load_hidden: vcpu %u APIC_BASE %#llx has EXTD without EN "
                           "(-EINVAL)", d->instance, (unsigned long long)l.apic_base_msr);
                return -EINVAL;
            }
        }
        else if ( d->typecode == 14 )
        {
            struct hvm_hw_mtrr m;

            memcpy(&m, body, sizeof(m));
            if ( (m.msr_mtrr_cap & 0xff) > 8 )  /* hvm_load_mtrr_msr: MTRR_VCNT */
            {
                emu_refuse("hvm_load_mtrr_msr: vcpu %u %u variable MTRRs > 8 (-EINVAL)",
                           d->instance, (unsigned int)(m.msr_mtrr_cap & 0xff));
                return -EINVAL;
            }
        }
        else if ( d->typecode == 17 )
        {
            struct hvm_viridian_vcpu_context v;
            size_t i;

            memset(&v, 0, sizeof(v));
            memcpy(&v, body, d->length);
            for ( i = 0; i < sizeof(v._pad); i++ )  /* viridian_load_vcpu_ctxt */
                if ( v._pad[i] )
                {
                    emu_refuse("viridian_load_vcpu_ctxt: vcpu %u _pad non-zero (-EINVAL)",
                               d->instance);
                    return -EINVAL;
                }
        }
        else if ( d->typecode == 18 )
        {
            /* vmce_restore_vcpu (xen/arch/x86/cpu/mcheck/vmce.c): caps beyond the bank
             * count and MCG_CTL_P must be among what the host's vendor offers guests
             * (Intel: SER_P, TES_P, CMCI_P, LMCE_P; AMD: none). Host-dependent, so the
             * emulation is the host that takes most: the union, 0x09000dff in all. */
            struct hvm_vmce_vcpu m;

            memset(&m, 0, sizeof(m));
            memcpy(&m, body, d->length);
            if ( m.caps & ~0x09000dffULL )
            {
                emu_refuse("vmce_restore_vcpu: vcpu %u caps %#llx beyond what any host offers "
                           "(-EINVAL)", d->instance, (unsigned long long)m.caps);
                return -EINVAL;
            }
        }
        if ( rc )
            return rc;
        cur += DESC + d->length;
    }
}

/* --- HVM params -------------------------------------------------------------------- */

int hv_set_param(uint32_t index, uint64_t value)
{
    uint64_t old;

    /* hvmop_set_param (xen/arch/x86/hvm/hvm.c) */
    if ( index >= HVM_NR_PARAMS )
    {
        emu_refuse("hvmop_set_param: index %u >= HVM_NR_PARAMS %u (-EINVAL)", index,
                   HVM_NR_PARAMS);
        return -EINVAL;
    }
    if ( !emu_dom.hvm )
        return -EINVAL;
    /* hvm_allow_set_param: deprecated parameters */
    switch ( index )
    {
    case HVM_PARAM_PAE_ENABLED:
    case HVM_PARAM_DM_DOMAIN:
    case HVM_PARAM_MEMORY_EVENT_CR0:
    case HVM_PARAM_MEMORY_EVENT_CR3:
    case HVM_PARAM_MEMORY_EVENT_CR4:
    case HVM_PARAM_MEMORY_EVENT_INT3:
    case HVM_PARAM_NESTEDHVM:
    case HVM_PARAM_MEMORY_EVENT_SINGLE_STEP:
    case HVM_PARAM_BUFIOREQ_EVTCHN:
    case HVM_PARAM_MEMORY_EVENT_MSR:
        emu_refuse("hvm_allow_set_param: parameter %u is deprecated (-EINVAL)", index);
        return -EINVAL;
    }
    /* hvm_allow_set_param: parameters set once only */
    old = index < 128 ? emu_dom.params[index] : 0;
    switch ( index )
    {
    case HVM_PARAM_VIRIDIAN:
    case HVM_PARAM_IOREQ_PFN:
    case HVM_PARAM_BUFIOREQ_PFN:
    case HVM_PARAM_IOREQ_SERVER_PFN:
    case HVM_PARAM_NR_IOREQ_SERVER_PAGES:
    case HVM_PARAM_ALTP2M:
    case HVM_PARAM_MCA_CAP:
        if ( old && value != old )
        {
            emu_refuse("hvm_allow_set_param: parameter %u already %#llx (-EEXIST)", index,
                       (unsigned long long)old);
            return -EEXIST;
        }
    }
    /* hvm_set_param: value checks */
    switch ( index )
    {
    case HVM_PARAM_TIMER_MODE:
        if ( value > HVMPTM_one_missed_tick_pending )
            goto bad;
        break;
    case HVM_PARAM_VIRIDIAN:
        if ( (value & ~HVMPV_feature_mask) || !(value & HVMPV_base_freq) )
            goto bad;
        break;
    case HVM_PARAM_ACPI_S_STATE:
        if ( value != 0 && value != 3 )
            goto bad;
        break;
    case HVM_PARAM_ACPI_IOPORTS_LOCATION:  /* pmtimer_change_ioport: versions 0 and 1 */
        if ( value != old && (value ^ old) != 1 )
            goto bad;
        break;
    case HVM_PARAM_ALTP2M:
        if ( value > XEN_ALTP2M_limited )
            goto bad;
        break;
    case HVM_PARAM_TRIPLE_FAULT_REASON:
        if ( value > SHUTDOWN_MAX )
            goto bad;
        break;
    case HVM_PARAM_NR_IOREQ_SERVER_PAGES:
        if ( value == 0 || value > 64 )
            goto bad;
        break;
    case HVM_PARAM_X87_FIP_WIDTH:
        if ( value != 0 && value != 4 && value != 8 )
            goto bad;
        break;
    case HVM_PARAM_VM86_TSS:
        if ( value != (uint32_t)value )
            goto bad;
        break;
    case HVM_PARAM_VM86_TSS_SIZED:
        if ( (value >> 32) < 104 )  /* sizeof(struct tss32) */
            goto bad;
        break;
    case HVM_PARAM_MCA_CAP:  /* vmce_enable_mca_cap: XEN_HVM_MCA_CAP_MASK */
        if ( value & ~XEN_HVM_MCA_CAP_MASK )
            goto bad;
        break;
    }
    return 0;
 bad:
    emu_refuse("hvm_set_param: parameter %u value %#llx refused (-EINVAL)", index,
               (unsigned long long)value);
    return -EINVAL;
}

/* --- TSC ------------------------------------------------------------------------------ */

int hv_tsc_set_info(uint32_t mode, uint64_t nsec, uint32_t khz, uint32_t incarnation)
{
    (void)nsec; (void)khz; (void)incarnation;
    /* tsc_set_info (xen/arch/x86/time.c): default, always and never emulate */
    if ( mode > 2 )
    {
        emu_refuse("tsc_set_info: TSC mode %u not one of 0, 1, 2 (-EINVAL)", mode);
        return -EINVAL;
    }
    return 0;
}
