# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO
from xensave.kaitai import xen_libxl_stream


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class XenXlSaveFile(KaitaiStruct):
    """The file `xl save` writes and `xl restore` reads; `xl migrate` sends the
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
    
    .. seealso::
       spec/xl-file.md#layout
    
    
    .. seealso::
       Source - https://xenbits.xen.org/gitweb/?p=xen.git;a=blob;f=tools/xl/xl.h;hb=HEAD
    """
    def __init__(self, _io, _parent=None, _root=None):
        super(XenXlSaveFile, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._read()

    def _read(self):
        self.magic = self._io.read_bytes(32)
        if not self.magic == b"\x58\x65\x6E\x20\x73\x61\x76\x65\x64\x20\x64\x6F\x6D\x61\x69\x6E\x2C\x20\x78\x6C\x20\x66\x6F\x72\x6D\x61\x74\x0A\x20\x00\x20\x0D":
            raise kaitaistruct.ValidationNotEqualError(b"\x58\x65\x6E\x20\x73\x61\x76\x65\x64\x20\x64\x6F\x6D\x61\x69\x6E\x2C\x20\x78\x6C\x20\x66\x6F\x72\x6D\x61\x74\x0A\x20\x00\x20\x0D", self.magic, self._io, u"/seq/0")
        self.header = XenXlSaveFile.SaveFileHeader(self.byteorder_probe == 16909060, self._io, self, self._root)
        if self.header.has_stream_v2:
            pass
            self.stream = xen_libxl_stream.XenLibxlStream(self._io)

        if (not (self.header.has_stream_v2)):
            pass
            self.legacy_stream = self._io.read_bytes_full()



    def _fetch_instances(self):
        pass
        self.header._fetch_instances()
        if self.header.has_stream_v2:
            pass
            self.stream._fetch_instances()

        if (not (self.header.has_stream_v2)):
            pass

        _ = self.byteorder_probe
        if hasattr(self, '_m_byteorder_probe'):
            pass


    class SaveFileHeader(KaitaiStruct):
        """What xl calls the save file header (struct save_file_header), less
        its magic, and the optional data it announces. All four words are in
        the saving host's byte order. (The type is named after Xen's
        structure rather than `header`, the field that holds it: a type
        named like a field of the same type clashes in C#.)
        
        .. seealso::
           spec/xl-file.md#header
        """
        def __init__(self, is_le, _io, _parent=None, _root=None):
            super(XenXlSaveFile.SaveFileHeader, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self.is_le = is_le
            self._read()

        def _read(self):
            _on = self.is_le
            if _on == True:
                pass
                self._is_le = True
            elif _on == False:
                pass
                self._is_le = False
            if not hasattr(self, '_is_le'):
                raise kaitaistruct.UndecidedEndiannessError("/types/save_file_header")
            elif self._is_le == True:
                self._read_le()
            elif self._is_le == False:
                self._read_be()

        def _read_le(self):
            self.byteorder = self._io.read_u4le()
            if not self.byteorder == 16909060:
                raise kaitaistruct.ValidationNotEqualError(16909060, self.byteorder, self._io, u"/types/save_file_header/seq/0")
            self.mandatory_flags = self._io.read_u4le()
            if not self.mandatory_flags <= 3:
                raise kaitaistruct.ValidationGreaterThanError(3, self.mandatory_flags, self._io, u"/types/save_file_header/seq/1")
            self.optional_flags = self._io.read_u4le()
            if not self.optional_flags == 0:
                raise kaitaistruct.ValidationNotEqualError(0, self.optional_flags, self._io, u"/types/save_file_header/seq/2")
            self.len_optional_data = self._io.read_u4le()
            self._raw_optional_data = self._io.read_bytes(self.len_optional_data)
            _io__raw_optional_data = KaitaiStream(BytesIO(self._raw_optional_data))
            self.optional_data = XenXlSaveFile.SaveFileHeader.OptionalDataBlock(_io__raw_optional_data, self, self._root, self._is_le)

        def _read_be(self):
            self.byteorder = self._io.read_u4be()
            if not self.byteorder == 16909060:
                raise kaitaistruct.ValidationNotEqualError(16909060, self.byteorder, self._io, u"/types/save_file_header/seq/0")
            self.mandatory_flags = self._io.read_u4be()
            if not self.mandatory_flags <= 3:
                raise kaitaistruct.ValidationGreaterThanError(3, self.mandatory_flags, self._io, u"/types/save_file_header/seq/1")
            self.optional_flags = self._io.read_u4be()
            if not self.optional_flags == 0:
                raise kaitaistruct.ValidationNotEqualError(0, self.optional_flags, self._io, u"/types/save_file_header/seq/2")
            self.len_optional_data = self._io.read_u4be()
            self._raw_optional_data = self._io.read_bytes(self.len_optional_data)
            _io__raw_optional_data = KaitaiStream(BytesIO(self._raw_optional_data))
            self.optional_data = XenXlSaveFile.SaveFileHeader.OptionalDataBlock(_io__raw_optional_data, self, self._root, self._is_le)


        def _fetch_instances(self):
            pass
            self.optional_data._fetch_instances()

        class OptionalDataBlock(KaitaiStruct):
            """The optional data. When not empty it opens with the domain
            configuration, length first; whatever follows the configuration
            is for future use and may be skipped. (Held by the field
            `optional_data`; a type may not share its name in C#.)
            
            .. seealso::
               spec/xl-file.md#optional-data
            """
            def __init__(self, _io, _parent=None, _root=None, _is_le=None):
                super(XenXlSaveFile.SaveFileHeader.OptionalDataBlock, self).__init__(_io)
                self._parent = _parent
                self._root = _root
                self._is_le = _is_le
                self._read()

            def _read(self):
                if not hasattr(self, '_is_le'):
                    raise kaitaistruct.UndecidedEndiannessError("/types/save_file_header/types/optional_data_block")
                elif self._is_le == True:
                    self._read_le()
                elif self._is_le == False:
                    self._read_be()

            def _read_le(self):
                if self._io.size() != 0:
                    pass
                    self.len_config = self._io.read_u4le()

                if self._io.size() != 0:
                    pass
                    self.config = self._io.read_bytes(self.len_config)

                self.rest = self._io.read_bytes_full()

            def _read_be(self):
                if self._io.size() != 0:
                    pass
                    self.len_config = self._io.read_u4be()

                if self._io.size() != 0:
                    pass
                    self.config = self._io.read_bytes(self.len_config)

                self.rest = self._io.read_bytes_full()


            def _fetch_instances(self):
                pass
                if self._io.size() != 0:
                    pass

                if self._io.size() != 0:
                    pass



        @property
        def has_json_config(self):
            """True when the stored configuration is JSON (with a trailing NUL)."""
            if hasattr(self, '_m_has_json_config'):
                return self._m_has_json_config

            self._m_has_json_config = self.mandatory_flags & 1 != 0
            return getattr(self, '_m_has_json_config', None)

        @property
        def has_stream_v2(self):
            """True when a libxl stream follows; false when a legacy stream does."""
            if hasattr(self, '_m_has_stream_v2'):
                return self._m_has_stream_v2

            self._m_has_stream_v2 = self.mandatory_flags & 2 != 0
            return getattr(self, '_m_has_stream_v2', None)


    @property
    def byteorder_probe(self):
        """The first header word read as little-endian: 0x01020304 for a file
        saved on a little-endian host, 0x04030201 for a big-endian one.
        """
        if hasattr(self, '_m_byteorder_probe'):
            return self._m_byteorder_probe

        _pos = self._io.pos()
        self._io.seek(32)
        self._m_byteorder_probe = self._io.read_u4le()
        self._io.seek(_pos)
        return getattr(self, '_m_byteorder_probe', None)


