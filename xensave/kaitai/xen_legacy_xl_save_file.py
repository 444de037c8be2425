# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO
from xensave.kaitai import xen_legacy_libxc_image
from xensave.kaitai import xen_xl_save_file


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class XenLegacyXlSaveFile(KaitaiStruct):
    """An xl save file whose STREAMv2 flag is clear: the xl header and the domain
    configuration, then a legacy libxc image. The image's variant is not
    recorded, so it comes in as parameters.
    
    Specification: spec/legacy.md (the image) and spec/xl-file.md (the xl
    header, rules XLF-*).
    
    .. seealso::
       spec/legacy.md#overall-shape
    
    
    .. seealso::
       Source - https://xenbits.xen.org/gitweb/?p=xen.git;a=blob;f=tools/xl/xl_saverestore.c;hb=HEAD
    """
    def __init__(self, toolstack_width, is_hvm, num_vcpus, _io, _parent=None, _root=None):
        super(XenLegacyXlSaveFile, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self.toolstack_width = toolstack_width
        self.is_hvm = is_hvm
        self.num_vcpus = num_vcpus
        self._read()

    def _read(self):
        self.magic = self._io.read_bytes(32)
        if not self.magic == b"\x58\x65\x6E\x20\x73\x61\x76\x65\x64\x20\x64\x6F\x6D\x61\x69\x6E\x2C\x20\x78\x6C\x20\x66\x6F\x72\x6D\x61\x74\x0A\x20\x00\x20\x0D":
            raise kaitaistruct.ValidationNotEqualError(b"\x58\x65\x6E\x20\x73\x61\x76\x65\x64\x20\x64\x6F\x6D\x61\x69\x6E\x2C\x20\x78\x6C\x20\x66\x6F\x72\x6D\x61\x74\x0A\x20\x00\x20\x0D", self.magic, self._io, u"/seq/0")
        self.header = xen_xl_save_file.XenXlSaveFile.SaveFileHeader(True, self._io)
        if (not (self.header.has_stream_v2)):
            pass
            self.image = xen_legacy_libxc_image.XenLegacyLibxcImage(self.toolstack_width, self.is_hvm, self.num_vcpus, self._io)



    def _fetch_instances(self):
        pass
        self.header._fetch_instances()
        if (not (self.header.has_stream_v2)):
            pass
            self.image._fetch_instances()



