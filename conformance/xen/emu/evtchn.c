/*
 * xensave's in-memory hypervisor: libxenevtchn.so.1 (version node VERS_1.0), as
 * far as libxenguest imports it. Event channels are used by the saver's suspend
 * path only; a restore never gets here.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <xenevtchn.h>

xenevtchn_port_or_error_t xenevtchn_bind_interdomain(xenevtchn_handle *xce, uint32_t domid,
                                                     evtchn_port_t remote_port)
{
    (void)xce; (void)domid; (void)remote_port;
    errno = ENOSYS;
    return -1;
}

xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce)
{
    (void)xce;
    errno = ENOSYS;
    return -1;
}

int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port)
{
    (void)xce; (void)port;
    return 0;
}

int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port)
{
    (void)xce; (void)port;
    return 0;
}
