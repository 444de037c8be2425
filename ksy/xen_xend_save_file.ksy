meta:
  id: xen_xend_save_file
  title: Xen xend save file (xm save, Xen 4.4 and older)
  application:
    - xm save / xm restore (xend, Xen 3.0 to 4.4)
    - xensave convert
  file-extension: xm
  license: MIT
  ks-version: '0.11'
  imports:
    - xen_legacy_libxc_image
  endian: be
doc: |
  What xend's `xm save` wrote: a 16-octet signature, the length of the
  domain configuration as a big-endian signed 32-bit integer, the
  configuration as an S-expression (text, no terminator), then the legacy
  libxc image exactly as xc_save wrote it. For an HVM guest that image ends
  with the device-model record, which xend writes with the signature
  QemuDeviceModelRecord and qemu's state running to the end of the file.

  The legacy image does not say its variant; as for a bare legacy image,
  the toolstack width, guest type and PV vCPU count come in as parameters.
  The configuration's `(image (hvm ...))` or `(image (linux ...))` child
  names the guest type, as xend itself decided it.

  Specification: spec/xend.md (rules XEND-*) and spec/legacy.md (the image).
doc-ref:
  - spec/xend.md#layout
  - https://xenbits.xen.org/gitweb/?p=xen.git;a=blob;f=tools/python/xen/xend/XendCheckpoint.py;hb=RELEASE-4.4.0
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
  - id: signature
    -orig-id: SIGNATURE
    contents: LinuxGuestRecord
    doc: The xend signature (XEND-HDR-001).
  - id: len_config
    type: s4
    valid:
      min: 1
    doc: |
      Octets of configuration text that follow (XEND-CFG-001); big-endian
      whatever the host, as Python's struct "!i" packs it.
  - id: config
    size: len_config
    type: str
    encoding: ASCII
    doc: |
      The domain configuration, an S-expression `(domain ...)` in xend's
      syntax (XEND-CFG-002 to XEND-CFG-004).
  - id: image
    type: xen_legacy_libxc_image(toolstack_width, is_hvm, num_vcpus)
    doc: The legacy libxc image, to the end of the file.
