meta:
  id: xen_hvm_context
  title: Xen HVM context blob (x86 HVM save records)
  application:
    - Xen hypervisor (XEN_DOMCTL_gethvmcontext / sethvmcontext)
    - Xen libxenguest (libxc) save and restore
  file-extension: hvmctx
  license: MIT
  ks-version: '0.11'
  endian: le
  bit-endian: le
doc: |
  The state of an x86 HVM guest's virtual platform and vCPUs as the
  hypervisor hands it to the toolstack: the body of a libxc HVM_CONTEXT
  record, and the HVM context chunk of a legacy (Xen 4.5 and older) image.
  It is a run of entries. Each entry is an 8-octet descriptor (typecode,
  instance, payload length) and then the payload. The first entry is a
  HEADER; an entry with typecode 0 (END) closes the blob. Per-vCPU
  entries use the vCPU id as instance.

  The blob is hypervisor state of a little-endian machine, and stays
  little-endian whatever byte order the stream around it uses.

  Xen's restore matches most payload lengths exactly against the
  structure of the typecode; a few (CPU, LAPIC, RTC, VIRIDIAN_DOMAIN,
  VIRIDIAN_VCPU, VMCE_VCPU) may be shorter, older layouts that Xen
  zero-extends, and two (CPU_XSAVE, CPU_MSR) have a variable length.
  Fields a shorter entry does not reach are absent here; the octets of a
  field cut short are in `partial`. Rules HVM-*: spec/hvm-context.md.
doc-ref:
  - spec/hvm-context.md#overview
  - https://xenbits.xen.org/gitweb/?p=xen.git;a=blob;f=xen/include/public/arch-x86/hvm/save.h
seq:
  - id: header
    type: header_entry
    doc: The HEADER entry, which must come first (HVM-HDR-001).
  - id: entries
    type: entry
    repeat: until
    repeat-until: _.is_end
    doc: |
      The remaining entries, up to and including the END entry; a blob that
      runs out before END is refused (HVM-FRAME-002).
  - id: trailing
    size-eos: true
    doc: |
      Octets after END, which a restorer ignores; there should be none
      (HVM-FRAME-004).
types:
  header_entry:
    doc: |
      The first entry: a descriptor with typecode 1 and length 24, and the
      header it announces.
    doc-ref: spec/hvm-context.md#header
    seq:
      - id: typecode
        type: u2
        valid: 1
        doc: Typecode of HEADER (HVM-HDR-001).
      - id: instance
        type: u2
        doc: Instance number; Xen writes 0.
      - id: len_payload
        -orig-id: length
        type: u4
        valid: 24
        doc: Length of the header payload, exactly 24 octets (HVM-HDR-001).
      - id: payload
        type: hvm_save_header
        doc: The header.
  entry:
    -orig-id: hvm_save_descriptor
    doc: |
      One entry: descriptor and payload. The payload of a typecode this
      description does not list is kept as raw octets.
    doc-ref: spec/hvm-context.md#descriptor
    seq:
      - id: typecode
        type: u2
        enum: typecode
        doc: What the payload holds.
      - id: instance
        type: u2
        doc: |
          Which one of its kind: the vCPU id for per-vCPU typecodes, the PIC
          number (0 master, 1 slave) for PIC, 0 otherwise.
      - id: len_payload
        -orig-id: length
        type: u4
        doc: Octets in the payload, the descriptor not included.
      - id: payload
        size: 'typecode == typecode::end ? 0 : len_payload'
        type:
          switch-on: typecode
          cases:
            typecode::header: hvm_save_header
            typecode::cpu: hvm_hw_cpu
            typecode::pic: hvm_hw_vpic
            typecode::ioapic: hvm_hw_vioapic
            typecode::lapic: hvm_hw_lapic
            typecode::lapic_regs: hvm_hw_lapic_regs
            typecode::pci_irq: hvm_hw_pci_irqs
            typecode::isa_irq: hvm_hw_isa_irqs
            typecode::pci_link: hvm_hw_pci_link
            typecode::pit: hvm_hw_pit
            typecode::rtc: hvm_hw_rtc
            typecode::hpet: hvm_hw_hpet
            typecode::pmtimer: hvm_hw_pmtimer
            typecode::mtrr: hvm_hw_mtrr
            typecode::viridian_domain: hvm_viridian_domain_context
            typecode::cpu_xsave: hvm_hw_cpu_xsave
            typecode::viridian_vcpu: hvm_viridian_vcpu_context
            typecode::vmce_vcpu: hvm_vmce_vcpu
            typecode::tsc_adjust: hvm_tsc_adjust
            typecode::cpu_msr: hvm_msr
        doc: |
          The payload, decoded for the listed typecodes, raw octets for
          unknown ones. END has none whatever its length says: a restorer
          stops at END's typecode (HVM-FRAME-003), so any octets after its
          descriptor are `trailing`.
    instances:
      is_end:
        value: typecode == typecode::end
        doc: True for the END entry that closes the blob.
  hvm_save_header:
    -orig-id: hvm_save_header
    doc: |
      HEADER (typecode 1): identifies the blob and the machine that saved
      it.
    doc-ref: spec/hvm-context.md#header
    seq:
      - id: magic
        type: u4
        valid:
          0x54381286
        doc: HVM_FILE_MAGIC (HVM-HDR-002).
      - id: version
        type: u4
        valid: 1
        doc: HVM_FILE_VERSION, the only version there is (HVM-HDR-003).
      - id: changeset
        type: u8
        doc: Changeset of the Xen that saved the guest; all ones when unknown.
      - id: cpuid
        type: u4
        doc: CPUID leaf 1 EAX (family, model, stepping) of the saving host.
      - id: gtsc_khz
        type: u4
        doc: The guest's TSC frequency in kHz; 0 keeps the restoring host's.
  hvm_hw_cpu:
    -orig-id: hvm_hw_cpu
    doc: |
      CPU (typecode 2, per vCPU): the architectural register state of one
      vCPU. The current layout is 1032 octets. Xen zero-extends a shorter
      entry (HVM-SIZE-002); an entry of exactly 1016 octets is the older
      compat layout without msr_tsc_aux, flags and pad0, whose last three
      fields sit 8 octets lower (see `compat`). Fields past the end of a
      shorter entry are absent.
    doc-ref: spec/hvm-context.md#cpu
    seq:
      - id: fpu_regs
        size: 512
        doc: The FXSAVE image of the x87/SSE state (512 octets).
      - id: rax
        type: u8
        doc: General-purpose register RAX.
      - id: rbx
        type: u8
        doc: General-purpose register RBX.
      - id: rcx
        type: u8
        doc: General-purpose register RCX.
      - id: rdx
        type: u8
        doc: General-purpose register RDX.
      - id: rbp
        type: u8
        doc: General-purpose register RBP.
      - id: rsi
        type: u8
        doc: General-purpose register RSI.
      - id: rdi
        type: u8
        doc: General-purpose register RDI.
      - id: rsp
        type: u8
        doc: General-purpose register RSP.
      - id: r8
        type: u8
        doc: General-purpose register R8.
      - id: r9
        type: u8
        doc: General-purpose register R9.
      - id: r10
        type: u8
        doc: General-purpose register R10.
      - id: r11
        type: u8
        doc: General-purpose register R11.
      - id: r12
        type: u8
        doc: General-purpose register R12.
      - id: r13
        type: u8
        doc: General-purpose register R13.
      - id: r14
        type: u8
        doc: General-purpose register R14.
      - id: r15
        type: u8
        doc: General-purpose register R15.
      - id: rip
        type: u8
        doc: Instruction pointer.
      - id: rflags
        type: u8
        doc: Flags register.
      - id: cr0
        type: u8
        doc: Control register CR0.
      - id: cr2
        type: u8
        doc: Control register CR2.
      - id: cr3
        type: u8
        doc: Control register CR3.
      - id: cr4
        type: u8
        doc: Control register CR4.
      - id: dr0
        type: u8
        doc: Debug register DR0.
      - id: dr1
        type: u8
        doc: Debug register DR1.
      - id: dr2
        type: u8
        doc: Debug register DR2.
      - id: dr3
        type: u8
        doc: Debug register DR3.
      - id: dr6
        type: u8
        doc: Debug register DR6.
      - id: dr7
        type: u8
        doc: Debug register DR7.
      - id: cs_sel
        type: u4
        doc: CS selector.
      - id: ds_sel
        type: u4
        doc: DS selector.
      - id: es_sel
        type: u4
        doc: ES selector.
      - id: fs_sel
        type: u4
        doc: FS selector.
      - id: gs_sel
        type: u4
        doc: GS selector.
      - id: ss_sel
        type: u4
        doc: SS selector.
      - id: tr_sel
        type: u4
        doc: TR selector.
      - id: ldtr_sel
        type: u4
        doc: LDTR selector.
      - id: cs_limit
        type: u4
        doc: CS limit.
      - id: ds_limit
        type: u4
        doc: DS limit.
      - id: es_limit
        type: u4
        doc: ES limit.
      - id: fs_limit
        type: u4
        doc: FS limit.
      - id: gs_limit
        type: u4
        doc: GS limit.
      - id: ss_limit
        type: u4
        doc: SS limit.
      - id: tr_limit
        type: u4
        doc: TR limit.
      - id: ldtr_limit
        type: u4
        doc: LDTR limit.
      - id: idtr_limit
        type: u4
        doc: IDTR limit.
      - id: gdtr_limit
        type: u4
        doc: GDTR limit.
      - id: cs_base
        type: u8
        doc: CS base address.
      - id: ds_base
        type: u8
        doc: DS base address.
      - id: es_base
        type: u8
        doc: ES base address.
      - id: fs_base
        type: u8
        doc: FS base address.
      - id: gs_base
        type: u8
        doc: GS base address.
      - id: ss_base
        type: u8
        doc: SS base address.
      - id: tr_base
        type: u8
        doc: TR base address.
      - id: ldtr_base
        type: u8
        doc: LDTR base address.
      - id: idtr_base
        type: u8
        doc: IDTR base address.
      - id: gdtr_base
        type: u8
        doc: GDTR base address.
      - id: cs_arbytes
        type: u4
        doc: |
          CS attributes, packed: type, S, DPL, P in bits 0-7; AVL, L, D/B, G
          in bits 8-11.
      - id: ds_arbytes
        type: u4
        doc: |
          DS attributes, packed: type, S, DPL, P in bits 0-7; AVL, L, D/B, G
          in bits 8-11.
      - id: es_arbytes
        type: u4
        doc: |
          ES attributes, packed: type, S, DPL, P in bits 0-7; AVL, L, D/B, G
          in bits 8-11.
      - id: fs_arbytes
        type: u4
        doc: |
          FS attributes, packed: type, S, DPL, P in bits 0-7; AVL, L, D/B, G
          in bits 8-11.
      - id: gs_arbytes
        type: u4
        doc: |
          GS attributes, packed: type, S, DPL, P in bits 0-7; AVL, L, D/B, G
          in bits 8-11.
      - id: ss_arbytes
        type: u4
        doc: |
          SS attributes, packed: type, S, DPL, P in bits 0-7; AVL, L, D/B, G
          in bits 8-11.
      - id: tr_arbytes
        type: u4
        doc: |
          TR attributes, packed: type, S, DPL, P in bits 0-7; AVL, L, D/B, G
          in bits 8-11.
      - id: ldtr_arbytes
        type: u4
        doc: |
          LDTR attributes, packed: type, S, DPL, P in bits 0-7; AVL, L, D/B, G
          in bits 8-11.
      - id: sysenter_cs
        type: u8
        doc: SYSENTER_CS MSR.
      - id: sysenter_esp
        type: u8
        doc: SYSENTER_ESP MSR.
      - id: sysenter_eip
        type: u8
        doc: SYSENTER_EIP MSR.
      - id: shadow_gs
        type: u8
        doc: The GS base SWAPGS exchanges (KERNEL_GS_BASE MSR).
      - id: msr_flags
        type: u8
        if: _io.size >= 960
        doc: Obsolete; ignored on restore.
      - id: msr_lstar
        type: u8
        if: _io.size >= 968
        doc: LSTAR MSR.
      - id: msr_star
        type: u8
        if: _io.size >= 976
        doc: STAR MSR.
      - id: msr_cstar
        type: u8
        if: _io.size >= 984
        doc: CSTAR MSR.
      - id: msr_syscall_mask
        type: u8
        if: _io.size >= 992
        doc: SYSCALL flag mask (FMASK) MSR.
      - id: msr_efer
        type: u8
        if: _io.size >= 1000
        doc: EFER MSR.
      - id: msr_tsc_aux
        type: u8
        if: _io.size >= 1008 and _io.size != 1016
        doc: TSC_AUX MSR (RDTSCP's value).
      - id: tsc
        type: u8
        if: _io.size >= 1016 and _io.size != 1016
        doc: The guest's TSC at the time of saving.
      - id: pending_event
        type: u4
        if: _io.size >= 1020 and _io.size != 1016
        doc: |
          An event to inject on resume: vector in bits 0-7, type in bits 8-10,
          error code valid in bit 11, valid in bit 31.
      - id: error_code
        type: u4
        if: _io.size >= 1024 and _io.size != 1016
        doc: Error code of the pending event.
      - id: flags
        type: u4
        if: _io.size >= 1028 and _io.size != 1016
        doc: |
          Bit 0 (XEN_X86_FPU_INITIALISED): fpu_regs holds live state.
      - id: pad0
        type: u4
        valid: 0
        if: _io.size >= 1032
        doc: Padding, must be zero (HVM-CPU-001).
      - id: compat
        type: hvm_hw_cpu_compat_tail
        if: _io.size == 1016
        doc: The last three fields of the 1016-octet compat layout.
      - id: partial
        size-eos: true
        if: _io.size < 1032 and _io.size != 1016
        doc: |
          The octets of a field that a shorter entry cuts short (none when it
          ends between fields).
      - id: excess
        type: u1
        valid:
          min: 1
          max: 0
        repeat: eos
        if: _io.size > 1032
        doc: |
          Never present: an octet after the 1032 octets of the structure fails
          validation (every value is refused), so the entry length must not
          exceed the structure (HVM-SIZE-001, HVM-SIZE-002).
    instances:
      pending_vector:
        value: 'pending_event & 0xff'
        if: _io.size >= 1020 and _io.size != 1016
        doc: Vector of the pending event.
      pending_type:
        value: '(pending_event >> 8) & 7'
        if: _io.size >= 1020 and _io.size != 1016
        doc: Type of the pending event (external interrupt, NMI, exception...).
      pending_error_valid:
        value: '(pending_event >> 11) & 1 != 0'
        if: _io.size >= 1020 and _io.size != 1016
        doc: True when error_code goes with the pending event.
      pending_valid:
        value: 'pending_event >> 31 != 0'
        if: _io.size >= 1020 and _io.size != 1016
        doc: True when an event is pending.
  hvm_hw_cpu_compat_tail:
    doc: |
      The fields of struct hvm_hw_cpu_compat after msr_efer: the compat
      layout has no msr_tsc_aux, so these sit 8 octets lower than in the
      current layout.
    doc-ref: spec/hvm-context.md#cpu
    seq:
      - id: tsc
        type: u8
        doc: The guest's TSC at the time of saving.
      - id: pending_event
        type: u4
        doc: An event to inject on resume (as in hvm_hw_cpu).
      - id: error_code
        type: u4
        doc: Error code of the pending event.
  hvm_hw_vpic:
    -orig-id: hvm_hw_vpic
    doc: |
      PIC (typecode 3, instance 0 master, 1 slave): one 8259 interrupt
      controller, 8 octets.
    doc-ref: spec/hvm-context.md#platform-devices
    seq:
      - id: irr
        type: u1
        doc: Interrupt request register.
      - id: imr
        type: u1
        doc: Interrupt mask register.
      - id: isr
        type: u1
        doc: In-service register.
      - id: irq_base
        type: u1
        doc: Vector of line 0 (line x raises irq_base + x).
      - id: init_state
        type: b4
        doc: |
          Progress through the ICW2-ICW4 initialisation words (0 when none is
          under way).
      - id: priority_add
        type: b4
        doc: The line with the highest priority.
      - id: readsel_isr
        type: b1
        doc: Reads at A=0 return the ISR rather than the IRR.
      - id: poll
        type: b1
        doc: The next read is a poll.
      - id: auto_eoi
        type: b1
        doc: Automatic end of interrupt.
      - id: rotate_on_auto_eoi
        type: b1
        doc: Rotate priorities on automatic EOI.
      - id: special_fully_nested_mode
        type: b1
        doc: Special fully nested mode.
      - id: special_mask_mode
        type: b1
        doc: Special mask mode.
      - id: is_master
        type: b1
        doc: Set for the master PIC (instance 0).
      - id: unused
        type: b1
        doc: The eighth bit of the mode octet, not used.
      - id: elcr
        type: u1
        doc: Edge/level trigger selection, one bit per line.
      - id: int_output
        type: u1
        doc: State of the INT output line.
      - id: excess
        type: u1
        valid:
          min: 1
          max: 0
        repeat: eos
        doc: |
          Never present: an octet after the structure fails validation (every
          value is refused), so the entry length must not exceed the structure
          (HVM-SIZE-001, HVM-SIZE-002).
  hvm_hw_vioapic:
    -orig-id: hvm_hw_vioapic
    doc: |
      IOAPIC (typecode 4): the single virtual IO-APIC with its 48 pins,
      400 octets.
    doc-ref: spec/hvm-context.md#typecodes
    seq:
      - id: base_address
        type: u8
        doc: Guest-physical address of the IO-APIC registers.
      - id: ioregsel
        type: u4
        doc: The register select (index) register.
      - id: id
        type: u4
        doc: IO-APIC identification.
      - id: redirtbl
        type: u8
        repeat: expr
        repeat-expr: 48
        doc: |
          The redirection table, one 64-bit entry per pin: vector, delivery
          mode, destination mode, status, polarity, remote IRR, trigger mode,
          mask, destination.
      - id: excess
        type: u1
        valid:
          min: 1
          max: 0
        repeat: eos
        doc: |
          Never present: an octet after the structure fails validation (every
          value is refused), so the entry length must not exceed the structure
          (HVM-SIZE-001, HVM-SIZE-002).
  hvm_hw_lapic:
    -orig-id: hvm_hw_lapic
    doc: |
      LAPIC (typecode 5, per vCPU): local APIC state outside the register
      page. 32 octets (28 of fields and 4 of tail padding); Xen zero-
      extends a shorter entry.
    doc-ref: spec/hvm-context.md#typecodes
    seq:
      - id: apic_base_msr
        type: u8
        if: _io.size >= 8
        doc: APIC_BASE MSR.
      - id: disabled
        type: u4
        if: _io.size >= 12
        doc: Why the local APIC is disabled (VLAPIC_*_DISABLED bits).
      - id: timer_divisor
        type: u4
        if: _io.size >= 16
        doc: Timer divide value.
      - id: tdt_msr
        type: u8
        if: _io.size >= 24
        doc: TSC deadline MSR.
      - id: pending_esr
        type: u4
        if: _io.size >= 28
        doc: Error status bits waiting to be latched.
      - id: pad
        size: 4
        if: _io.size >= 32
        doc: Tail padding of the structure.
      - id: partial
        size-eos: true
        if: _io.size < 32
        doc: The octets of a field that a shorter entry cuts short.
      - id: excess
        type: u1
        valid:
          min: 1
          max: 0
        repeat: eos
        if: _io.size > 32
        doc: |
          Never present: an octet after the 32 octets of the structure fails
          validation (every value is refused), so the entry length must not
          exceed the structure (HVM-SIZE-001, HVM-SIZE-002).
  hvm_hw_lapic_regs:
    -orig-id: hvm_hw_lapic_regs
    doc: |
      LAPIC_REGS (typecode 6, per vCPU): the local APIC's 1 KiB register
      page.
    doc-ref: spec/hvm-context.md#typecodes
    seq:
      - id: data
        size: 1024
        doc: The register page as the guest sees it through MMIO.
      - id: excess
        type: u1
        valid:
          min: 1
          max: 0
        repeat: eos
        doc: |
          Never present: an octet after the structure fails validation (every
          value is refused), so the entry length must not exceed the structure
          (HVM-SIZE-001, HVM-SIZE-002).
  hvm_hw_pci_irqs:
    -orig-id: hvm_hw_pci_irqs
    doc: |
      PCI_IRQ (typecode 7): the level of each PCI INTx wire, 16 octets.
    doc-ref: spec/hvm-context.md#typecodes
    seq:
      - id: pad
        type: u8
        repeat: expr
        repeat-expr: 2
        doc: A 128-bit bitmap, bit device * 4 + INTx, as two 64-bit words.
      - id: excess
        type: u1
        valid:
          min: 1
          max: 0
        repeat: eos
        doc: |
          Never present: an octet after the structure fails validation (every
          value is refused), so the entry length must not exceed the structure
          (HVM-SIZE-001, HVM-SIZE-002).
  hvm_hw_isa_irqs:
    -orig-id: hvm_hw_isa_irqs
    doc: |
      ISA_IRQ (typecode 8): the level of each ISA IRQ wire, 8 octets.
    doc-ref: spec/hvm-context.md#typecodes
    seq:
      - id: pad
        type: u8
        doc: A bitmap with one bit per ISA IRQ (bits 0-15 used).
      - id: excess
        type: u1
        valid:
          min: 1
          max: 0
        repeat: eos
        doc: |
          Never present: an octet after the structure fails validation (every
          value is refused), so the entry length must not exceed the structure
          (HVM-SIZE-001, HVM-SIZE-002).
  hvm_hw_pci_link:
    -orig-id: hvm_hw_pci_link
    doc: |
      PCI_LINK (typecode 9): the routing of the four PCI-ISA links, 8
      octets.
    doc-ref: spec/hvm-context.md#platform-devices
    seq:
      - id: route
        type: u1
        valid:
          max: 15
        repeat: expr
        repeat-expr: 4
        doc: The ISA IRQ (0-15) each link is routed to (HVM-LINK-001).
      - id: pad0
        type: u1
        valid: 0
        repeat: expr
        repeat-expr: 4
        doc: Padding, must be zero (HVM-LINK-002).
      - id: excess
        type: u1
        valid:
          min: 1
          max: 0
        repeat: eos
        doc: |
          Never present: an octet after the structure fails validation (every
          value is refused), so the entry length must not exceed the structure
          (HVM-SIZE-001, HVM-SIZE-002).
  hvm_hw_pit:
    -orig-id: hvm_hw_pit
    doc: |
      PIT (typecode 10): the 8254 programmable interval timer, 56 octets.
    doc-ref: spec/hvm-context.md#platform-devices
    seq:
      - id: channels
        type: hvm_hw_pit_channel
        repeat: expr
        repeat-expr: 3
        doc: The three counters.
      - id: speaker_data_on
        type: u4
        valid:
          max: 1
        doc: Speaker data gate, 0 or 1 (HVM-PIT-001).
      - id: pad0
        type: u4
        valid: 0
        doc: Padding, must be zero (HVM-PIT-001).
      - id: excess
        type: u1
        valid:
          min: 1
          max: 0
        repeat: eos
        doc: |
          Never present: an octet after the structure fails validation (every
          value is refused), so the entry length must not exceed the structure
          (HVM-SIZE-001, HVM-SIZE-002).
  hvm_hw_pit_channel:
    -orig-id: hvm_hw_pit_channel
    doc: |
      One PIT counter, 16 octets.
    doc-ref: spec/hvm-context.md#platform-devices
    seq:
      - id: count
        type: u4
        doc: Initial count (up to 65536).
      - id: latched_count
        type: u2
        doc: Count latched by a latch command.
      - id: count_latched
        type: u1
        doc: Which half of the count is latched.
      - id: status_latched
        type: u1
        doc: Nonzero when the status is latched.
      - id: status
        type: u1
        doc: The latched status octet.
      - id: read_state
        type: u1
        doc: Read state machine.
      - id: write_state
        type: u1
        doc: Write state machine.
      - id: write_latch
        type: u1
        doc: First octet of a two-octet write.
      - id: rw_mode
        type: u1
        doc: Access mode (LSB, MSB, word).
      - id: mode
        type: u1
        doc: Counter mode.
      - id: bcd
        type: u1
        doc: BCD counting (not supported).
      - id: gate
        type: u1
        doc: Gate input.
  hvm_hw_rtc:
    -orig-id: hvm_hw_rtc
    doc: |
      RTC (typecode 11): the CMOS real-time clock, 24 octets; Xen zero-
      extends a shorter entry (older ones had no rtc_offset).
    doc-ref: spec/hvm-context.md#typecodes
    seq:
      - id: cmos_data
        size: 14
        doc: The 14 clock and status registers of the CMOS.
      - id: cmos_index
        type: u1
        if: _io.size >= 15
        doc: The index register.
      - id: pad0
        type: u1
        if: _io.size >= 16
        doc: Padding.
      - id: rtc_offset
        type: s8
        if: _io.size >= 24
        doc: Offset of the guest's clock from host time, in seconds.
      - id: partial
        size-eos: true
        if: _io.size < 24
        doc: The octets of a field that a shorter entry cuts short.
      - id: excess
        type: u1
        valid:
          min: 1
          max: 0
        repeat: eos
        if: _io.size > 24
        doc: |
          Never present: an octet after the 24 octets of the structure fails
          validation (every value is refused), so the entry length must not
          exceed the structure (HVM-SIZE-001, HVM-SIZE-002).
  hvm_hw_hpet:
    -orig-id: hvm_hw_hpet
    doc: |
      HPET (typecode 12): the high precision event timer's register block
      and the comparator periods, 1048 octets.
    doc-ref: spec/hvm-context.md#typecodes
    seq:
      - id: capability
        type: u8
        doc: General capabilities and ID register.
      - id: res0
        type: u8
        doc: Reserved register.
      - id: config
        type: u8
        doc: General configuration register.
      - id: res1
        type: u8
        doc: Reserved register.
      - id: isr
        type: u8
        doc: General interrupt status register.
      - id: res2
        type: u8
        repeat: expr
        repeat-expr: 25
        doc: Reserved registers.
      - id: mc64
        type: u8
        doc: Main counter.
      - id: res3
        type: u8
        doc: Reserved register.
      - id: timers
        type: hvm_hw_hpet_timer
        repeat: expr
        repeat-expr: 3
        doc: The three timers' registers.
      - id: res5
        type: u8
        repeat: expr
        repeat-expr: 84
        doc: Registers of timers 3 to 23, reserved.
      - id: period
        type: u8
        repeat: expr
        repeat-expr: 3
        doc: The last value written to each comparator.
      - id: excess
        type: u1
        valid:
          min: 1
          max: 0
        repeat: eos
        doc: |
          Never present: an octet after the structure fails validation (every
          value is refused), so the entry length must not exceed the structure
          (HVM-SIZE-001, HVM-SIZE-002).
  hvm_hw_hpet_timer:
    doc: |
      The registers of one HPET timer, 32 octets.
    doc-ref: spec/hvm-context.md#typecodes
    seq:
      - id: config
        type: u8
        doc: Configuration and capabilities register.
      - id: cmp
        type: u8
        doc: Comparator register.
      - id: fsb
        type: u8
        doc: FSB interrupt route (not supported).
      - id: res4
        type: u8
        doc: Reserved register.
  hvm_hw_pmtimer:
    -orig-id: hvm_hw_pmtimer
    doc: |
      PMTIMER (typecode 13): the ACPI power-management timer, 8 octets.
    doc-ref: spec/hvm-context.md#typecodes
    seq:
      - id: tmr_val
        type: u4
        doc: PM_TMR_BLK.TMR_VAL, the free-running counter.
      - id: pm1a_sts
        type: u2
        doc: PM1a_STS status register.
      - id: pm1a_en
        type: u2
        doc: PM1a_EN enable register.
      - id: excess
        type: u1
        valid:
          min: 1
          max: 0
        repeat: eos
        doc: |
          Never present: an octet after the structure fails validation (every
          value is refused), so the entry length must not exceed the structure
          (HVM-SIZE-001, HVM-SIZE-002).
  hvm_hw_mtrr:
    -orig-id: hvm_hw_mtrr
    doc: |
      MTRR (typecode 14, per vCPU): PAT and memory type range registers,
      240 octets.
    doc-ref: spec/hvm-context.md#typecodes
    seq:
      - id: msr_pat_cr
        type: u8
        doc: PAT MSR.
      - id: msr_mtrr_var
        type: u8
        repeat: expr
        repeat-expr: 16
        doc: The eight variable ranges, each a PHYSBASE then a PHYSMASK MSR.
      - id: msr_mtrr_fixed
        type: u8
        repeat: expr
        repeat-expr: 11
        doc: The eleven fixed-range MSRs.
      - id: msr_mtrr_cap
        type: u8
        doc: MTRRcap MSR.
      - id: msr_mtrr_def_type
        type: u8
        doc: MTRRdefType MSR.
      - id: excess
        type: u1
        valid:
          min: 1
          max: 0
        repeat: eos
        doc: |
          Never present: an octet after the structure fails validation (every
          value is refused), so the entry length must not exceed the structure
          (HVM-SIZE-001, HVM-SIZE-002).
  hvm_viridian_domain_context:
    -orig-id: hvm_viridian_domain_context
    doc: |
      VIRIDIAN_DOMAIN (typecode 15): Hyper-V enlightenment state of the
      domain, 32 octets; Xen zero-extends a shorter entry.
    doc-ref: spec/hvm-context.md#typecodes
    seq:
      - id: hypercall_gpa
        type: u8
        if: _io.size >= 8
        doc: HV_X64_MSR_HYPERCALL.
      - id: guest_os_id
        type: u8
        if: _io.size >= 16
        doc: HV_X64_MSR_GUEST_OS_ID.
      - id: time_ref_count
        type: u8
        if: _io.size >= 24
        doc: Partition reference counter.
      - id: reference_tsc
        type: u8
        if: _io.size >= 32
        doc: HV_X64_MSR_REFERENCE_TSC.
      - id: partial
        size-eos: true
        if: _io.size < 32
        doc: The octets of a field that a shorter entry cuts short.
      - id: excess
        type: u1
        valid:
          min: 1
          max: 0
        repeat: eos
        if: _io.size > 32
        doc: |
          Never present: an octet after the 32 octets of the structure fails
          validation (every value is refused), so the entry length must not
          exceed the structure (HVM-SIZE-001, HVM-SIZE-002).
  hvm_hw_cpu_xsave:
    -orig-id: hvm_hw_cpu_xsave
    doc: |
      CPU_XSAVE (typecode 16, per vCPU): the extended state of one vCPU in
      the standard (uncompacted) XSAVE format; its length depends on the
      features in xcr0_accum, at least 600 octets (HVM-XSAVE-001).
    doc-ref: spec/hvm-context.md#cpu_xsave
    seq:
      - id: xfeature_mask
        type: u8
        doc: The saving host's feature mask; ignored on restore.
      - id: xcr0
        type: u8
        doc: The vCPU's XCR0.
      - id: xcr0_accum
        type: u8
        doc: Every feature the vCPU has enabled in XCR0 so far.
      - id: fpu_sse
        size: 512
        doc: The legacy x87/SSE region of the XSAVE area.
      - id: xstate_bv
        type: u8
        doc: |
          The XSAVE header's XSTATE_BV: which components hold state.
      - id: xcomp_bv
        type: u8
        valid: 0
        doc: |
          The XSAVE header's XCOMP_BV; zero, as Xen accepts only the standard
          format (HVM-XSAVE-002).
      - id: reserved
        type: u8
        valid: 0
        repeat: expr
        repeat-expr: 6
        doc: |
          The rest of the 64-octet XSAVE header, must be zero (HVM-XSAVE-002).
      - id: extended
        size-eos: true
        doc: The extended components (AVX and later) at their standard offsets.
  hvm_viridian_vcpu_context:
    -orig-id: hvm_viridian_vcpu_context
    doc: |
      VIRIDIAN_VCPU (typecode 17, per vCPU): Hyper-V enlightenment state
      of one vCPU, 216 octets; Xen zero-extends a shorter entry (older
      ones stopped after the padding, at 16).
    doc-ref: spec/hvm-context.md#typecodes
    seq:
      - id: vp_assist_msr
        type: u8
        if: _io.size >= 8
        doc: HV_X64_MSR_VP_ASSIST_PAGE.
      - id: apic_assist_pending
        type: u1
        if: _io.size >= 9
        doc: An APIC assist is outstanding.
      - id: pad
        -orig-id: _pad
        size: 7
        if: _io.size >= 16
        doc: Padding.
      - id: simp_msr
        type: u8
        if: _io.size >= 24
        doc: HV_X64_MSR_SIMP.
      - id: sint_msr
        type: u8
        repeat: expr
        repeat-expr: 16
        if: _io.size >= 152
        doc: The sixteen SINTx MSRs.
      - id: stimer_config_msr
        type: u8
        repeat: expr
        repeat-expr: 4
        if: _io.size >= 184
        doc: The four synthetic timers' config MSRs.
      - id: stimer_count_msr
        type: u8
        repeat: expr
        repeat-expr: 4
        if: _io.size >= 216
        doc: The four synthetic timers' count MSRs.
      - id: partial
        size-eos: true
        if: _io.size < 216
        doc: The octets a shorter entry holds beyond its last whole field.
      - id: excess
        type: u1
        valid:
          min: 1
          max: 0
        repeat: eos
        if: _io.size > 216
        doc: |
          Never present: an octet after the 216 octets of the structure fails
          validation (every value is refused), so the entry length must not
          exceed the structure (HVM-SIZE-001, HVM-SIZE-002).
  hvm_vmce_vcpu:
    -orig-id: hvm_vmce_vcpu
    doc: |
      VMCE_VCPU (typecode 18, per vCPU): virtual machine-check state, 32
      octets; Xen zero-extends a shorter entry.
    doc-ref: spec/hvm-context.md#typecodes
    seq:
      - id: caps
        type: u8
        if: _io.size >= 8
        doc: MCG_CAP MSR.
      - id: mci_ctl2_bank0
        type: u8
        if: _io.size >= 16
        doc: MCi_CTL2 of bank 0.
      - id: mci_ctl2_bank1
        type: u8
        if: _io.size >= 24
        doc: MCi_CTL2 of bank 1.
      - id: mcg_ext_ctl
        type: u8
        if: _io.size >= 32
        doc: MCG_EXT_CTL MSR.
      - id: partial
        size-eos: true
        if: _io.size < 32
        doc: The octets of a field that a shorter entry cuts short.
      - id: excess
        type: u1
        valid:
          min: 1
          max: 0
        repeat: eos
        if: _io.size > 32
        doc: |
          Never present: an octet after the 32 octets of the structure fails
          validation (every value is refused), so the entry length must not
          exceed the structure (HVM-SIZE-001, HVM-SIZE-002).
  hvm_tsc_adjust:
    -orig-id: hvm_tsc_adjust
    doc: |
      TSC_ADJUST (typecode 19, per vCPU): the IA32_TSC_ADJUST MSR, 8
      octets.
    doc-ref: spec/hvm-context.md#typecodes
    seq:
      - id: tsc_adjust
        type: u8
        doc: The MSR's value.
      - id: excess
        type: u1
        valid:
          min: 1
          max: 0
        repeat: eos
        doc: |
          Never present: an octet after the structure fails validation (every
          value is refused), so the entry length must not exceed the structure
          (HVM-SIZE-001, HVM-SIZE-002).
  hvm_msr:
    -orig-id: hvm_msr
    doc: |
      CPU_MSR (typecode 20, per vCPU): model-specific registers Xen saves
      beyond the CPU entry, 8 octets plus 16 per MSR (HVM-MSR-001).
    doc-ref: spec/hvm-context.md#cpu_msr
    seq:
      - id: num_msr
        -orig-id: count
        type: u4
        valid:
          min: 1
        doc: Number of MSRs, at least one (HVM-MSR-001).
      - id: pad
        size: 4
        doc: Alignment of the array to 8 octets.
      - id: msr
        type: hvm_one_msr
        repeat: expr
        repeat-expr: num_msr
        doc: The MSRs.
      - id: excess
        type: u1
        valid:
          min: 1
          max: 0
        repeat: eos
        doc: |
          Never present: an octet after the last MSR fails validation (every
          value is refused), so the entry length must not exceed the structure
          (HVM-SIZE-001, HVM-SIZE-002).
  hvm_one_msr:
    -orig-id: hvm_one_msr
    doc: |
      One MSR, 16 octets.
    doc-ref: spec/hvm-context.md#cpu_msr
    seq:
      - id: index
        type: u4
        doc: The MSR number.
      - id: rsvd
        -orig-id: _rsvd
        type: u4
        valid: 0
        doc: Reserved, must be zero (HVM-MSR-002).
      - id: val
        type: u8
        doc: The MSR's value.
enums:
  typecode:
    0:
      id: end
      -orig-id: END
      doc: Closes the blob; empty payload.
    1:
      id: header
      -orig-id: HEADER
      doc: Identifies the blob; always the first entry.
    2:
      id: cpu
      -orig-id: CPU
      doc: Register state of one vCPU.
    3:
      id: pic
      -orig-id: PIC
      doc: One 8259 PIC (instance 0 master, 1 slave).
    4:
      id: ioapic
      -orig-id: IOAPIC
      doc: The IO-APIC.
    5:
      id: lapic
      -orig-id: LAPIC
      doc: Local APIC state of one vCPU.
    6:
      id: lapic_regs
      -orig-id: LAPIC_REGS
      doc: Local APIC register page of one vCPU.
    7:
      id: pci_irq
      -orig-id: PCI_IRQ
      doc: PCI INTx wire levels.
    8:
      id: isa_irq
      -orig-id: ISA_IRQ
      doc: ISA IRQ wire levels.
    9:
      id: pci_link
      -orig-id: PCI_LINK
      doc: PCI-ISA link routing.
    10:
      id: pit
      -orig-id: PIT
      doc: The 8254 timer.
    11:
      id: rtc
      -orig-id: RTC
      doc: The CMOS real-time clock.
    12:
      id: hpet
      -orig-id: HPET
      doc: The high precision event timer.
    13:
      id: pmtimer
      -orig-id: PMTIMER
      doc: The ACPI PM timer.
    14:
      id: mtrr
      -orig-id: MTRR
      doc: PAT and MTRRs of one vCPU.
    15:
      id: viridian_domain
      -orig-id: VIRIDIAN_DOMAIN
      doc: Hyper-V enlightenments of the domain.
    16:
      id: cpu_xsave
      -orig-id: CPU_XSAVE_CODE
      doc: Extended (XSAVE) state of one vCPU; variable length.
    17:
      id: viridian_vcpu
      -orig-id: VIRIDIAN_VCPU
      doc: Hyper-V enlightenments of one vCPU.
    18:
      id: vmce_vcpu
      -orig-id: VMCE_VCPU
      doc: Machine-check state of one vCPU.
    19:
      id: tsc_adjust
      -orig-id: TSC_ADJUST
      doc: TSC_ADJUST MSR of one vCPU.
    20:
      id: cpu_msr
      -orig-id: CPU_MSR_CODE
      doc: Further MSRs of one vCPU; variable length.
