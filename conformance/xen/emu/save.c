/*
 * xensave-xen-save: runs Xen's own saver (xc_domain_save of an unmodified
 * libxenguest.so.4.17) over xensave's in-memory hypervisor holding a virtual
 * guest, and writes the libxc stream it produces.
 *
 *   xensave-xen-save [-v] --libxenguest PATH --guest hvm|pv --describe FILE
 *                    [--live ROUNDS] [--remus CHECKPOINTS] FD
 *
 * FILE describes the guest (see guest.c, emu_guest_load); FD is where the
 * stream goes. --live ROUNDS: a live save with ROUNDS log-dirty rounds after
 * the first full pass: ROUNDS - 1 while the guest runs, then Xen's
 * stop-and-copy (suspend, the last round's dirty pages). --remus CHECKPOINTS: a
 * checkpointed (Remus) stream of that many checkpoints, each suspending the
 * guest and sending the next log-dirty round; after each, stdout gets
 * "checkpoint OFFSET" (where the stream stands: libxl's records go there) and
 * the last checkpoint callback ends the save, as a failed-over primary does.
 * Exit status 0: Xen wrote the stream; 1: Xen's saver failed (why on stderr);
 * 2: usage.
 *
 * SPDX-License-Identifier: MIT
 * Written for xensave; no Xen code. xc_domain_save's signature, its flags and
 * callbacks were read in Xen's tools/include/xenguest.h and
 * tools/libs/guest/xg_sr_save.c (send_memory_live, suspend_domain) at
 * RELEASE-4.17.0.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu.h"
#include <xenguest.h>

typedef int save_fn(xc_interface *xch, int io_fd, uint32_t dom, uint32_t flags,
                    struct save_callbacks *callbacks, xc_stream_type_t stream_type,
                    int recv_fd);

static unsigned int live_rounds, remus_checkpoints, checkpoints_done;
static int out_fd = -1;

/* libxl's suspend: the guest acknowledges, the domain is shut down for suspend. */
static int on_suspend(void *data)
{
    (void)data;
    emu_guest_suspend();
    return 1;
}

/* Asked after pass `iteration` (0: before the full pass); a log-dirty round
 * follows each "continue" from pass 1 on: stop after ROUNDS - 1 of them, so that
 * stop-and-copy fetches round ROUNDS. */
static int on_precopy(struct precopy_stats stats, void *data)
{
    (void)data;
    return stats.iteration >= live_rounds ? XGS_POLICY_STOP_AND_COPY
                                          : XGS_POLICY_CONTINUE_PRECOPY;
}

/* Remus: the guest runs again until the next checkpoint suspends it. */
static int on_postcopy(void *data)
{
    (void)data;
    emu_guest_resume();
    return 1;
}

/* Remus: libxl would send its records now; say where, and go on or stop. */
static int on_checkpoint(void *data)
{
    (void)data;
    printf("checkpoint %lld\n", (long long)lseek(out_fd, 0, SEEK_CUR));
    fflush(stdout);
    return ++checkpoints_done < remus_checkpoints ? 1 : 0;
}

static int on_qemu_logdirty(uint32_t domid, unsigned enable, void *data)
{
    (void)domid; (void)enable; (void)data;
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: xensave-xen-save [-v] --libxenguest PATH --guest hvm|pv "
                    "--describe FILE [--live ROUNDS] [--remus CHECKPOINTS] FD\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *lib = NULL, *guest = NULL, *describe = NULL;
    int verbose = 0, fd = -1, i, rc;
    struct save_callbacks cb = {
        .suspend = on_suspend,
        .precopy_policy = on_precopy,
        .switch_qemu_logdirty = on_qemu_logdirty,
        .postcopy = on_postcopy,
        .checkpoint = on_checkpoint,
    };
    void *handle;
    save_fn *save;
    xc_interface *xch;
    FILE *f;

    for ( i = 1; i < argc; i++ )
    {
        if ( !strcmp(argv[i], "-v") )
            verbose = 1;
        else if ( !strcmp(argv[i], "--libxenguest") && i + 1 < argc )
            lib = argv[++i];
        else if ( !strcmp(argv[i], "--guest") && i + 1 < argc )
            guest = argv[++i];
        else if ( !strcmp(argv[i], "--describe") && i + 1 < argc )
            describe = argv[++i];
        else if ( !strcmp(argv[i], "--live") && i + 1 < argc )
            live_rounds = (unsigned int)atoi(argv[++i]);
        else if ( !strcmp(argv[i], "--remus") && i + 1 < argc )
            remus_checkpoints = (unsigned int)atoi(argv[++i]);
        else if ( fd < 0 && argv[i][0] >= '0' && argv[i][0] <= '9' )
            fd = atoi(argv[i]);
        else
            return usage();
    }
    if ( !lib || !guest || !describe || fd < 0 ||
         (strcmp(guest, "hvm") && strcmp(guest, "pv")) )
        return usage();

    handle = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if ( !handle )
    {
        fprintf(stderr, "xensave-xen-save: %s\n", dlerror());
        return 2;
    }
    save = (save_fn *)dlsym(handle, "xc_domain_save");
    if ( !save )
    {
        fprintf(stderr, "xensave-xen-save: %s\n", dlerror());
        return 2;
    }

    emu_setup(!strcmp(guest, "hvm"), false, verbose);
    f = fopen(describe, "r");
    if ( !f )
    {
        fprintf(stderr, "xensave-xen-save: %s: %s\n", describe, strerror(errno));
        return 2;
    }
    rc = emu_guest_load(f);
    fclose(f);
    if ( rc )
        return 2;

    xch = xc_interface_open(NULL, NULL, 0);
    if ( !xch )
        return 2;
    out_fd = fd;
    rc = save(xch, fd, EMU_DOMID, live_rounds ? XCFLAGS_LIVE : 0, &cb,
              remus_checkpoints ? XC_STREAM_REMUS : XC_STREAM_PLAIN, -1);
    /* a checkpointed save ends when the checkpoint callback says so: Xen
     * returns that callback's 0, having logged "Save failed" */
    if ( rc == 0 && (!remus_checkpoints || checkpoints_done == remus_checkpoints) )
        return 0;
    fprintf(stderr, "failed: %s\n", emu_first_error()[0] ? emu_first_error()
                                                         : "xc_domain_save failed");
    return 1;
}
