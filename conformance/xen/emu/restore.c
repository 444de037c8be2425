/*
 * xensave-xen-restore: runs Xen's own restorer (xc_domain_restore of an
 * unmodified libxenguest.so.4.17) over xensave's in-memory hypervisor.
 *
 *   xensave-xen-restore [-v] [--hypervisor] --libxenguest PATH
 *                       --guest hvm|pv --stream plain|remus FD
 *
 * FD is an open file descriptor holding a libxc stream (the harness's adapter
 * unwraps xl/libxl framing first). Exit status 0: Xen restored the domain; 1: Xen
 * refused the stream (the reason on stderr, last line "refused: ..."); 2: usage or
 * a failure of this program.
 *
 * SPDX-License-Identifier: MIT
 * Written for xensave; no Xen code. xc_domain_restore's signature and the
 * callbacks it needs were read in Xen's tools/include/xenguest.h and
 * tools/libs/guest/xg_sr_restore.c at RELEASE-4.17.0.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include <xenguest.h>

typedef int restore_fn(xc_interface *xch, int io_fd, uint32_t dom, unsigned int store_evtchn,
                       unsigned long *store_mfn, uint32_t store_domid,
                       unsigned int console_evtchn, unsigned long *console_mfn,
                       uint32_t console_domid, xc_stream_type_t stream_type,
                       struct restore_callbacks *callbacks, int send_back_fd);

/* What libxl answers: a checkpoint is taken and the stream goes on. */
static int on_checkpoint(void *data) { (void)data; return XGR_CHECKPOINT_SUCCESS; }
static int on_static_data_done(unsigned int missing, void *data)
{
    (void)missing; (void)data;
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: xensave-xen-restore [-v] [--hypervisor] --libxenguest PATH "
                    "--guest hvm|pv --stream plain|remus FD\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *lib = NULL, *guest = NULL, *stream = "plain";
    bool hypervisor = false;
    int verbose = 0, fd = -1, i, rc;
    unsigned long store = 0, console = 0;
    struct restore_callbacks cb = {
        .static_data_done = on_static_data_done,
        .checkpoint = on_checkpoint,
    };
    xc_stream_type_t type;
    void *handle;
    restore_fn *restore;
    xc_interface *xch;

    for ( i = 1; i < argc; i++ )
    {
        if ( !strcmp(argv[i], "-v") )
            verbose = 1;
        else if ( !strcmp(argv[i], "--hypervisor") )
            hypervisor = true;
        else if ( !strcmp(argv[i], "--libxenguest") && i + 1 < argc )
            lib = argv[++i];
        else if ( !strcmp(argv[i], "--guest") && i + 1 < argc )
            guest = argv[++i];
        else if ( !strcmp(argv[i], "--stream") && i + 1 < argc )
            stream = argv[++i];
        else if ( fd < 0 && argv[i][0] >= '0' && argv[i][0] <= '9' )
            fd = atoi(argv[i]);
        else
            return usage();
    }
    if ( !lib || !guest || fd < 0 || (strcmp(guest, "hvm") && strcmp(guest, "pv")) )
        return usage();
    if ( !strcmp(stream, "plain") )
        type = XC_STREAM_PLAIN;
    else if ( !strcmp(stream, "remus") )
        type = XC_STREAM_REMUS;
    else
        return usage();

    handle = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if ( !handle )
    {
        fprintf(stderr, "xensave-xen-restore: %s\n", dlerror());
        return 2;
    }
    restore = (restore_fn *)dlsym(handle, "xc_domain_restore");
    if ( !restore )
    {
        fprintf(stderr, "xensave-xen-restore: %s\n", dlerror());
        return 2;
    }

    emu_setup(!strcmp(guest, "hvm"), hypervisor, verbose);
    xch = xc_interface_open(NULL, NULL, 0);
    if ( !xch )
        return 2;
    /* xl's defaults: xenstore and console in dom0, event channels given by libxl */
    rc = restore(xch, fd, EMU_DOMID, 1, &store, 0, 2, &console, 0, type, &cb, -1);
    if ( rc == 0 )
    {
        fprintf(stderr, "restored: store gfn %#lx, console gfn %#lx\n", store, console);
        return 0;
    }
    if ( emu_hypervisor_error()[0] )
        fprintf(stderr, "refused: hypervisor: %s\n", emu_hypervisor_error());
    else
        fprintf(stderr, "refused: %s\n", emu_first_error()[0] ? emu_first_error()
                                                                : "xc_domain_restore failed");
    return 1;
}
