meta:
  id: xen_xl_save_file
  title: Xen xl save file
  application:
    - xl save / xl restore
    - xl migrate
  file-extension: xl
  license: MIT
  ks-version: '0.11'
  imports:
    - xen_libxl_stream
  endian: le
doc: |
  The file `xl save` writes and `xl restore` reads; `xl migrate` sends the
  same bytes over its connection. A fixed 32-octet text magic is followed
  by four 32-bit words in the byte order of the host that saved the
  domain (the first word, 0x01020304, shows which), then optional data
  holding the domain's configuration, then the domain's state.

  With the STREAMv2 mandatory flag set the state is a libxl stream (and
  inside it a libxc stream). Without it the state is a legacy (Xen 4.5
  and older) stream, which has no header to recognise it by; it is kept
  here as raw octets.

  Xen defines no file name extension for these files; `xl` is this
  project's convention.

  Specification: spec/xl-file.md (rules XLF-*); the doc-ref of each type
  names its section there.
doc-ref:
  - spec/xl-file.md#layout
  - https://xenbits.xen.org/gitweb/?p=xen.git;a=blob;f=tools/xl/xl.h;hb=HEAD
seq:
  - id: magic
    contents: ["Xen saved domain, xl format", 0x0a, " ", 0x00, " ", 0x0d]
    doc: |
      The 32 octets "Xen saved domain, xl format", a newline, a space, a
      NUL, a space and a carriage return.
  - id: header
    type: save_file_header(byteorder_probe == 0x01020304)
    doc: The four header words and the optional data, in the saving host's byte order.
  - id: stream
    type: xen_libxl_stream
    if: header.has_stream_v2
    doc: The domain's state as a libxl stream, when the STREAMv2 flag is set.
  - id: legacy_stream
    size-eos: true
    if: not header.has_stream_v2
    doc: |
      The domain's state in the legacy format, when the STREAMv2 flag is
      clear; kept as raw octets to the end of the file.
instances:
  byteorder_probe:
    pos: 32
    type: u4le
    doc: |
      The first header word read as little-endian: 0x01020304 for a file
      saved on a little-endian host, 0x04030201 for a big-endian one.
types:
  save_file_header:
    meta:
      endian:
        switch-on: is_le
        cases:
          'true': le
          'false': be
    doc: |
      What xl calls the save file header (struct save_file_header), less
      its magic, and the optional data it announces. All four words are in
      the saving host's byte order. (The type is named after Xen's
      structure rather than `header`, the field that holds it: a type
      named like a field of the same type clashes in C#.)
    doc-ref: spec/xl-file.md#header
    params:
      - id: is_le
        type: bool
        doc: True when the byte-order word reads as 0x01020304 in little-endian order.
    seq:
      - id: byteorder
        type: u4
        valid: 0x01020304
        doc: The value 0x01020304, stored in the saving host's byte order.
      - id: mandatory_flags
        type: u4
        valid:
          max: 3
        doc: |
          Features a reader must understand to restore the file. Bit 0:
          the stored configuration is JSON. Bit 1: the state is a libxl
          (migration v2) stream. Any other bit makes the file unreadable.
      - id: optional_flags
        type: u4
        valid: 0
        doc: |
          Features a reader may ignore. None is defined, and the header's
          definition asks readers to refuse bits they do not know, so this
          must be zero.
      - id: len_optional_data
        -orig-id: optional_data_len
        type: u4
        doc: Octets of optional data after these four words.
      - id: optional_data
        size: len_optional_data
        type: optional_data_block
        doc: The optional data, normally the domain configuration.
    instances:
      has_json_config:
        value: (mandatory_flags & 1) != 0
        doc: True when the stored configuration is JSON (with a trailing NUL).
      has_stream_v2:
        value: (mandatory_flags & 2) != 0
        doc: True when a libxl stream follows; false when a legacy stream does.
    types:
      optional_data_block:
        doc: |
          The optional data. When not empty it opens with the domain
          configuration, length first; whatever follows the configuration
          is for future use and may be skipped. (Held by the field
          `optional_data`; a type may not share its name in C#.)
        doc-ref: spec/xl-file.md#optional-data
        seq:
          - id: len_config
            type: u4
            if: _io.size != 0
            doc: Octets in the configuration.
          - id: config
            size: len_config.as<u4>
            if: _io.size != 0
            doc: |
              The domain configuration: JSON followed by a NUL when
              `has_json_config`, otherwise xl's own configuration syntax.
          - id: rest
            size-eos: true
            doc: Optional data after the configuration, which a reader may skip.
