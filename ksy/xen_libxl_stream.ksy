meta:
  id: xen_libxl_stream
  title: Xen libxl domain save stream (version 2)
  application:
    - Xen libxenlight (libxl) save and restore
    - xl save / xl migrate
  file-extension: libxl
  license: MIT
  ks-version: '0.11'
  imports:
    - xen_libxc_stream
  endian: be
doc: |
  The toolstack layer of a Xen domain save image, written by libxenlight
  (libxl). A 16-octet big-endian header is followed by records framed the
  same way as libxc records (32-bit type, 32-bit body length, body, zero
  padding to 8 octets), in the byte order bit 0 of the header's options
  names.

  The guest's own state is a libxc stream, and it is not inside any
  record: the LIBXC_CONTEXT record has an empty body and the libxc stream
  starts right after it, so this description attaches it to that record
  as `libxc_stream`. In a checkpointed (Remus/COLO) stream the libxc
  stream stops at each CHECKPOINT record; libxl records follow up to a
  CHECKPOINT_END, after which the libxc stream resumes with records only
  (attached to that CHECKPOINT_END as `libxc_resumed`). In COLO a
  CHECKPOINT_STATE record comes between the CHECKPOINT_END and the
  resumed libxc records (`colo_checkpoint_state`). Once the libxc stream
  has reached its END, libxl records go on until the libxl END. Xen's
  saver never ends a checkpointed stream that way: it stops right after
  a complete checkpoint, so the data may end after a CHECKPOINT_END (or
  the CHECKPOINT_STATE that follows it) that resumes nothing
  (XC-CKPT-003).

  Specification: spec/libxl-stream.md (rules XL-*); the doc-ref of each
  type names its section there.
doc-ref:
  - spec/libxl-stream.md#header
  - https://xenbits.xen.org/docs/unstable/specs/libxl-migration-stream.html
seq:
  - id: magic
    -orig-id: ident
    contents: LibxlFmt
    doc: The ASCII letters "LibxlFmt", which identify the stream.
  - id: version
    type: u4
    valid: 2
    doc: Revision of the libxl format the stream follows; only 2 exists.
  - id: options
    type: u4
    valid:
      max: 3
    doc: |
      Bit 0 gives the byte order of the records (0 little-endian,
      1 big-endian); bit 1 is set when the stream was made by converting a
      legacy image. Bits 2 to 31 are reserved and must be zero.
  - id: records
    type: >-
      record(is_big_endian,
      _index == 0 ? false : records[_index - 1].libxc_open_after,
      _index == 0 ? false : records[_index - 1].libxc_is_be_after,
      (_index == 0 ? 0 : records[_index - 1].libxc_page_shift_after).as<u2>,
      _index == 0 ? false : records[_index - 1].libxc_is_pv_after,
      _io.pos)
    repeat: until
    repeat-until: _.is_end or _.ends_at_checkpoint
    doc: |
      The records up to and including END, each carrying along what the
      records before it left open of the libxc stream. A checkpointed
      stream may instead stop at the end of the data after a complete
      checkpoint (see `ends_at_checkpoint`).
instances:
  is_big_endian:
    value: (options & 1) != 0
    doc: True when the records are big-endian.
  is_legacy_converted:
    value: (options & 2) != 0
    doc: True when the stream was produced from a legacy image by the conversion tool.
types:
  record:
    meta:
      endian:
        switch-on: is_be
        cases:
          'true': be
          'false': le
    doc: |
      One libxl record, and the libxc data that follows it inline when it
      is LIBXC_CONTEXT or a CHECKPOINT_END that resumes the libxc stream.
    doc-ref: spec/libxl-stream.md#records
    params:
      - id: is_be
        type: bool
        doc: Byte order of the libxl records.
      - id: libxc_open_before
        type: bool
        doc: |
          True when the libxc stream has stopped at a CHECKPOINT and waits
          to be resumed after the next CHECKPOINT_END.
      - id: libxc_is_be_before
        type: bool
        doc: Byte order of the libxc stream seen so far (meaningful once it has started).
      - id: libxc_page_shift_before
        type: u2
        doc: Page shift of the libxc stream seen so far (meaningful once it has started).
      - id: libxc_is_pv_before
        type: bool
        doc: |
          True when the libxc stream seen so far is of an x86 PV guest
          (meaningful once it has started); it decides what a type-5
          record after CHECKPOINT_END is.
      - id: ofs_record
        type: s8
        doc: |
          Where the record starts in the stream (the top level passes
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
            rec_type::emulator_xenstore_data: emulator_xenstore_data
            rec_type::emulator_context: emulator_context
            rec_type::checkpoint_state: checkpoint_state
        doc: |
          The record's contents, decoded for the emulator and checkpoint
          state records; raw octets for the empty signalling records and
          every unknown type.
      - id: padding
        type: u1
        valid: 0
        repeat: expr
        repeat-expr: (8 - len_body % 8) % 8
        doc: Zero octets that bring the record to a multiple of 8 octets.
      - id: libxc_stream
        type: xen_libxc_stream::embedded_stream
        if: rec_type == rec_type::libxc_context
        doc: |
          The libxc stream that follows a LIBXC_CONTEXT record: its headers
          and its records up to END or to the first CHECKPOINT.
      - id: colo_checkpoint_state
        type: >-
          record(is_be, false, libxc_is_be_before, libxc_page_shift_before,
          libxc_is_pv_before, _io.pos)
        if: has_colo_checkpoint_state
        doc: |
          The libxl CHECKPOINT_STATE record that COLO's primary sends after
          a CHECKPOINT_END, before the libxc records resume (see
          `has_colo_checkpoint_state`).
      - id: libxc_resumed
        type: >-
          xen_libxc_stream::stream_section(libxc_is_be_before, false,
          libxc_page_shift_before, true)
        if: resumes_libxc and reads_libxc_resumed
        doc: |
          The next section of a checkpointed libxc stream, which follows a
          CHECKPOINT_END when the libxc stream stopped at a CHECKPOINT:
          records only, up to the next CHECKPOINT or to END. Absent when
          the data ends there, after a complete checkpoint.
    instances:
      rec_type_raw:
        pos: ofs_record
        type: u4
        doc: |
          The type word read again, as a plain unsigned number. `rec_type`
          cannot give bit 31 in every target: an optional type is never in
          the enum, and C++ and C# then hold it as a negative number, Java
          not at all (null).
      is_optional:
        value: rec_type_raw >> 31 != 0
        doc: |
          True when bit 31 of the type is set, so a restorer may ignore the
          record. (A shift rather than a comparison with 0x7fffffff: the Rust
          target compares 32-bit values as signed.)
      is_end:
        value: rec_type == rec_type::end
        doc: True for the END record that closes the stream.
      resumes_libxc:
        value: rec_type == rec_type::checkpoint_end and libxc_open_before
        doc: |
          True for a CHECKPOINT_END that closes the libxl part of a
          checkpoint, after which the libxc stream resumes (or the data
          ends).
      ofs_next:
        value: ofs_record + 8 + len_body + (8 - len_body % 8) % 8
        doc: Where the octets after this record (padding included) start.
      next_rec_type_raw:
        pos: ofs_next
        type: u4
        doc: |
          The type word of the record after this one, peeked at (only
          read when `resumes_libxc` and eight octets follow).
      next_len_body:
        pos: ofs_next + 4
        type: u4
        doc: |
          The body length of the record after this one, peeked at (only
          read when `resumes_libxc` and eight octets follow).
      has_colo_checkpoint_state:
        value: >-
          resumes_libxc and _io.size - ofs_next >= 8
          and next_rec_type_raw == rec_type::checkpoint_state.to_i
        doc: |
          True when a libxl CHECKPOINT_STATE record follows this
          CHECKPOINT_END. Nothing in the stream names the layer of the next
          record, and libxc has a type 5 too (X86_PV_VCPU_EXTENDED): Xen
          picks the layer by its mode (COLO or Remus), never from the
          record. A type-5 record here is read as libxl's, whatever the
          guest and the body length (XL-NEST-003 places CHECKPOINT_STATE
          here; Xen's savers never resume a checkpoint's libxc records with
          X86_PV_VCPU_EXTENDED).
      ofs_libxc_resumed:
        value: >-
          has_colo_checkpoint_state
          ? ofs_next + 8 + next_len_body + (8 - next_len_body % 8) % 8
          : ofs_next
        doc: Where the resumed libxc records start, after any CHECKPOINT_STATE.
      reads_libxc_resumed:
        value: resumes_libxc and _io.size > ofs_libxc_resumed
        doc: |
          True when data follows the checkpoint, so the libxc stream
          resumes; false when the data ends there.
      ends_at_checkpoint:
        value: resumes_libxc and not reads_libxc_resumed
        doc: |
          True when the stream stops here, after a complete checkpoint,
          with no END (XC-CKPT-003): the last record is this
          CHECKPOINT_END, or the CHECKPOINT_STATE attached to it.
      libxc_open_after:
        value: >-
          rec_type == rec_type::libxc_context
          ? libxc_stream.section.ended_at_checkpoint
          : (reads_libxc_resumed
          ? libxc_resumed.ended_at_checkpoint
          : libxc_open_before)
        doc: Whether the libxc stream waits at a CHECKPOINT after this record.
      libxc_is_be_after:
        value: >-
          rec_type == rec_type::libxc_context
          ? libxc_stream.image_header.is_big_endian
          : libxc_is_be_before
        doc: Byte order of the libxc stream as known after this record.
      libxc_page_shift_after:
        value: >-
          rec_type == rec_type::libxc_context
          ? libxc_stream.section.page_shift
          : libxc_page_shift_before
        doc: Page shift of the libxc stream as known after this record.
      libxc_is_pv_after:
        value: >-
          rec_type == rec_type::libxc_context
          ? libxc_stream.section.domain_header.guest_type
          == xen_libxc_stream::domain_type::x86_pv
          : libxc_is_pv_before
        doc: Whether the libxc stream is of an x86 PV guest, as known after this record.
    types:
      emulator_xenstore_data:
        doc: |
          Xenstore entries for one device model, as key/value pairs of
          NUL-terminated strings packed one after another. Keys are
          relative to the device model's own xenstore directory.
        doc-ref: spec/libxl-stream.md#emulator_xenstore_data
        seq:
          - id: emulator_id
            -orig-id: id
            type: u4
            enum: emulator_id
            doc: Which device model the entries belong to.
          - id: index
            type: u4
            doc: Which instance of that device model, for a domain with more than one.
          - id: entries
            type: xenstore_entry
            repeat: eos
            doc: The key/value pairs, filling the rest of the body.
      xenstore_entry:
        doc: One xenstore key and its value.
        doc-ref: spec/libxl-stream.md#emulator_xenstore_data
        seq:
          - id: key
            terminator: 0
            doc: The key, without its terminating NUL.
          - id: value
            terminator: 0
            doc: The value, without its terminating NUL.
      emulator_context:
        doc: The saved state of one device model, opaque to libxl.
        doc-ref: spec/libxl-stream.md#emulator_context
        seq:
          - id: emulator_id
            -orig-id: id
            type: u4
            enum: emulator_id
            doc: Which device model the state belongs to.
          - id: index
            type: u4
            doc: Which instance of that device model, for a domain with more than one.
          - id: context
            -orig-id: emulator_ctx
            size-eos: true
            doc: The device model's state, in a form only it understands.
      checkpoint_state:
        doc: |
          A COLO control message. Xen writes a body of four octets (the
          record padding then fills the rest of the 8); a body of eight
          octets carries four reserved zero octets after the control id.
        doc-ref: spec/libxl-stream.md#checkpoint_state
        seq:
          - id: control_id
            -orig-id: id
            type: u4
            enum: checkpoint_control
            valid:
              in-enum: true
            doc: Which step of the COLO protocol this message reports.
          - id: reserved
            type: u1
            valid: 0
            repeat: eos
            doc: Reserved octets after the control id, if any; must be zero.
enums:
  rec_type:
    0x00:
      id: end
      -orig-id: REC_TYPE_END
      doc: Closes the stream; empty body.
    0x01:
      id: libxc_context
      -orig-id: REC_TYPE_LIBXC_CONTEXT
      doc: Empty body; the libxc stream follows right after this record.
    0x02:
      id: emulator_xenstore_data
      -orig-id: REC_TYPE_EMULATOR_XENSTORE_DATA
      doc: Xenstore entries of a device model.
    0x03:
      id: emulator_context
      -orig-id: REC_TYPE_EMULATOR_CONTEXT
      doc: Saved state of a device model.
    0x04:
      id: checkpoint_end
      -orig-id: REC_TYPE_CHECKPOINT_END
      doc: Ends the libxl part of a checkpoint; empty body.
    0x05:
      id: checkpoint_state
      -orig-id: REC_TYPE_CHECKPOINT_STATE
      doc: A COLO control message.
  emulator_id:
    0:
      id: unknown
      -orig-id: EMULATOR_UNKNOWN
      doc: Not known; written when converting a legacy stream.
    1:
      id: qemu_traditional
      -orig-id: EMULATOR_QEMU_TRADITIONAL
      doc: The old qemu-xen-traditional device model.
    2:
      id: qemu_upstream
      -orig-id: EMULATOR_QEMU_UPSTREAM
      doc: Upstream QEMU as the device model.
  checkpoint_control:
    0:
      id: new
      -orig-id: CHECKPOINT_NEW
      doc: Primary to secondary; the secondary is out of date and a new checkpoint starts.
    1:
      id: svm_suspended
      -orig-id: CHECKPOINT_SVM_SUSPENDED
      doc: Secondary to primary; the secondary VM has been suspended.
    2:
      id: svm_ready
      -orig-id: CHECKPOINT_SVM_READY
      doc: Secondary to primary; the secondary VM is ready to run.
    3:
      id: svm_resumed
      -orig-id: CHECKPOINT_SVM_RESUMED
      doc: Secondary to primary; the secondary VM is running again.
