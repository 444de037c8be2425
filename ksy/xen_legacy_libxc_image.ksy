meta:
  id: xen_legacy_libxc_image
  title: Xen legacy (4.5 and older) libxc save image
  application:
    - xc_domain_save / xc_domain_restore (Xen 3.0 to 4.5)
    - xensave convert
  file-extension: legacy
  license: MIT
  ks-version: '0.11'
  imports:
    - xen_hvm_context
  endian: le
doc: |
  The domain state as libxc saved it before Xen 4.6: no magic, no version
  and no record framing. The reader must be told the width of the
  toolstack's `unsigned long` (called a word here: 4 octets from a 32-bit
  toolstack, 8 from a 64-bit one) and whether the guest is PV or HVM;
  xensave works both out by trying each. PV images also need the number of
  online vCPUs for their tail, which is the population count of the
  VCPU_INFO map (Kaitai has no such operator, so the caller passes it).

  This description covers one checkpoint (a saved file), then any further
  checkpoints of a Remus stream. Once a body has had ENABLE_COMPRESSION
  (-13), the page batches of every later body carry pfn words only; their
  pages come in COMPRESSED_DATA (-12) chunks, each page encoded against the
  receiver's earlier copy of it as an empty page, a full page, or runs of
  copied and skipped 4-octet words (`compressed_page`).

  Specification: spec/legacy.md (rules LEG-*); the doc-ref of each type
  names its section there.
doc-ref:
  - spec/legacy.md#overall-shape
  - https://xenbits.xen.org/gitweb/?p=xen.git;a=blob;f=tools/python/xen/migration/legacy.py;hb=HEAD
params:
  - id: toolstack_width
    type: u1
    doc: 32 or 64, the bit width of the saving toolstack's words.
  - id: is_hvm
    type: bool
    doc: True for an HVM guest, false for a PV guest.
  - id: num_vcpus
    type: u2
    doc: |
      Online vCPUs of a PV guest (set bits of the VCPU_INFO map, 1 without
      one); ignored for HVM.
seq:
  - id: p2m_size
    type: word
    doc: Entries of the guest's pfn-to-machine table; every pfn in the image is below it.
  - id: ext_info
    type: ext_info_list
    if: not is_hvm
    doc: The extended-info block list (PV only).
  - id: p2m_frames
    type: word
    repeat: expr
    repeat-expr: ((p2m_size.value + pfns_per_frame - 1) / pfns_per_frame).as<u4>
    if: not is_hvm
    doc: The pfn of each page of the guest's p2m table (PV only).
  - id: first_checkpoint
    type: checkpoint(false)
    doc: The body and tail of the (only, for a saved file) checkpoint.
  - id: further_checkpoints
    type: |
      checkpoint(_index == 0
        ? first_checkpoint.compresses_next
        : further_checkpoints[_index - 1].compresses_next)
    repeat: eos
    doc: |
      Further checkpoints of a Remus stream; each is compressed when an
      earlier body had ENABLE_COMPRESSION.
instances:
  word_size:
    value: 'toolstack_width == 32 ? 4 : 8'
    doc: Octets in one toolstack word.
  vcpu_size:
    value: 'is_hvm ? 0 : ext_info.blocks.items[0].len_body'
    doc: Octets of one vCPU context, from the `vcpu` block (Xen writes it first).
  guest_width:
    value: 'vcpu_size == 5168 ? 8 : 4'
    doc: Octets in one guest word, from the vCPU context size.
  pfns_per_frame:
    value: (4096 / guest_width).as<u4>
    doc: p2m entries held by one page of the p2m table.
  has_extv:
    value: not is_hvm and ext_info.blocks.items.size > 1 and ext_info.blocks.items[1].block_id == "extv"
    doc: True when each vCPU of the tail has a 128-octet extended context.
  xsave_size:
    value: |
      (not is_hvm and ext_info.blocks.items.size > 2 and ext_info.blocks.items[2].block_id == "xcnt")
      ? ext_info.blocks.items[2].xsave_size : 0
    doc: Octets of each vCPU's XSAVE state in the tail, 0 when none.
types:
  word:
    doc: One toolstack `unsigned long`.
    doc-ref: spec/legacy.md#header
    seq:
      - id: value
        type:
          switch-on: _root.toolstack_width
          cases:
            32: u4
            64: u8
        doc: The word's value.
  ext_info_list:
    doc: |
      The PV extended-info list. (Held by the field `ext_info`; a type may
      not share its name in C#.)
    doc-ref: spec/legacy.md#extended-info-pv-only
    seq:
      - id: signature
        size: _root.word_size
        valid:
          any-of:
            - '[0xff, 0xff, 0xff, 0xff]'
            - '[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]'
        doc: A toolstack word with every bit set (4 or 8 octets).
      - id: len_blocks
        type: u4
        doc: Octets of the blocks that follow.
      - id: blocks
        size: len_blocks
        type: ext_blocks
        doc: The blocks, as one substream.
  ext_blocks:
    doc: The extended-info blocks; Xen writes `vcpu`, `extv`, then `xcnt` when present.
    doc-ref: spec/legacy.md#extended-info-pv-only
    seq:
      - id: items
        type: ext_block
        repeat: eos
        doc: The blocks in order.
  ext_block:
    doc: One extended-info block.
    doc-ref: spec/legacy.md#extended-info-pv-only
    seq:
      - id: block_id
        size: 4
        type: str
        encoding: ASCII
        doc: '`vcpu`, `extv` or `xcnt`.'
      - id: len_body
        type: u4
        doc: Octets of data.
      - id: xsave_size
        type: u4
        if: block_id == "xcnt"
        doc: |
          The data of an `xcnt` block: octets of each vCPU's XSAVE state in
          the tail, its 16-octet header included.
      - id: body
        size: 'block_id == "xcnt" ? len_body - 4 : len_body'
        doc: |
          The data of the other blocks (vCPU 0's context for `vcpu`, nothing
          for `extv`); after an `xcnt` block's u32, nothing.
  checkpoint:
    doc: One body and its tail.
    doc-ref: spec/legacy.md#body
    params:
      - id: is_compressed
        type: bool
        doc: True when page batches carry no page data (a compressed Remus body).
    seq:
      - id: body
        type: 'chunk(is_compressed, _index == 0 ? false : body[_index - 1].enables_compression)'
        repeat: until
        repeat-until: _.chunk_type == 0
        doc: The chunks, up to and including the one of type 0.
      - id: pv_tail
        type: pv_tail
        if: not _root.is_hvm
        doc: The PV tail.
      - id: hvm_tail
        type: hvm_tail
        if: _root.is_hvm
        doc: The HVM tail.
    instances:
      compresses_next:
        value: is_compressed or body.last.enables_compression
        doc: True when the bodies after this one are compressed.
  chunk:
    doc: One chunk of the body.
    doc-ref: spec/legacy.md#body
    params:
      - id: is_compressed
        type: bool
        doc: True when a page batch carries no page data.
      - id: enabled_before
        type: bool
        doc: True when an earlier chunk of the same body was ENABLE_COMPRESSION.
    seq:
      - id: chunk_type
        type: s4
        valid:
          min: -20
          max: 1024
        doc: A page count (1 to 1024), 0 for the end of the body, or a chunk type.
      - id: payload
        type:
          switch-on: chunk_type
          cases:
            -2: vcpu_info
            -3: hvm_param
            -4: hvm_param
            -7: tsc_info
            -8: hvm_param
            -10: hvm_param
            -11: hvm_param
            -12: compressed_data
            -14: hvm_param
            -15: hvm_param
            -16: hvm_param
            -17: hvm_param
            -18: toolstack
            -19: hvm_param
            -20: hvm_param
        if: chunk_type < 0
        doc: The payload of a negative chunk; none for -1, -9 and -13 (tmem, -5 and -6, is not described).
      - id: batch
        type: page_batch(chunk_type, is_compressed)
        if: chunk_type > 0
        doc: A page batch.
    instances:
      enables_compression:
        value: enabled_before or chunk_type == -13
        doc: True when this chunk or an earlier one of its body is ENABLE_COMPRESSION.
  page_batch:
    doc: Pfn words, then one page for each word whose type carries data.
    doc-ref: spec/legacy.md#page-batches
    params:
      - id: num_pfn_words
        type: s4
        doc: Words in the batch.
      - id: is_compressed
        type: bool
        doc: True when the pages come later, compressed.
    seq:
      - id: pfn_words
        type: word
        repeat: expr
        repeat-expr: num_pfn_words
        doc: Page type in bits 28-31, pfn in bits 0-27.
      - id: pages
        type: page_slot(_index)
        repeat: expr
        repeat-expr: pfn_words.size
        doc: |
          One slot per pfn word, in order: 4096 octets of page contents for a
          word whose type carries data, nothing for the others.
    types:
      page_slot:
        doc: The page data (if any) belonging to one pfn word.
        doc-ref: spec/legacy.md#page-batches
        params:
          - id: i
            type: s4
            doc: Index of the pfn word.
        seq:
          - id: contents
            size: 'has_data and not _parent.is_compressed ? 4096 : 0'
            doc: The page contents, or nothing.
        instances:
          has_data:
            value: (_parent.pfn_words[i].value >> 28 & 15) < 13
            doc: True unless the type is 13 (broken), 14 (allocate only) or 15 (invalid).
  vcpu_info:
    doc: VCPU_INFO (-2), the online-vCPU map.
    doc-ref: spec/legacy.md#body
    seq:
      - id: max_vcpu_id
        type: s4
        doc: The highest vCPU id.
      - id: vcpu_map
        type: u8
        repeat: expr
        repeat-expr: max_vcpu_id / 64 + 1
        doc: Bit v of word v / 64 is set when vCPU v is online.
  hvm_param:
    doc: A chunk that carries one HVM parameter.
    doc-ref: spec/legacy.md#body
    seq:
      - id: padding
        type: u4
        valid: 0
        doc: Zero.
      - id: value
        type: u8
        doc: The parameter's value.
  tsc_info:
    doc: TSC_INFO (-7).
    doc-ref: spec/legacy.md#body
    seq:
      - id: mode
        type: u4
        doc: The TSC mode (0 to 3).
      - id: nsec
        type: u8
        doc: Elapsed nanoseconds.
      - id: khz
        type: u4
        doc: TSC frequency in kHz.
      - id: incarnation
        type: u4
        doc: Times the TSC has been migrated.
  compressed_data:
    doc: COMPRESSED_DATA (-12), compressed pages of a Remus body.
    doc-ref: spec/legacy.md#remus-compression
    seq:
      - id: len_data
        type: word
        doc: Octets of compressed data.
      - id: data
        size: len_data.value
        type: compressed_pages
        doc: Whole compressed pages, for the next data-bearing pfns announced.
  compressed_pages:
    doc: The compressed pages of one COMPRESSED_DATA chunk.
    doc-ref: spec/legacy.md#remus-compression
    seq:
      - id: items
        type: compressed_page
        repeat: eos
        doc: The pages in order.
  compressed_page:
    doc: |
      One page, encoded against the receiver's copy of it: runs that cover
      exactly 4096 octets, or the single octet of an empty (unchanged) or
      full page.
    doc-ref: spec/legacy.md#remus-compression
    seq:
      - id: runs
        type: 'compressed_run((_index == 0 ? 0 : runs[_index - 1].page_end).as<u2>)'
        repeat: until
        repeat-until: _.page_end >= 4096
        doc: The runs, in page order.
  compressed_run:
    doc: One run of a compressed page.
    doc-ref: spec/legacy.md#remus-compression
    params:
      - id: page_start
        type: u2
        doc: Offset in the page where this run starts.
    seq:
      - id: head
        type: u1
        doc: |
          Bit 7: skip (1) or copy (0); bits 0-6: the run's length in 4-octet
          words (1 to 127). As a page's only octet, 0x00 marks an unchanged
          page and 0x80 a full page.
      - id: data
        size: 'is_copy ? len_run : 0'
        doc: The new contents of a copy run (of a full page, the whole page).
    instances:
      is_unchanged_page:
        value: page_start == 0 and head == 0
        doc: True for the one-octet mark of a page that did not change.
      is_full_page:
        value: page_start == 0 and head == 0x80
        doc: True for a full page (4096 octets follow).
      is_copy:
        value: is_full_page or ((head & 0x80) == 0 and not is_unchanged_page)
        doc: True when new data follows the head.
      len_run:
        value: 'is_full_page ? 4096 : (head & 0x7f) * 4'
        doc: Octets of the page the run covers.
      page_end:
        value: 'is_unchanged_page or is_full_page ? 4096 : page_start + len_run'
        doc: Offset in the page where this run ends.
  toolstack:
    doc: TOOLSTACK (-18), data for the toolstack.
    doc-ref: spec/legacy.md#body
    seq:
      - id: len_data
        type: u4
        doc: Octets of data.
      - id: data
        size: len_data
        doc: The data; libxl's is described by xen_legacy_libxl_toolstack.ksy.
  pv_tail:
    doc: The PV tail.
    doc-ref: spec/legacy.md#pv-tail
    seq:
      - id: num_unmapped
        type: u4
        doc: Pfns the guest gave back.
      - id: unmapped
        type: word
        repeat: expr
        repeat-expr: num_unmapped
        doc: Those pfns.
      - id: vcpus
        type: vcpu_state
        repeat: expr
        repeat-expr: _root.num_vcpus
        doc: The state of each online vCPU, in ascending id order.
      - id: shared_info
        size: 4096
        doc: The shared info page.
  vcpu_state:
    doc: One vCPU's state in the PV tail.
    doc-ref: spec/legacy.md#pv-tail
    seq:
      - id: context
        size: _root.vcpu_size
        doc: The vcpu_guest_context.
      - id: extended
        size: 128
        if: _root.has_extv
        doc: The extended context.
      - id: xsave
        size: _root.xsave_size
        if: _root.xsave_size != 0
        doc: u64 feature mask, u64 size, then the XSAVE area.
  hvm_tail:
    doc: The HVM tail.
    doc-ref: spec/legacy.md#hvm-tail
    seq:
      - id: ioreq_pfn
        type: u8
        doc: HVM parameter 5.
      - id: bufioreq_pfn
        type: u8
        doc: HVM parameter 6.
      - id: store_pfn
        type: u8
        doc: HVM parameter 1.
      - id: len_context
        type: u4
        doc: Octets of HVM context.
      - id: context
        size: len_context
        type: xen_hvm_context
        doc: The HVM context blob (xen_hvm_context.ksy).
      - id: device_model
        type: device_model
        doc: The device model's state.
  device_model:
    doc: The device-model record of the HVM tail.
    doc-ref: spec/legacy.md#hvm-tail
    seq:
      - id: signature
        size: 21
        type: str
        encoding: ASCII
        valid:
          any-of:
            - '"QemuDeviceModelRecord"'
            - '"DeviceModelRecord0002"'
            - '"RemusDeviceModelState"'
        doc: Says how the state is framed.
      - id: len_data
        type: u4
        if: signature != "QemuDeviceModelRecord"
        doc: Octets of state.
      - id: data
        size: 'signature == "QemuDeviceModelRecord" ? _io.size - _io.pos : len_data.as<u4>'
        doc: qemu's state; to the end of the input for QemuDeviceModelRecord.
