meta:
  id: xen_legacy_libxl_toolstack
  title: libxl legacy toolstack record (qemu physmap)
  application:
    - libxl (Xen 4.2 to 4.5)
  file-extension: physmap
  license: MIT
  ks-version: '0.11'
  endian: le
doc: |
  The data libxl stored in the TOOLSTACK chunk of a legacy HVM image: qemu's
  physmap. A 64-bit toolstack leaves four stray octets after each name's NUL
  (the C structure's tail padding); a 32-bit one does not.

  Specification: spec/legacy.md, section "libxl's toolstack record".
doc-ref:
  - spec/legacy.md#libxls-toolstack-record
  - https://xenbits.xen.org/gitweb/?p=xen.git;a=blob;f=tools/python/xen/migration/legacy.py;hb=HEAD
params:
  - id: is_wide
    type: bool
    doc: True when a 64-bit toolstack wrote the record.
seq:
  - id: version
    type: u4
    valid: 1
    doc: Record version; only 1 is defined.
  - id: num_entries
    -orig-id: count
    type: u4
    doc: Physmap entries.
  - id: entries
    type: entry
    repeat: expr
    repeat-expr: num_entries
    doc: The entries.
types:
  entry:
    -orig-id: libxl__physmap_info
    doc: One physmap entry.
    doc-ref: spec/legacy.md#libxls-toolstack-record
    seq:
      - id: phys_offset
        type: u8
        doc: Guest physical address the mapping is known by.
      - id: start_addr
        type: u8
        doc: Where the region starts.
      - id: size
        type: u8
        doc: Octets in the region.
      - id: len_name
        -orig-id: namelen
        type: u4
        doc: Octets of the name, its NUL included.
      - id: name
        size: len_name
        type: strz
        encoding: ASCII
        doc: The region's name.
      - id: stray
        size: 4
        if: _root.is_wide
        doc: Four octets of structure padding a 64-bit toolstack left after the name.
