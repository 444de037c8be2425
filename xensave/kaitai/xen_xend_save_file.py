# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO
from xensave.kaitai import xen_legacy_libxc_image


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class XenXendSaveFile(KaitaiStruct):
    """What xend's `xm save` wrote: a 16-octet signature, the length of the
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
    
    .. seealso::
       spec/xend.md#layout
    
    
    .. seealso::
       Source - https://xenbits.xen.org/gitweb/?p=xen.git;a=blob;f=tools/python/xen/xend/XendCheckpoint.py;hb=RELEASE-4.4.0
    """
    def __init__(self, toolstack_width, is_hvm, num_vcpus, _io, _parent=None, _root=None):
        super(XenXendSaveFile, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self.toolstack_width = toolstack_width
        self.is_hvm = is_hvm
        self.num_vcpus = num_vcpus
        self._read()

    def _read(self):
        self.signature = self._io.read_bytes(16)
        if not self.signature == b"\x4C\x69\x6E\x75\x78\x47\x75\x65\x73\x74\x52\x65\x63\x6F\x72\x64":
            raise kaitaistruct.ValidationNotEqualError(b"\x4C\x69\x6E\x75\x78\x47\x75\x65\x73\x74\x52\x65\x63\x6F\x72\x64", self.signature, self._io, u"/seq/0")
        self.len_config = self._io.read_s4be()
        if not self.len_config >= 1:
            raise kaitaistruct.ValidationLessThanError(1, self.len_config, self._io, u"/seq/1")
        self.config = (self._io.read_bytes(self.len_config)).decode(u"ASCII")
        self.image = xen_legacy_libxc_image.XenLegacyLibxcImage(self.toolstack_width, self.is_hvm, self.num_vcpus, self._io)


    def _fetch_instances(self):
        pass
        self.image._fetch_instances()


