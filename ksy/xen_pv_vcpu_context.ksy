meta:
  id: xen_pv_vcpu_context
  title: Xen x86 PV vCPU context (vcpu_guest_context, 32-bit and 64-bit guests)
  application:
    - Xen libxenguest (libxc) save and restore, X86_PV_VCPU_BASIC records
    - XEN_DOMCTL_getvcpucontext / XEN_DOMCTL_setvcpucontext
  file-extension: vgc
  license: MIT
  ks-version: '0.11'
  endian:
    switch-on: is_be
    cases:
      'true': be
      'false': le
doc: |
  The register state of one vCPU of an x86 paravirtualised guest, as the
  hypervisor hands it to the toolstack and as an X86_PV_VCPU_BASIC record
  carries it after its 8-octet vCPU header. The layout depends on the
  guest's word size, which X86_PV_INFO's guest_width gives: 2800 octets
  for a 32-bit guest (x86_32, PAE paging) and 5168 for a 64-bit one
  (x86_64). A guest word ("unsigned long" in Xen's headers) is 4 or 8
  octets accordingly; the byte order is the stream's.

  In a saved image every frame number is a guest pfn, not a machine
  frame: the saver translates `gdt_frames`, `ctrlreg[3]` (and a 64-bit
  guest's `ctrlreg[1]`) and vCPU 0's start-info frame in `edx`/`rdx`,
  and the restorer translates them back. `ctrlreg[3]` keeps the form of
  a CR3 value: the pfn shifted left by 12, and for a 32-bit guest the
  pfn's bits 20-31 rotated into bits 0-11 so that page tables above
  4 GiB can be named (`cr3_pfn` undoes this).

  The libxc stream description cannot see X86_PV_INFO from a vCPU
  record, so it picks the layout by the context's size (2800 or 5168
  octets); that the size matches guest_width is rule XC-VCPU-003, and
  the rules on the contents are PV-* in spec/pv-context.md.
doc-ref:
  - spec/pv-context.md#layout
  - https://xenbits.xen.org/gitweb/?p=xen.git;a=blob;f=xen/include/public/arch-x86/xen.h
  - https://xenbits.xen.org/gitweb/?p=xen.git;a=blob;f=tools/libs/guest/xg_sr_restore_x86_pv.c
params:
  - id: is_be
    type: bool
    doc: Byte order of the stream that carries the context (true for big-endian).
  - id: guest_width
    type: u1
    doc: Octets in a guest word, from X86_PV_INFO (4 for x86_32, 8 for x86_64).
seq:
  - id: context
    type:
      switch-on: guest_width
      cases:
        4: context32
        8: context64
    doc: The context in the layout of the guest's width.
types:
  context32:
    -orig-id: vcpu_guest_context
    doc: vcpu_guest_context of a 32-bit guest (2800 octets).
    doc-ref: spec/pv-context.md#layout
    seq:
      - id: fpu_ctxt
        size: 512
        doc: The FPU and SSE state in FXSAVE format, meaningful when flags bit 0 (i387_valid) is set.
      - id: flags
        type: u4
        doc: |
          VGCF_* bits: 0 i387_valid, 2 in_kernel (the vCPU was in guest
          kernel mode), 3 failsafe_disables_events, 4
          syscall_disables_events, 5 online.
      - id: user_regs
        type: user_regs32
        doc: The general-purpose registers, instruction pointer, flags and segment selectors.
      - id: trap_ctxt
        type: trap_info32
        repeat: expr
        repeat-expr: 256
        doc: The virtual IDT, one entry per vector.
      - id: ldt_base
        type: u4
        doc: Linear address of the guest's LDT; page aligned.
      - id: ldt_ents
        type: u4
        valid:
          max: 8192
        doc: Entries in the LDT (at most 8192, as the hypervisor requires).
      - id: gdt_frames
        type: u4
        repeat: expr
        repeat-expr: 16
        doc: |
          The pfns of the frames holding the GDT, one per 512 entries; the
          frames past those `gdt_ents` needs are unused.
      - id: gdt_ents
        type: u4
        valid:
          max: 7168
        doc: |
          Entries in the GDT. At most 7168 (FIRST_RESERVED_GDT_ENTRY): from
          page 14 on the GDT belongs to the hypervisor.
      - id: kernel_ss
        type: u4
        doc: The stack segment the guest kernel runs on (the virtual TSS's SS1).
      - id: kernel_sp
        type: u4
        doc: The stack pointer the guest kernel starts from (the virtual TSS's SP1).
      - id: ctrlreg
        type: u4
        repeat: expr
        repeat-expr: 8
        doc: |
          CR0 to CR7 as the guest sees them. CR3 holds the pfn of the
          top-level page table in CR3 form (see `cr3_pfn`).
      - id: debugreg
        type: u4
        repeat: expr
        repeat-expr: 8
        doc: DR0 to DR7.
      - id: event_callback_cs
        type: u4
        doc: Code segment of the event (upcall) callback.
      - id: event_callback_eip
        type: u4
        doc: Entry point of the event (upcall) callback.
      - id: failsafe_callback_cs
        type: u4
        doc: Code segment of the failsafe callback.
      - id: failsafe_callback_eip
        type: u4
        doc: Entry point of the failsafe callback, entered when a segment reload fails.
      - id: vm_assist
        type: u4
        doc: The VMASST_TYPE_* features the guest enabled, one bit each.
    instances:
      cr3_pfn:
        value: ctrlreg[3] / 4096 + (ctrlreg[3] % 4096) * 1048576
        doc: |
          The pfn of the top-level page table (xen_cr3_to_pfn for x86_32):
          bits 12-31 of CR3 are pfn bits 0-19, bits 0-11 are pfn bits 20-31.
      gdt_frames_used:
        value: (gdt_ents + 511) / 512
        doc: How many leading entries of `gdt_frames` the GDT occupies.
  context64:
    -orig-id: vcpu_guest_context
    doc: vcpu_guest_context of a 64-bit guest (5168 octets).
    doc-ref: spec/pv-context.md#layout
    seq:
      - id: fpu_ctxt
        size: 512
        doc: The FPU and SSE state in FXSAVE format, meaningful when flags bit 0 (i387_valid) is set.
      - id: flags
        type: u8
        doc: |
          VGCF_* bits: 0 i387_valid, 2 in_kernel (the vCPU was in guest
          kernel mode), 3 failsafe_disables_events, 4
          syscall_disables_events, 5 online, 8 in_syscall (entered by SYSCALL, leave by SYSRET).
      - id: user_regs
        type: user_regs64
        doc: The general-purpose registers, instruction pointer, flags and segment selectors.
      - id: trap_ctxt
        type: trap_info64
        repeat: expr
        repeat-expr: 256
        doc: The virtual IDT, one entry per vector.
      - id: ldt_base
        type: u8
        doc: Linear address of the guest's LDT; page aligned.
      - id: ldt_ents
        type: u8
        valid:
          max: 8192
        doc: Entries in the LDT (at most 8192, as the hypervisor requires).
      - id: gdt_frames
        type: u8
        repeat: expr
        repeat-expr: 16
        doc: |
          The pfns of the frames holding the GDT, one per 512 entries; the
          frames past those `gdt_ents` needs are unused.
      - id: gdt_ents
        type: u8
        valid:
          max: 7168
        doc: |
          Entries in the GDT. At most 7168 (FIRST_RESERVED_GDT_ENTRY): from
          page 14 on the GDT belongs to the hypervisor.
      - id: kernel_ss
        type: u8
        doc: The stack segment the guest kernel runs on (the virtual TSS's SS1).
      - id: kernel_sp
        type: u8
        doc: The stack pointer the guest kernel starts from (the virtual TSS's SP1).
      - id: ctrlreg
        type: u8
        repeat: expr
        repeat-expr: 8
        doc: |
          CR0 to CR7 as the guest sees them. CR3 holds the pfn of the
          top-level page table in CR3 form (see `cr3_pfn`).
          On x86_64, CR1 holds the user-mode top-level page table: its pfn
          shifted left by 12 with bit 0 set, or zero when there is none.
      - id: debugreg
        type: u8
        repeat: expr
        repeat-expr: 8
        doc: DR0 to DR7.
      - id: event_callback_eip
        type: u8
        doc: Entry point of the event (upcall) callback.
      - id: failsafe_callback_eip
        type: u8
        doc: Entry point of the failsafe callback, entered when a segment reload fails.
      - id: syscall_callback_eip
        type: u8
        doc: Entry point for SYSCALL from guest user mode.
      - id: vm_assist
        type: u8
        doc: The VMASST_TYPE_* features the guest enabled, one bit each.
      - id: fs_base
        type: u8
        doc: Base address of FS.
      - id: gs_base_kernel
        type: u8
        doc: Base address of GS in guest kernel mode.
      - id: gs_base_user
        type: u8
        doc: Base address of GS in guest user mode.
    instances:
      cr3_pfn:
        value: ctrlreg[3] / 4096
        doc: The pfn of the top-level (L4) page table (xen_cr3_to_pfn for x86_64).
      gdt_frames_used:
        value: (gdt_ents + 511) / 512
        doc: How many leading entries of `gdt_frames` the GDT occupies.
  user_regs32:
    -orig-id: cpu_user_regs
    doc: The user-visible registers of a 32-bit guest vCPU.
    doc-ref: spec/pv-context.md#layout
    seq:
      - id: ebx
        type: u4
        doc: EBX.
      - id: ecx
        type: u4
        doc: ECX.
      - id: edx
        type: u4
        doc: EDX; for vCPU 0 in a saved image, the pfn of the start-info page.
      - id: esi
        type: u4
        doc: ESI.
      - id: edi
        type: u4
        doc: EDI.
      - id: ebp
        type: u4
        doc: EBP.
      - id: eax
        type: u4
        doc: EAX.
      - id: error_code
        type: u2
        doc: Private to the hypervisor (error code of the last exception).
      - id: entry_vector
        type: u2
        doc: Private to the hypervisor (vector of the last entry).
      - id: eip
        type: u4
        doc: Instruction pointer.
      - id: cs
        type: u2
        doc: Code segment selector.
      - id: saved_upcall_mask
        type: u1
        doc: Event delivery mask saved at the last exception (EFLAGS.IF is its inverse).
      - id: pad0
        -orig-id: _pad0
        size: 1
        doc: Padding.
      - id: eflags
        type: u4
        doc: EFLAGS.
      - id: esp
        type: u4
        doc: Stack pointer.
      - id: ss
        type: u2
        doc: SS selector.
      - id: pad1
        -orig-id: _pad1
        size: 2
        doc: Padding.
      - id: es
        type: u2
        doc: ES selector.
      - id: pad2
        -orig-id: _pad2
        size: 2
        doc: Padding.
      - id: ds
        type: u2
        doc: DS selector.
      - id: pad3
        -orig-id: _pad3
        size: 2
        doc: Padding.
      - id: fs
        type: u2
        doc: FS selector.
      - id: pad4
        -orig-id: _pad4
        size: 2
        doc: Padding.
      - id: gs
        type: u2
        doc: GS selector.
      - id: pad5
        -orig-id: _pad5
        size: 2
        doc: Padding.
  user_regs64:
    -orig-id: cpu_user_regs
    doc: The user-visible registers of a 64-bit guest vCPU.
    doc-ref: spec/pv-context.md#layout
    seq:
      - id: r15
        type: u8
        doc: R15.
      - id: r14
        type: u8
        doc: R14.
      - id: r13
        type: u8
        doc: R13.
      - id: r12
        type: u8
        doc: R12.
      - id: rbp
        type: u8
        doc: RBP.
      - id: rbx
        type: u8
        doc: RBX.
      - id: r11
        type: u8
        doc: R11.
      - id: r10
        type: u8
        doc: R10.
      - id: r9
        type: u8
        doc: R9.
      - id: r8
        type: u8
        doc: R8.
      - id: rax
        type: u8
        doc: RAX.
      - id: rcx
        type: u8
        doc: RCX.
      - id: rdx
        type: u8
        doc: RDX; for vCPU 0 in a saved image, the pfn of the start-info page.
      - id: rsi
        type: u8
        doc: RSI.
      - id: rdi
        type: u8
        doc: RDI.
      - id: error_code
        type: u4
        doc: Private to the hypervisor (error code of the last exception).
      - id: entry_vector
        type: u4
        doc: Private to the hypervisor (vector of the last entry).
      - id: rip
        type: u8
        doc: Instruction pointer.
      - id: cs
        type: u2
        doc: Code segment selector.
      - id: pad0
        -orig-id: _pad0
        size: 2
        doc: Padding.
      - id: saved_upcall_mask
        type: u1
        doc: Event delivery mask saved at the last exception (RFLAGS.IF is its inverse).
      - id: pad1
        -orig-id: _pad1
        size: 3
        doc: Padding.
      - id: rflags
        type: u8
        doc: RFLAGS.
      - id: rsp
        type: u8
        doc: Stack pointer.
      - id: ss
        type: u2
        doc: SS selector.
      - id: pad2
        -orig-id: _pad2
        size: 6
        doc: Padding.
      - id: es
        type: u2
        doc: ES selector.
      - id: pad3
        -orig-id: _pad3
        size: 6
        doc: Padding.
      - id: ds
        type: u2
        doc: DS selector.
      - id: pad4
        -orig-id: _pad4
        size: 6
        doc: Padding.
      - id: fs
        type: u2
        doc: FS selector.
      - id: pad5
        -orig-id: _pad5
        size: 6
        doc: Padding.
      - id: gs
        type: u2
        doc: GS selector.
      - id: pad6
        -orig-id: _pad6
        size: 6
        doc: Padding.
  trap_info32:
    -orig-id: trap_info
    doc: One entry of the virtual IDT.
    doc-ref: spec/pv-context.md#layout
    seq:
      - id: vector
        type: u1
        doc: The exception or interrupt vector.
      - id: flags
        type: u1
        doc: Bits 0-1 the lowest privilege that may raise it with INT; bit 2 set masks events on entry, as an interrupt gate would.
      - id: cs
        type: u2
        doc: Code segment of the handler.
      - id: address
        type: u4
        doc: Entry point of the handler; zero for no handler.
  trap_info64:
    -orig-id: trap_info
    doc: One entry of the virtual IDT.
    doc-ref: spec/pv-context.md#layout
    seq:
      - id: vector
        type: u1
        doc: The exception or interrupt vector.
      - id: flags
        type: u1
        doc: Bits 0-1 the lowest privilege that may raise it with INT; bit 2 set masks events on entry, as an interrupt gate would.
      - id: cs
        type: u2
        doc: Code segment of the handler.
      - id: pad0
        size: 4
        doc: Alignment padding before the 64-bit address.
      - id: address
        type: u8
        doc: Entry point of the handler; zero for no handler.
