# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class XenLegacyLibxlToolstack(KaitaiStruct):
    """The data libxl stored in the TOOLSTACK chunk of a legacy HVM image: qemu's
    physmap. A 64-bit toolstack leaves four stray octets after each name's NUL
    (the C structure's tail padding); a 32-bit one does not.
    
    Specification: spec/legacy.md, section "libxl's toolstack record".
    
    .. seealso::
       spec/legacy.md#libxls-toolstack-record
    
    
    .. seealso::
       Source - https://xenbits.xen.org/gitweb/?p=xen.git;a=blob;f=tools/python/xen/migration/legacy.py;hb=HEAD
    """
    def __init__(self, is_wide, _io, _parent=None, _root=None):
        super(XenLegacyLibxlToolstack, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self.is_wide = is_wide
        self._read()

    def _read(self):
        self.version = self._io.read_u4le()
        if not self.version == 1:
            raise kaitaistruct.ValidationNotEqualError(1, self.version, self._io, u"/seq/0")
        self.num_entries = self._io.read_u4le()
        self.entries = []
        for i in range(self.num_entries):
            self.entries.append(XenLegacyLibxlToolstack.Entry(self._io, self, self._root))



    def _fetch_instances(self):
        pass
        for i in range(len(self.entries)):
            pass
            self.entries[i]._fetch_instances()


    class Entry(KaitaiStruct):
        """One physmap entry.
        
        .. seealso::
           spec/legacy.md#libxls-toolstack-record
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenLegacyLibxlToolstack.Entry, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.phys_offset = self._io.read_u8le()
            self.start_addr = self._io.read_u8le()
            self.size = self._io.read_u8le()
            self.len_name = self._io.read_u4le()
            self.name = (KaitaiStream.bytes_terminate(self._io.read_bytes(self.len_name), 0, False)).decode(u"ASCII")
            if self._root.is_wide:
                pass
                self.stray = self._io.read_bytes(4)



        def _fetch_instances(self):
            pass
            if self._root.is_wide:
                pass




