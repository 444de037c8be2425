meta:
  id: xen_libxc_stream
  title: Xen libxc domain save stream (migration stream v2 and v3)
  application:
    - Xen libxenguest (libxc) save and restore
    - xl save / xl migrate
  file-extension: libxc
  license: MIT
  ks-version: '0.11'
  imports:
    - xen_hvm_context
    - xen_pv_vcpu_context
  endian: be
doc: |
  The lowest layer of a Xen domain save image: the memory, vCPU and
  platform state of one guest, written by libxenguest (historically
  "libxc"). It opens with a fixed 24-octet image header, always
  big-endian, then a 16-octet domain header and a run of records. The
  domain header and every record use the byte order named by bit 0 of the
  image header's options (little-endian on every x86 host).

  A record is a 32-bit type, a 32-bit body length, the body, and zero
  padding up to the next multiple of 8 octets. Bit 31 of the type marks a
  record a restorer may skip; a type this description does not know is
  kept as raw octets whether or not that bit is set. The records run up
  to an END record. Inside a libxl stream a checkpointed (Remus/COLO)
  image splits the records into sections: each section but the last stops
  at a CHECKPOINT record, the libxl layer then has its say, and the
  following section carries records only, with no headers again (see
  `embedded_stream` and `stream_section`).

  Byte strings and 64-bit values are read whole. The one place where the
  layout packs fields into a 64-bit value, the PFN entries of PAGE_DATA,
  is read as a 32-bit half and bit fields of at most 20 bits, so that no
  target language needs 64-bit arithmetic.

  Specification: spec/libxc-stream.md (rules XC-*); the doc-ref of each
  type names its section there.
doc-ref:
  - spec/libxc-stream.md#overview
  - https://xenbits.xen.org/docs/unstable/specs/libxc-migration-stream.html
seq:
  - id: image_header
    type: ihdr
    doc: Identifies the stream, its format version and its byte order.
  - id: section
    type: stream_section(image_header.is_big_endian, true, 0, false)
    doc: |
      The domain header and the records up to END. A stream read on its
      own does not stop at CHECKPOINT: with no upper layer to hand over to,
      the records simply go on, unless the data ends right after the
      CHECKPOINT, which closes a checkpointed stream (XC-CKPT-003).
types:
  ihdr:
    meta:
      endian: be
    doc: |
      The image header (Xen's struct xc_sr_ihdr): fixed 24 octets,
      big-endian whatever the options say. Tools tell this format from the
      legacy one by the marker: a legacy image always has a zero bit
      somewhere in its first 8 octets. (Named after Xen's structure, not
      after the field `image_header` that holds it: a type named like a
      field of the same type clashes in C#.)
    doc-ref: spec/libxc-stream.md#image-header
    seq:
      - id: marker
        contents: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
        doc: Eight octets of 0xff; no legacy image can start this way.
      - id: magic
        -orig-id: id
        type: u4
        valid: 0x58454e46
        doc: The format identifier, the ASCII letters "XENF" read as a big-endian number.
      - id: version
        type: u4
        valid:
          any-of: [2, 3]
        doc: |
          Revision of the format the stream follows. In version 3,
          STATIC_DATA_END must come before the first record that carries
          guest memory or register state; a reader of version 2 assumes it
          where that first record is.
      - id: options
        type: u2
        valid:
          max: 1
        doc: |
          Bit 0 gives the byte order of everything after this header
          (0 little-endian, 1 big-endian). Bits 1 to 15 are reserved and
          must be zero.
      - id: reserved1
        -orig-id: _res1
        type: u2
        valid: 0
        doc: Reserved, must be zero.
      - id: reserved2
        -orig-id: _res2
        type: u4
        valid: 0
        doc: Reserved, must be zero.
    instances:
      is_big_endian:
        value: (options & 1) != 0
        doc: True when the domain header and the records are big-endian.
  embedded_stream:
    meta:
      endian: be
    doc: |
      A libxc stream as it appears inside a libxl stream right after the
      LIBXC_CONTEXT record: both headers, then records up to END or up to
      the first CHECKPOINT, whichever comes first.
    doc-ref: spec/nesting.md#libxl-stream-and-libxc-stream
    seq:
      - id: image_header
        type: ihdr
        doc: Identifies the stream, its format version and its byte order.
      - id: section
        type: stream_section(image_header.is_big_endian, true, 0, true)
        doc: The domain header and the first section of records.
  stream_section:
    meta:
      endian:
        switch-on: is_be
        cases:
          'true': be
          'false': le
    doc: |
      The part of the stream in the byte order the image header names: the
      domain header and records up to END, or one section of a
      checkpointed stream. Every type nested here inherits that byte
      order. (Held by the field `section`; a type may not share its name
      in C#.)
    doc-ref: spec/libxc-stream.md#records
    params:
      - id: is_be
        type: bool
        doc: Byte order taken from the image header (true for big-endian).
      - id: has_domain_header
        type: bool
        doc: |
          True for the first section of a stream, which opens with the
          domain header; false for a section resumed after a libxl
          CHECKPOINT_END, which carries records only.
      - id: resumed_page_shift
        type: u2
        doc: |
          For a resumed section, the page shift the stream's domain header
          set; ignored when `has_domain_header` is true.
      - id: stop_at_checkpoint
        type: bool
        doc: |
          True inside a libxl stream, where a CHECKPOINT record hands the
          stream back to the libxl layer; false for a stream read on its
          own, whose records run to END.
    seq:
      - id: domain_header
        type: dhdr
        if: has_domain_header
        doc: Guest type, page size and the saving Xen's version.
      - id: records
        type: record(is_be, page_size, _io.pos)
        repeat: until
        repeat-until: >-
          _.is_end or (_.is_checkpoint and (stop_at_checkpoint or _io.eof))
        doc: |
          The records, the last being END or, when `stop_at_checkpoint`,
          possibly CHECKPOINT. A stream read on its own may also stop at
          the end of the data right after a CHECKPOINT, the way Xen's
          saver ends every checkpointed stream (XC-CKPT-003); the data
          running out anywhere else is still an error.
    instances:
      page_shift:
        value: 'has_domain_header ? domain_header.page_shift : resumed_page_shift'
        doc: Page size of the stream as a power of two.
      page_size:
        value: '(page_shift == 31 ? 0x80000000 : (1 << page_shift).as<u4>).as<u4>'
        doc: |
          Octets in one guest page, and so in each page of PAGE_DATA. (The
          shift is at most 31; the largest case is spelled out so that no
          target computes it with a signed 32-bit shift.)
      ended_at_checkpoint:
        value: records.last.is_checkpoint
        doc: True when these records stopped at a CHECKPOINT rather than at END.
    types:
      dhdr:
        doc: |
          The domain header (Xen's struct xc_sr_dhdr): what kind of guest
          the stream holds, its page size and the Xen release that wrote
          it. Uses the stream's byte order. (Held by the field
          `domain_header`; a type may not share its name in C#.)
        doc-ref: spec/libxc-stream.md#domain-header
        seq:
          - id: guest_type
            -orig-id: type
            type: u4
            enum: domain_type
            valid:
              in-enum: true
            doc: Kind of guest; 0 and values above 2 are reserved.
          - id: page_shift
            type: u2
            valid:
              max: 31
            doc: |
              The guest page size as a power of two (12 for the 4 KiB pages of
              every x86 guest). Xen derives the page size as a 32-bit quantity,
              so a shift of 32 or more describes no page at all.
          - id: reserved
            -orig-id: _res1
            type: u2
            valid: 0
            doc: Reserved, must be zero.
          - id: xen_major
            type: u4
            doc: |
              Major version of the Xen that saved the guest; 0 when the stream
              was produced by converting a legacy image.
          - id: xen_minor
            type: u4
            doc: |
              Minor version of the Xen that saved the guest; for a converted
              legacy image, the version of the conversion tool.
      record:
        doc: |
          One record: type, body length, body, then zero padding to an 8-octet
          boundary. A body of a type not listed here, or of a type whose body
          this description leaves opaque, is kept as raw octets.
        doc-ref: spec/libxc-stream.md#framing
        params:
          - id: is_be
            type: bool
            doc: Byte order of the stream, needed to order the halves of 64-bit PFN entries.
          - id: page_size
            type: u4
            doc: Octets in one page of the stream, needed for PAGE_DATA.
          - id: ofs_record
            type: s8
            doc: |
              Where the record starts in the stream (the section passes
              `_io.pos`), so that `rec_type_raw` can read the type again.
        seq:
          - id: rec_type
            -orig-id: type
            type: u4
            enum: rec_type
            doc: |
              What the body holds. Bit 31 set marks an optional record; other
              values not in the enum are reserved for future mandatory records.
          - id: len_body
            -orig-id: length
            type: u4
            doc: Octets in the body, padding not included.
          - id: body
            size: len_body
            type:
              switch-on: rec_type
              cases:
                rec_type::page_data: page_data(is_be, page_size)
                rec_type::x86_pv_info: x86_pv_info
                rec_type::x86_pv_p2m_frames: x86_pv_p2m_frames
                rec_type::x86_pv_vcpu_basic: x86_pv_vcpu_context(is_be, true)
                rec_type::x86_pv_vcpu_extended: x86_pv_vcpu_context(is_be, false)
                rec_type::x86_pv_vcpu_xsave: x86_pv_vcpu_context(is_be, false)
                rec_type::x86_pv_vcpu_msrs: x86_pv_vcpu_context(is_be, false)
                rec_type::x86_tsc_info: x86_tsc_info
                rec_type::hvm_context: xen_hvm_context
                rec_type::hvm_params: hvm_params
                rec_type::checkpoint_dirty_pfn_list: checkpoint_dirty_pfn_list
                rec_type::x86_cpuid_policy: x86_cpuid_policy
                rec_type::x86_msr_policy: x86_msr_policy
            doc: |
              The record's contents, decoded for the types listed (HVM_CONTEXT
              by xen_hvm_context.ksy, little-endian whatever the stream's byte
              order); raw octets for SHARED_INFO, TOOLSTACK, the empty
              signalling records, ALIGN_PAD's zero padding (`is_align_pad`)
              and every unknown type.
          - id: padding
            type: u1
            valid: 0
            repeat: expr
            repeat-expr: (8 - len_body % 8) % 8
            doc: Zero octets that bring the record to a multiple of 8 octets.
        instances:
          rec_type_raw:
            pos: ofs_record
            type: u4
            doc: |
              The type word read again, as a plain unsigned number. `rec_type`
              cannot give bit 31 in every target: an optional type is never
              in the enum, and C++ and C# then hold it as a negative number,
              Java not at all (null).
          is_optional:
            value: rec_type_raw >> 31 != 0
            doc: |
              True when bit 31 of the type is set, so a restorer may ignore the
              record. (A shift rather than a comparison with 0x7fffffff: the
              Rust target compares 32-bit values as signed.)
          is_align_pad:
            value: rec_type_raw >> 16 == 0xffff and (rec_type_raw & 0xffff) == 0xfff0
            doc: |
              True for ALIGN_PAD (type 0xfffffff0), xensave's optional padding
              record, not one of Xen's types: its zero body puts the contents
              of the PAGE_DATA record that follows on a 4096-octet boundary of
              the file, and Xen's restorer skips it as it skips any optional
              record. It is not in the `rec_type` enum because C# cannot hold
              an enum value of 2^31 or more, and the type is tested in two
              halves because JavaScript cannot hold such a literal in an
              expression.
            doc-ref: spec/libxc-stream.md#align-pad
          is_end:
            value: rec_type == rec_type::end
            doc: True for the END record that closes the stream.
          is_checkpoint:
            value: rec_type == rec_type::checkpoint
            doc: True for a CHECKPOINT record.
      page_data:
        doc: |
          Guest memory: a list of PFNs with their page types, then the
          contents of every listed page whose type carries data, in list
          order. Pages typed BROKEN, XALLOC or XTAB have no contents here.
        doc-ref: spec/libxc-stream.md#page_data
        params:
          - id: is_be
            type: bool
            doc: Byte order of the stream, which orders the halves of each PFN entry.
          - id: page_size
            type: u4
            doc: Octets in one page.
        seq:
          - id: num_pfns
            -orig-id: count
            type: u4
            doc: Number of PFN entries; Xen requires at least one.
          - id: reserved
            -orig-id: _res1
            type: u4
            valid: 0
            doc: Reserved, must be zero.
          - id: pfns
            -orig-id: pfn
            type: pfn_entry(is_be)
            repeat: expr
            repeat-expr: num_pfns
            doc: One 64-bit entry per page, each a PFN and its page type.
          - id: pages
            -orig-id: page_data
            type: page_slot(pfns[_index].has_data, page_size)
            repeat: expr
            repeat-expr: pfns.size
            doc: |
              One slot per PFN entry, in the same order; a slot holds a page of
              contents exactly when its entry's type carries data.
      pfn_entry:
        doc: |
          A 64-bit PAGE_DATA entry: bits 0-51 are the PFN, bits 52-59 are
          reserved and must be zero, bits 60-63 are the page type (a
          XEN_DOMCTL_PFINFO_* value shifted right by 28). So that no target
          needs 64-bit arithmetic it is read as its low 32-bit half and the
          three fields of its high half, in the order the stream's byte
          order puts them; the fields of the other byte order are absent.
        doc-ref: spec/libxc-stream.md#page_data
        params:
          - id: is_be
            type: bool
            doc: True when the stream is big-endian, so the high half comes first.
        seq:
          - id: pfn_low_le
            type: u4le
            if: not is_be
            doc: PFN bits 0-31 (little-endian stream, stored first).
          - id: pfn_high_le
            type: b20le
            if: not is_be
            doc: PFN bits 32-51 (little-endian stream).
          - id: reserved_le
            type: b8le
            valid: 0
            if: not is_be
            doc: Bits 52-59, reserved, must be zero (little-endian stream).
          - id: page_type_le
            type: b4le
            enum: page_type
            valid:
              in-enum: true
            if: not is_be
            doc: Bits 60-63, the page type (little-endian stream); 5 to 8 are reserved.
          - id: page_type_be
            type: b4be
            enum: page_type
            valid:
              in-enum: true
            if: is_be
            doc: Bits 60-63, the page type (big-endian stream, stored first); 5 to 8 are reserved.
          - id: reserved_be
            type: b8be
            valid: 0
            if: is_be
            doc: Bits 52-59, reserved, must be zero (big-endian stream).
          - id: pfn_high_be
            type: b20be
            if: is_be
            doc: PFN bits 32-51 (big-endian stream).
          - id: pfn_low_be
            type: u4be
            if: is_be
            doc: PFN bits 0-31 (big-endian stream, stored last).
        instances:
          pfn_low:
            value: 'is_be ? pfn_low_be : pfn_low_le'
            doc: Bits 0-31 of the PFN.
          pfn_high:
            value: 'is_be ? pfn_high_be : pfn_high_le'
            doc: Bits 32-51 of the PFN, as a number below 2^20.
          page_type:
            value: 'is_be ? page_type_be : page_type_le'
            doc: The page type, bits 60-63 of the entry.
          has_data:
            value: page_type.to_i < 13
            doc: True when a page of contents follows for this entry (types below BROKEN).
      page_slot:
        doc: The place of one PFN entry in the run of page contents.
        doc-ref: spec/libxc-stream.md#page_data
        params:
          - id: has_data
            type: bool
            doc: True when the matching entry's page type carries contents.
          - id: len_page
            type: u4
            doc: Octets in one page.
        seq:
          - id: page
            size: len_page
            if: has_data
            doc: The page's contents, present only for types that carry data.
      x86_pv_info:
        doc: Width and paging depth of an x86 PV guest; must precede the records that depend on them.
        doc-ref: spec/libxc-stream.md#x86_pv_info
        seq:
          - id: guest_width
            type: u1
            valid:
              any-of: [4, 8]
            doc: Octets in a guest word (4 for a 32-bit guest, 8 for a 64-bit one).
          - id: pt_levels
            type: u1
            valid:
              any-of: [3, 4]
            doc: Levels of page table the guest uses (3 for 32-bit PAE, 4 for 64-bit).
          - id: reserved
            -orig-id: _res
            contents: [0, 0, 0, 0, 0, 0]
            doc: Reserved, six zero octets.
      x86_pv_p2m_frames:
        doc: |
          Where an x86 PV guest keeps its physical-to-machine table: the
          frames holding the table entries for a range of PFNs.
        doc-ref: spec/libxc-stream.md#x86_pv_p2m_frames
        seq:
          - id: p2m_start_pfn
            -orig-id: start_pfn
            type: u4
            doc: First PFN whose table entry the listed frames cover.
          - id: p2m_end_pfn
            -orig-id: end_pfn
            type: u4
            doc: Last PFN (inclusive) whose table entry the listed frames cover.
          - id: p2m_pfns
            type: u8
            repeat: eos
            doc: The PFNs of the frames that hold the table, in order, filling the rest of the body.
      x86_pv_vcpu_context:
        doc: |
          Shared layout of the four x86 PV vCPU records (BASIC, EXTENDED,
          XSAVE, MSRS): the vCPU it belongs to and a block of state as the
          matching domctl hypercall exchanges it. BASIC's block is decoded
          (xen_pv_vcpu_context.ksy); the others are kept as octets.
        doc-ref: spec/libxc-stream.md#x86_pv_vcpu_basic-_extended-_xsave-_msrs
        params:
          - id: is_be
            type: bool
            doc: Byte order of the stream, handed on to the decoded vcpu_guest_context.
          - id: is_basic
            type: bool
            doc: True for X86_PV_VCPU_BASIC, whose context is a vcpu_guest_context.
        seq:
          - id: vcpu_id
            type: u4
            doc: Index of the vCPU this state belongs to.
          - id: reserved
            -orig-id: _res1
            type: u4
            valid: 0
            doc: Reserved, must be zero.
          - id: context
            size-eos: true
            type:
              switch-on: '(is_basic ? _io.size - 8 : 0).as<s4>'
              cases:
                2800: xen_pv_vcpu_context(is_be, 4)
                5168: xen_pv_vcpu_context(is_be, 8)
            doc: |
              The state itself, to the end of the body: a vcpu_guest_context
              for BASIC, the extended context for EXTENDED, the xsave area for
              XSAVE, a list of MSR entries for MSRS. The guest width of
              X86_PV_INFO is out of reach here, so BASIC's layout is chosen by
              its size (2800 octets x86_32, 5168 x86_64); a context of any
              other size stays raw. XC-VCPU-003 ties the size to the width.
      x86_tsc_info:
        doc: How the guest's time stamp counter behaves and where it stood when saved.
        doc-ref: spec/libxc-stream.md#x86_tsc_info
        seq:
          - id: mode
            type: u4
            enum: tsc_mode
            valid:
              in-enum: true
            doc: The TSC mode.
          - id: khz
            type: u4
            doc: Guest TSC frequency in kHz.
          - id: nsec
            type: u8
            doc: Elapsed guest time in nanoseconds.
          - id: incarnation
            type: u4
            doc: How many times the guest's TSC has been migrated or restored.
          - id: reserved
            -orig-id: _res1
            type: u4
            valid: 0
            doc: Reserved, must be zero.
      hvm_params:
        doc: HVM parameters, each an index and a 64-bit value as HVMOP_set_param takes them.
        doc-ref: spec/libxc-stream.md#hvm_params
        seq:
          - id: num_params
            -orig-id: count
            type: u4
            doc: Number of parameters that follow.
          - id: reserved
            -orig-id: _res1
            type: u4
            valid: 0
            doc: Reserved, must be zero.
          - id: params
            -orig-id: param
            type: hvm_param_entry
            repeat: expr
            repeat-expr: num_params
            doc: The parameters.
      hvm_param_entry:
        doc: |
          One HVM parameter. (Not named `hvm_param`: that is the enum of
          parameter indices, and several targets, C++, C# and Java among
          them, put types and enums in one namespace.)
        doc-ref: spec/libxc-stream.md#hvm_params
        seq:
          - id: index
            type: u8
            enum: hvm_param
            doc: Which parameter.
          - id: value
            type: u8
            doc: Its value.
      checkpoint_dirty_pfn_list:
        doc: |
          PFNs the secondary of a COLO pair dirtied, sent back to the primary
          over the back channel; in no particular order.
        doc-ref: spec/libxc-stream.md#checkpoint_dirty_pfn_list
        seq:
          - id: pfns
            -orig-id: pfn
            type: u8
            repeat: eos
            doc: The PFNs, one 64-bit value each, filling the body.
      x86_cpuid_policy:
        doc: The guest's CPUID policy as a list of leaves.
        doc-ref: spec/libxc-stream.md#x86_cpuid_policy-and-x86_msr_policy
        seq:
          - id: leaves
            type: cpuid_leaf
            repeat: eos
            doc: The leaves, 24 octets each, filling the body.
      cpuid_leaf:
        -orig-id: xen_cpuid_leaf_t
        doc: One CPUID leaf and the four registers it reports.
        doc-ref: spec/libxc-stream.md#x86_cpuid_policy-and-x86_msr_policy
        seq:
          - id: leaf
            type: u4
            doc: The value of EAX the leaf answers.
          - id: subleaf
            type: u4
            doc: The value of ECX the leaf answers; 0xffffffff when the leaf has no subleaves.
          - id: a
            type: u4
            doc: Value reported in EAX.
          - id: b
            type: u4
            doc: Value reported in EBX.
          - id: c
            type: u4
            doc: Value reported in ECX.
          - id: d
            type: u4
            doc: Value reported in EDX.
      x86_msr_policy:
        doc: The guest's MSR policy as a list of entries.
        doc-ref: spec/libxc-stream.md#x86_cpuid_policy-and-x86_msr_policy
        seq:
          - id: entries
            type: msr_entry
            repeat: eos
            doc: The entries, 16 octets each, filling the body.
      msr_entry:
        -orig-id: xen_msr_entry_t
        doc: One model-specific register of the policy and its value.
        doc-ref: spec/libxc-stream.md#x86_cpuid_policy-and-x86_msr_policy
        seq:
          - id: index
            -orig-id: idx
            type: u4
            doc: The MSR number.
          - id: flags
            type: u4
            valid: 0
            doc: Reserved, must be zero.
          - id: value
            -orig-id: val
            type: u8
            doc: The MSR's value.
enums:
  domain_type:
    1:
      id: x86_pv
      -orig-id: DHDR_TYPE_X86_PV
      doc: A paravirtualised x86 guest.
    2:
      id: x86_hvm
      -orig-id: DHDR_TYPE_X86_HVM
      doc: A hardware-virtualised x86 guest (HVM or PVH).
  rec_type:
    0x00:
      id: end
      -orig-id: REC_TYPE_END
      doc: Closes the stream; empty body.
    0x01:
      id: page_data
      -orig-id: REC_TYPE_PAGE_DATA
      doc: PFNs with their types and the contents of the pages that carry data.
    0x02:
      id: x86_pv_info
      -orig-id: REC_TYPE_X86_PV_INFO
      doc: Word size and page-table depth of an x86 PV guest.
    0x03:
      id: x86_pv_p2m_frames
      -orig-id: REC_TYPE_X86_PV_P2M_FRAMES
      doc: Frames holding an x86 PV guest's physical-to-machine table.
    0x04:
      id: x86_pv_vcpu_basic
      -orig-id: REC_TYPE_X86_PV_VCPU_BASIC
      doc: Basic register state of one PV vCPU.
    0x05:
      id: x86_pv_vcpu_extended
      -orig-id: REC_TYPE_X86_PV_VCPU_EXTENDED
      doc: Extended state of one PV vCPU.
    0x06:
      id: x86_pv_vcpu_xsave
      -orig-id: REC_TYPE_X86_PV_VCPU_XSAVE
      doc: Extended FPU (xsave) state of one PV vCPU.
    0x07:
      id: shared_info
      -orig-id: REC_TYPE_SHARED_INFO
      doc: The guest's shared info page, one page long.
    0x08:
      id: x86_tsc_info
      -orig-id: REC_TYPE_X86_TSC_INFO
      doc: TSC mode, frequency and elapsed time.
    0x09:
      id: hvm_context
      -orig-id: REC_TYPE_HVM_CONTEXT
      doc: The HVM context blob Xen hands out for an HVM guest.
    0x0a:
      id: hvm_params
      -orig-id: REC_TYPE_HVM_PARAMS
      doc: HVM parameter indices and values.
    0x0b:
      id: toolstack
      -orig-id: REC_TYPE_TOOLSTACK
      doc: Deprecated opaque data for the toolstack above; not written by current tools.
    0x0c:
      id: x86_pv_vcpu_msrs
      -orig-id: REC_TYPE_X86_PV_VCPU_MSRS
      doc: Model-specific registers of one PV vCPU.
    0x0d:
      id: verify
      -orig-id: REC_TYPE_VERIFY
      doc: All memory has been sent; further memory records are for verification only. Empty body.
    0x0e:
      id: checkpoint
      -orig-id: REC_TYPE_CHECKPOINT
      doc: The records so far form a consistent checkpoint; an upper layer takes over. Empty body.
    0x0f:
      id: checkpoint_dirty_pfn_list
      -orig-id: REC_TYPE_CHECKPOINT_DIRTY_PFN_LIST
      doc: PFNs dirtied on a COLO secondary, sent back to the primary.
    0x10:
      id: static_data_end
      -orig-id: REC_TYPE_STATIC_DATA_END
      doc: Ends the static configuration records (version 3 and later). Empty body.
    0x11:
      id: x86_cpuid_policy
      -orig-id: REC_TYPE_X86_CPUID_POLICY
      doc: The guest's CPUID policy.
    0x12:
      id: x86_msr_policy
      -orig-id: REC_TYPE_X86_MSR_POLICY
      doc: The guest's MSR policy.
  page_type:
    0x0:
      id: notab
      -orig-id: XEN_DOMCTL_PFINFO_NOTAB
      doc: An ordinary page.
    0x1:
      id: l1tab
      -orig-id: XEN_DOMCTL_PFINFO_L1TAB
      doc: A level 1 page table.
    0x2:
      id: l2tab
      -orig-id: XEN_DOMCTL_PFINFO_L2TAB
      doc: A level 2 page table.
    0x3:
      id: l3tab
      -orig-id: XEN_DOMCTL_PFINFO_L3TAB
      doc: A level 3 page table.
    0x4:
      id: l4tab
      -orig-id: XEN_DOMCTL_PFINFO_L4TAB
      doc: A level 4 page table.
    0x9:
      id: l1tab_pin
      doc: A level 1 page table that the guest has pinned.
    0xa:
      id: l2tab_pin
      doc: A level 2 page table that the guest has pinned.
    0xb:
      id: l3tab_pin
      doc: A level 3 page table that the guest has pinned.
    0xc:
      id: l4tab_pin
      doc: A level 4 page table that the guest has pinned.
    0xd:
      id: broken
      -orig-id: XEN_DOMCTL_PFINFO_BROKEN
      doc: A page the hardware reported broken; no contents follow.
    0xe:
      id: xalloc
      -orig-id: XEN_DOMCTL_PFINFO_XALLOC
      doc: A page to allocate without contents; no contents follow.
    0xf:
      id: xtab
      -orig-id: XEN_DOMCTL_PFINFO_XTAB
      doc: A PFN with no valid page behind it; no contents follow.
  tsc_mode:
    0:
      id: default
      -orig-id: XEN_CPUID_TSC_MODE_DEFAULT
      doc: Native TSC where it is safe, emulated otherwise.
    1:
      id: always_emulate
      -orig-id: XEN_CPUID_TSC_MODE_ALWAYS_EMULATE
      doc: Every TSC read is emulated.
    2:
      id: never_emulate
      -orig-id: XEN_CPUID_TSC_MODE_NEVER_EMULATE
      doc: The TSC is never emulated.
    3:
      id: pvrdtscp
      -orig-id: XEN_CPUID_TSC_MODE_PVRDTSCP
      doc: A paravirtual RDTSCP mode of older Xen releases, which current Xen no longer accepts.
  hvm_param:
    0:
      id: callback_irq
      -orig-id: HVM_PARAM_CALLBACK_IRQ
      doc: How event channel upcalls reach vCPU 0; the top byte selects the method.
    1:
      id: store_pfn
      -orig-id: HVM_PARAM_STORE_PFN
      doc: PFN of the xenstore ring page.
    2:
      id: store_evtchn
      -orig-id: HVM_PARAM_STORE_EVTCHN
      doc: Event channel of the xenstore ring.
    4:
      id: pae_enabled
      -orig-id: HVM_PARAM_PAE_ENABLED
      doc: Deprecated; once said whether PAE was offered.
    5:
      id: ioreq_pfn
      -orig-id: HVM_PARAM_IOREQ_PFN
      doc: PFN of the synchronous device-model request page.
    6:
      id: bufioreq_pfn
      -orig-id: HVM_PARAM_BUFIOREQ_PFN
      doc: PFN of the buffered device-model request page.
    9:
      id: viridian
      -orig-id: HVM_PARAM_VIRIDIAN
      doc: Mask of the Hyper-V (viridian) enlightenments offered to the guest.
    10:
      id: timer_mode
      -orig-id: HVM_PARAM_TIMER_MODE
      doc: How virtual timers deal with ticks missed while a vCPU was descheduled.
    11:
      id: hpet_enabled
      -orig-id: HVM_PARAM_HPET_ENABLED
      doc: Whether the guest has a virtual HPET.
    12:
      id: ident_pt
      -orig-id: HVM_PARAM_IDENT_PT
      doc: Address of the identity-map page directory used while the guest runs unpaged.
    13:
      id: dm_domain
      -orig-id: HVM_PARAM_DM_DOMAIN
      doc: Deprecated; once named the domain running the device model.
    14:
      id: acpi_s_state
      -orig-id: HVM_PARAM_ACPI_S_STATE
      doc: The guest's ACPI sleep state.
    15:
      id: vm86_tss
      -orig-id: HVM_PARAM_VM86_TSS
      doc: Address of the task state segment used while the guest runs in real mode.
    16:
      id: vpt_align
      -orig-id: HVM_PARAM_VPT_ALIGN
      doc: Whether periodic virtual timers are aligned to cut down interrupts.
    17:
      id: console_pfn
      -orig-id: HVM_PARAM_CONSOLE_PFN
      doc: PFN of the PV console ring page.
    18:
      id: console_evtchn
      -orig-id: HVM_PARAM_CONSOLE_EVTCHN
      doc: Event channel of the PV console.
    19:
      id: acpi_ioports_location
      -orig-id: HVM_PARAM_ACPI_IOPORTS_LOCATION
      doc: Which of two I/O port layouts the ACPI PM blocks use.
    20:
      id: memory_event_cr0
      -orig-id: HVM_PARAM_MEMORY_EVENT_CR0
      doc: Deprecated memory event setting for CR0 writes.
    21:
      id: memory_event_cr3
      -orig-id: HVM_PARAM_MEMORY_EVENT_CR3
      doc: Deprecated memory event setting for CR3 writes.
    22:
      id: memory_event_cr4
      -orig-id: HVM_PARAM_MEMORY_EVENT_CR4
      doc: Deprecated memory event setting for CR4 writes.
    23:
      id: memory_event_int3
      -orig-id: HVM_PARAM_MEMORY_EVENT_INT3
      doc: Deprecated memory event setting for breakpoints.
    24:
      id: nestedhvm
      -orig-id: HVM_PARAM_NESTEDHVM
      doc: Deprecated; once turned nested virtualisation on.
    25:
      id: memory_event_single_step
      -orig-id: HVM_PARAM_MEMORY_EVENT_SINGLE_STEP
      doc: Deprecated memory event setting for single stepping.
    26:
      id: bufioreq_evtchn
      -orig-id: HVM_PARAM_BUFIOREQ_EVTCHN
      doc: Deprecated; event channel of the buffered request page.
    27:
      id: paging_ring_pfn
      -orig-id: HVM_PARAM_PAGING_RING_PFN
      doc: PFN of the memory paging event ring.
    28:
      id: monitor_ring_pfn
      -orig-id: HVM_PARAM_MONITOR_RING_PFN
      doc: PFN of the monitor (VM introspection) event ring.
    29:
      id: sharing_ring_pfn
      -orig-id: HVM_PARAM_SHARING_RING_PFN
      doc: PFN of the memory sharing event ring.
    30:
      id: memory_event_msr
      -orig-id: HVM_PARAM_MEMORY_EVENT_MSR
      doc: Deprecated memory event setting for MSR writes.
    31:
      id: triple_fault_reason
      -orig-id: HVM_PARAM_TRIPLE_FAULT_REASON
      doc: The shutdown reason reported when the guest triple faults.
    32:
      id: ioreq_server_pfn
      -orig-id: HVM_PARAM_IOREQ_SERVER_PFN
      doc: First PFN of the pages set aside for device-model request servers.
    33:
      id: nr_ioreq_server_pages
      -orig-id: HVM_PARAM_NR_IOREQ_SERVER_PAGES
      doc: How many pages are set aside for device-model request servers.
    34:
      id: vm_generation_id_addr
      -orig-id: HVM_PARAM_VM_GENERATION_ID_ADDR
      doc: Guest physical address of the VM generation ID.
    35:
      id: altp2m
      -orig-id: HVM_PARAM_ALTP2M
      doc: Which users may drive alternate p2m views.
    36:
      id: x87_fip_width
      -orig-id: HVM_PARAM_X87_FIP_WIDTH
      doc: Width of the x87 FIP/FDP registers the hypervisor saves and restores.
    37:
      id: vm86_tss_sized
      -orig-id: HVM_PARAM_VM86_TSS_SIZED
      doc: Real-mode task state segment, address in the low half and size in the high half.
    38:
      id: mca_cap
      -orig-id: HVM_PARAM_MCA_CAP
      doc: Machine check capabilities offered to the guest.
