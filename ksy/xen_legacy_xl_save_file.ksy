meta:
  id: xen_legacy_xl_save_file
  title: Xen xl save file with a legacy stream
  application:
    - xl save / xl restore (Xen 4.1 to 4.5)
  file-extension: xl
  license: MIT
  ks-version: '0.11'
  imports:
    - xen_xl_save_file
    - xen_legacy_libxc_image
  endian: le
doc: |
  An xl save file whose STREAMv2 flag is clear: the xl header and the domain
  configuration, then a legacy libxc image. The image's variant is not
  recorded, so it comes in as parameters.

  Specification: spec/legacy.md (the image) and spec/xl-file.md (the xl
  header, rules XLF-*).
doc-ref:
  - spec/legacy.md#overall-shape
  - https://xenbits.xen.org/gitweb/?p=xen.git;a=blob;f=tools/xl/xl_saverestore.c;hb=HEAD
params:
  - id: toolstack_width
    type: u1
    doc: 32 or 64, the bit width of the saving toolstack's words.
  - id: is_hvm
    type: bool
    doc: True for an HVM guest.
  - id: num_vcpus
    type: u2
    doc: Online vCPUs of a PV guest (see xen_legacy_libxc_image).
seq:
  - id: magic
    contents: ["Xen saved domain, xl format", 0x0a, " ", 0x00, " ", 0x0d]
    doc: The xl magic, as in a v2 xl save file.
  - id: header
    type: xen_xl_save_file::save_file_header(true)
    doc: The header words (little-endian) and the optional data.
  - id: image
    type: xen_legacy_libxc_image(toolstack_width, is_hvm, num_vcpus)
    if: not header.has_stream_v2
    doc: The legacy image.
