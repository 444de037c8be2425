# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO
from xensave.kaitai import xen_libxc_stream
from enum import IntEnum


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class XenLibxlStream(KaitaiStruct):
    """The toolstack layer of a Xen domain save image, written by libxenlight
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
    
    .. seealso::
       spec/libxl-stream.md#header
    
    
    .. seealso::
       Source - https://xenbits.xen.org/docs/unstable/specs/libxl-migration-stream.html
    """

    class CheckpointControl(IntEnum):
        new = 0
        svm_suspended = 1
        svm_ready = 2
        svm_resumed = 3

    class EmulatorId(IntEnum):
        unknown = 0
        qemu_traditional = 1
        qemu_upstream = 2

    class RecType(IntEnum):
        end = 0
        libxc_context = 1
        emulator_xenstore_data = 2
        emulator_context = 3
        checkpoint_end = 4
        checkpoint_state = 5
    def __init__(self, _io, _parent=None, _root=None):
        super(XenLibxlStream, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._read()

    def _read(self):
        self.magic = self._io.read_bytes(8)
        if not self.magic == b"\x4C\x69\x62\x78\x6C\x46\x6D\x74":
            raise kaitaistruct.ValidationNotEqualError(b"\x4C\x69\x62\x78\x6C\x46\x6D\x74", self.magic, self._io, u"/seq/0")
        self.version = self._io.read_u4be()
        if not self.version == 2:
            raise kaitaistruct.ValidationNotEqualError(2, self.version, self._io, u"/seq/1")
        self.options = self._io.read_u4be()
        if not self.options <= 3:
            raise kaitaistruct.ValidationGreaterThanError(3, self.options, self._io, u"/seq/2")
        self.records = []
        i = 0
        while True:
            _ = XenLibxlStream.Record(self.is_big_endian, (False if i == 0 else self.records[i - 1].libxc_open_after), (False if i == 0 else self.records[i - 1].libxc_is_be_after), (0 if i == 0 else self.records[i - 1].libxc_page_shift_after), (False if i == 0 else self.records[i - 1].libxc_is_pv_after), self._io.pos(), self._io, self, self._root)
            self.records.append(_)
            if  ((_.is_end) or (_.ends_at_checkpoint)) :
                break
            i += 1


    def _fetch_instances(self):
        pass
        for i in range(len(self.records)):
            pass
            self.records[i]._fetch_instances()


    class Record(KaitaiStruct):
        """One libxl record, and the libxc data that follows it inline when it
        is LIBXC_CONTEXT or a CHECKPOINT_END that resumes the libxc stream.
        
        .. seealso::
           spec/libxl-stream.md#records
        """
        def __init__(self, is_be, libxc_open_before, libxc_is_be_before, libxc_page_shift_before, libxc_is_pv_before, ofs_record, _io, _parent=None, _root=None):
            super(XenLibxlStream.Record, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self.is_be = is_be
            self.libxc_open_before = libxc_open_before
            self.libxc_is_be_before = libxc_is_be_before
            self.libxc_page_shift_before = libxc_page_shift_before
            self.libxc_is_pv_before = libxc_is_pv_before
            self.ofs_record = ofs_record
            self._read()

        def _read(self):
            _on = self.is_be
            if _on == True:
                pass
                self._is_le = False
            elif _on == False:
                pass
                self._is_le = True
            if not hasattr(self, '_is_le'):
                raise kaitaistruct.UndecidedEndiannessError("/types/record")
            elif self._is_le == True:
                self._read_le()
            elif self._is_le == False:
                self._read_be()

        def _read_le(self):
            self.rec_type = KaitaiStream.resolve_enum(XenLibxlStream.RecType, self._io.read_u4le())
            self.len_body = self._io.read_u4le()
            _on = self.rec_type
            if _on == XenLibxlStream.RecType.checkpoint_state:
                pass
                self._raw_body = self._io.read_bytes(self.len_body)
                _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                self.body = XenLibxlStream.Record.CheckpointState(_io__raw_body, self, self._root, self._is_le)
            elif _on == XenLibxlStream.RecType.emulator_context:
                pass
                self._raw_body = self._io.read_bytes(self.len_body)
                _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                self.body = XenLibxlStream.Record.EmulatorContext(_io__raw_body, self, self._root, self._is_le)
            elif _on == XenLibxlStream.RecType.emulator_xenstore_data:
                pass
                self._raw_body = self._io.read_bytes(self.len_body)
                _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                self.body = XenLibxlStream.Record.EmulatorXenstoreData(_io__raw_body, self, self._root, self._is_le)
            else:
                pass
                self.body = self._io.read_bytes(self.len_body)
            self.padding = []
            for i in range((8 - self.len_body % 8) % 8):
                self.padding.append(self._io.read_u1())
                if not self.padding[i] == 0:
                    raise kaitaistruct.ValidationNotEqualError(0, self.padding[i], self._io, u"/types/record/seq/3")

            if self.rec_type == XenLibxlStream.RecType.libxc_context:
                pass
                self.libxc_stream = xen_libxc_stream.XenLibxcStream.EmbeddedStream(self._io)

            if self.has_colo_checkpoint_state:
                pass
                self.colo_checkpoint_state = XenLibxlStream.Record(self.is_be, False, self.libxc_is_be_before, self.libxc_page_shift_before, self.libxc_is_pv_before, self._io.pos(), self._io, self, self._root)

            if  ((self.resumes_libxc) and (self.reads_libxc_resumed)) :
                pass
                self.libxc_resumed = xen_libxc_stream.XenLibxcStream.StreamSection(self.libxc_is_be_before, False, self.libxc_page_shift_before, True, self._io)


        def _read_be(self):
            self.rec_type = KaitaiStream.resolve_enum(XenLibxlStream.RecType, self._io.read_u4be())
            self.len_body = self._io.read_u4be()
            _on = self.rec_type
            if _on == XenLibxlStream.RecType.checkpoint_state:
                pass
                self._raw_body = self._io.read_bytes(self.len_body)
                _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                self.body = XenLibxlStream.Record.CheckpointState(_io__raw_body, self, self._root, self._is_le)
            elif _on == XenLibxlStream.RecType.emulator_context:
                pass
                self._raw_body = self._io.read_bytes(self.len_body)
                _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                self.body = XenLibxlStream.Record.EmulatorContext(_io__raw_body, self, self._root, self._is_le)
            elif _on == XenLibxlStream.RecType.emulator_xenstore_data:
                pass
                self._raw_body = self._io.read_bytes(self.len_body)
                _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                self.body = XenLibxlStream.Record.EmulatorXenstoreData(_io__raw_body, self, self._root, self._is_le)
            else:
                pass
                self.body = self._io.read_bytes(self.len_body)
            self.padding = []
            for i in range((8 - self.len_body % 8) % 8):
                self.padding.append(self._io.read_u1())
                if not self.padding[i] == 0:
                    raise kaitaistruct.ValidationNotEqualError(0, self.padding[i], self._io, u"/types/record/seq/3")

            if self.rec_type == XenLibxlStream.RecType.libxc_context:
                pass
                self.libxc_stream = xen_libxc_stream.XenLibxcStream.EmbeddedStream(self._io)

            if self.has_colo_checkpoint_state:
                pass
                self.colo_checkpoint_state = XenLibxlStream.Record(self.is_be, False, self.libxc_is_be_before, self.libxc_page_shift_before, self.libxc_is_pv_before, self._io.pos(), self._io, self, self._root)

            if  ((self.resumes_libxc) and (self.reads_libxc_resumed)) :
                pass
                self.libxc_resumed = xen_libxc_stream.XenLibxcStream.StreamSection(self.libxc_is_be_before, False, self.libxc_page_shift_before, True, self._io)



        def _fetch_instances(self):
            pass
            _on = self.rec_type
            if _on == XenLibxlStream.RecType.checkpoint_state:
                pass
                self.body._fetch_instances()
            elif _on == XenLibxlStream.RecType.emulator_context:
                pass
                self.body._fetch_instances()
            elif _on == XenLibxlStream.RecType.emulator_xenstore_data:
                pass
                self.body._fetch_instances()
            else:
                pass
            for i in range(len(self.padding)):
                pass

            if self.rec_type == XenLibxlStream.RecType.libxc_context:
                pass
                self.libxc_stream._fetch_instances()

            if self.has_colo_checkpoint_state:
                pass
                self.colo_checkpoint_state._fetch_instances()

            if  ((self.resumes_libxc) and (self.reads_libxc_resumed)) :
                pass
                self.libxc_resumed._fetch_instances()

            _ = self.next_len_body
            if hasattr(self, '_m_next_len_body'):
                pass

            _ = self.next_rec_type_raw
            if hasattr(self, '_m_next_rec_type_raw'):
                pass

            _ = self.rec_type_raw
            if hasattr(self, '_m_rec_type_raw'):
                pass


        class CheckpointState(KaitaiStruct):
            """A COLO control message. Xen writes a body of four octets (the
            record padding then fills the rest of the 8); a body of eight
            octets carries four reserved zero octets after the control id.
            
            .. seealso::
               spec/libxl-stream.md#checkpoint_state
            """
            def __init__(self, _io, _parent=None, _root=None, _is_le=None):
                super(XenLibxlStream.Record.CheckpointState, self).__init__(_io)
                self._parent = _parent
                self._root = _root
                self._is_le = _is_le
                self._read()

            def _read(self):
                if not hasattr(self, '_is_le'):
                    raise kaitaistruct.UndecidedEndiannessError("/types/record/types/checkpoint_state")
                elif self._is_le == True:
                    self._read_le()
                elif self._is_le == False:
                    self._read_be()

            def _read_le(self):
                self.control_id = KaitaiStream.resolve_enum(XenLibxlStream.CheckpointControl, self._io.read_u4le())
                if not isinstance(self.control_id, XenLibxlStream.CheckpointControl):
                    raise kaitaistruct.ValidationNotInEnumError(self.control_id, self._io, u"/types/record/types/checkpoint_state/seq/0")
                self.reserved = []
                i = 0
                while not self._io.is_eof():
                    self.reserved.append(self._io.read_u1())
                    if not self.reserved[i] == 0:
                        raise kaitaistruct.ValidationNotEqualError(0, self.reserved[i], self._io, u"/types/record/types/checkpoint_state/seq/1")
                    i += 1


            def _read_be(self):
                self.control_id = KaitaiStream.resolve_enum(XenLibxlStream.CheckpointControl, self._io.read_u4be())
                if not isinstance(self.control_id, XenLibxlStream.CheckpointControl):
                    raise kaitaistruct.ValidationNotInEnumError(self.control_id, self._io, u"/types/record/types/checkpoint_state/seq/0")
                self.reserved = []
                i = 0
                while not self._io.is_eof():
                    self.reserved.append(self._io.read_u1())
                    if not self.reserved[i] == 0:
                        raise kaitaistruct.ValidationNotEqualError(0, self.reserved[i], self._io, u"/types/record/types/checkpoint_state/seq/1")
                    i += 1



            def _fetch_instances(self):
                pass
                for i in range(len(self.reserved)):
                    pass



        class EmulatorContext(KaitaiStruct):
            """The saved state of one device model, opaque to libxl.
            
            .. seealso::
               spec/libxl-stream.md#emulator_context
            """
            def __init__(self, _io, _parent=None, _root=None, _is_le=None):
                super(XenLibxlStream.Record.EmulatorContext, self).__init__(_io)
                self._parent = _parent
                self._root = _root
                self._is_le = _is_le
                self._read()

            def _read(self):
                if not hasattr(self, '_is_le'):
                    raise kaitaistruct.UndecidedEndiannessError("/types/record/types/emulator_context")
                elif self._is_le == True:
                    self._read_le()
                elif self._is_le == False:
                    self._read_be()

            def _read_le(self):
                self.emulator_id = KaitaiStream.resolve_enum(XenLibxlStream.EmulatorId, self._io.read_u4le())
                self.index = self._io.read_u4le()
                self.context = self._io.read_bytes_full()

            def _read_be(self):
                self.emulator_id = KaitaiStream.resolve_enum(XenLibxlStream.EmulatorId, self._io.read_u4be())
                self.index = self._io.read_u4be()
                self.context = self._io.read_bytes_full()


            def _fetch_instances(self):
                pass


        class EmulatorXenstoreData(KaitaiStruct):
            """Xenstore entries for one device model, as key/value pairs of
            NUL-terminated strings packed one after another. Keys are
            relative to the device model's own xenstore directory.
            
            .. seealso::
               spec/libxl-stream.md#emulator_xenstore_data
            """
            def __init__(self, _io, _parent=None, _root=None, _is_le=None):
                super(XenLibxlStream.Record.EmulatorXenstoreData, self).__init__(_io)
                self._parent = _parent
                self._root = _root
                self._is_le = _is_le
                self._read()

            def _read(self):
                if not hasattr(self, '_is_le'):
                    raise kaitaistruct.UndecidedEndiannessError("/types/record/types/emulator_xenstore_data")
                elif self._is_le == True:
                    self._read_le()
                elif self._is_le == False:
                    self._read_be()

            def _read_le(self):
                self.emulator_id = KaitaiStream.resolve_enum(XenLibxlStream.EmulatorId, self._io.read_u4le())
                self.index = self._io.read_u4le()
                self.entries = []
                i = 0
                while not self._io.is_eof():
                    self.entries.append(XenLibxlStream.Record.XenstoreEntry(self._io, self, self._root, self._is_le))
                    i += 1


            def _read_be(self):
                self.emulator_id = KaitaiStream.resolve_enum(XenLibxlStream.EmulatorId, self._io.read_u4be())
                self.index = self._io.read_u4be()
                self.entries = []
                i = 0
                while not self._io.is_eof():
                    self.entries.append(XenLibxlStream.Record.XenstoreEntry(self._io, self, self._root, self._is_le))
                    i += 1



            def _fetch_instances(self):
                pass
                for i in range(len(self.entries)):
                    pass
                    self.entries[i]._fetch_instances()



        class XenstoreEntry(KaitaiStruct):
            """One xenstore key and its value.
            
            .. seealso::
               spec/libxl-stream.md#emulator_xenstore_data
            """
            def __init__(self, _io, _parent=None, _root=None, _is_le=None):
                super(XenLibxlStream.Record.XenstoreEntry, self).__init__(_io)
                self._parent = _parent
                self._root = _root
                self._is_le = _is_le
                self._read()

            def _read(self):
                if not hasattr(self, '_is_le'):
                    raise kaitaistruct.UndecidedEndiannessError("/types/record/types/xenstore_entry")
                elif self._is_le == True:
                    self._read_le()
                elif self._is_le == False:
                    self._read_be()

            def _read_le(self):
                self.key = self._io.read_bytes_term(0, False, True, True)
                self.value = self._io.read_bytes_term(0, False, True, True)

            def _read_be(self):
                self.key = self._io.read_bytes_term(0, False, True, True)
                self.value = self._io.read_bytes_term(0, False, True, True)


            def _fetch_instances(self):
                pass


        @property
        def ends_at_checkpoint(self):
            """True when the stream stops here, after a complete checkpoint,
            with no END (XC-CKPT-003): the last record is this
            CHECKPOINT_END, or the CHECKPOINT_STATE attached to it.
            """
            if hasattr(self, '_m_ends_at_checkpoint'):
                return self._m_ends_at_checkpoint

            self._m_ends_at_checkpoint =  ((self.resumes_libxc) and ((not (self.reads_libxc_resumed)))) 
            return getattr(self, '_m_ends_at_checkpoint', None)

        @property
        def has_colo_checkpoint_state(self):
            """True when a libxl CHECKPOINT_STATE record follows this
            CHECKPOINT_END. Nothing in the stream names the layer of the next
            record, and libxc has a type 5 too (X86_PV_VCPU_EXTENDED): Xen
            picks the layer by its mode (COLO or Remus), never from the
            record. A type-5 record here is read as libxl's, whatever the
            guest and the body length (XL-NEST-003 places CHECKPOINT_STATE
            here; Xen's savers never resume a checkpoint's libxc records with
            X86_PV_VCPU_EXTENDED).
            """
            if hasattr(self, '_m_has_colo_checkpoint_state'):
                return self._m_has_colo_checkpoint_state

            self._m_has_colo_checkpoint_state =  ((self.resumes_libxc) and (self._io.size() - self.ofs_next >= 8) and (self.next_rec_type_raw == int(XenLibxlStream.RecType.checkpoint_state))) 
            return getattr(self, '_m_has_colo_checkpoint_state', None)

        @property
        def is_end(self):
            """True for the END record that closes the stream."""
            if hasattr(self, '_m_is_end'):
                return self._m_is_end

            self._m_is_end = self.rec_type == XenLibxlStream.RecType.end
            return getattr(self, '_m_is_end', None)

        @property
        def is_optional(self):
            """True when bit 31 of the type is set, so a restorer may ignore the
            record. (A shift rather than a comparison with 0x7fffffff: the Rust
            target compares 32-bit values as signed.)
            """
            if hasattr(self, '_m_is_optional'):
                return self._m_is_optional

            self._m_is_optional = self.rec_type_raw >> 31 != 0
            return getattr(self, '_m_is_optional', None)

        @property
        def libxc_is_be_after(self):
            """Byte order of the libxc stream as known after this record."""
            if hasattr(self, '_m_libxc_is_be_after'):
                return self._m_libxc_is_be_after

            self._m_libxc_is_be_after = (self.libxc_stream.image_header.is_big_endian if self.rec_type == XenLibxlStream.RecType.libxc_context else self.libxc_is_be_before)
            return getattr(self, '_m_libxc_is_be_after', None)

        @property
        def libxc_is_pv_after(self):
            """Whether the libxc stream is of an x86 PV guest, as known after this record."""
            if hasattr(self, '_m_libxc_is_pv_after'):
                return self._m_libxc_is_pv_after

            self._m_libxc_is_pv_after = (self.libxc_stream.section.domain_header.guest_type == xen_libxc_stream.XenLibxcStream.DomainType.x86_pv if self.rec_type == XenLibxlStream.RecType.libxc_context else self.libxc_is_pv_before)
            return getattr(self, '_m_libxc_is_pv_after', None)

        @property
        def libxc_open_after(self):
            """Whether the libxc stream waits at a CHECKPOINT after this record."""
            if hasattr(self, '_m_libxc_open_after'):
                return self._m_libxc_open_after

            self._m_libxc_open_after = (self.libxc_stream.section.ended_at_checkpoint if self.rec_type == XenLibxlStream.RecType.libxc_context else (self.libxc_resumed.ended_at_checkpoint if self.reads_libxc_resumed else self.libxc_open_before))
            return getattr(self, '_m_libxc_open_after', None)

        @property
        def libxc_page_shift_after(self):
            """Page shift of the libxc stream as known after this record."""
            if hasattr(self, '_m_libxc_page_shift_after'):
                return self._m_libxc_page_shift_after

            self._m_libxc_page_shift_after = (self.libxc_stream.section.page_shift if self.rec_type == XenLibxlStream.RecType.libxc_context else self.libxc_page_shift_before)
            return getattr(self, '_m_libxc_page_shift_after', None)

        @property
        def next_len_body(self):
            """The body length of the record after this one, peeked at (only
            read when `resumes_libxc` and eight octets follow).
            """
            if hasattr(self, '_m_next_len_body'):
                return self._m_next_len_body

            _pos = self._io.pos()
            self._io.seek(self.ofs_next + 4)
            if self._is_le:
                self._m_next_len_body = self._io.read_u4le()
            else:
                self._m_next_len_body = self._io.read_u4be()
            self._io.seek(_pos)
            return getattr(self, '_m_next_len_body', None)

        @property
        def next_rec_type_raw(self):
            """The type word of the record after this one, peeked at (only
            read when `resumes_libxc` and eight octets follow).
            """
            if hasattr(self, '_m_next_rec_type_raw'):
                return self._m_next_rec_type_raw

            _pos = self._io.pos()
            self._io.seek(self.ofs_next)
            if self._is_le:
                self._m_next_rec_type_raw = self._io.read_u4le()
            else:
                self._m_next_rec_type_raw = self._io.read_u4be()
            self._io.seek(_pos)
            return getattr(self, '_m_next_rec_type_raw', None)

        @property
        def ofs_libxc_resumed(self):
            """Where the resumed libxc records start, after any CHECKPOINT_STATE."""
            if hasattr(self, '_m_ofs_libxc_resumed'):
                return self._m_ofs_libxc_resumed

            self._m_ofs_libxc_resumed = (((self.ofs_next + 8) + self.next_len_body) + (8 - self.next_len_body % 8) % 8 if self.has_colo_checkpoint_state else self.ofs_next)
            return getattr(self, '_m_ofs_libxc_resumed', None)

        @property
        def ofs_next(self):
            """Where the octets after this record (padding included) start."""
            if hasattr(self, '_m_ofs_next'):
                return self._m_ofs_next

            self._m_ofs_next = ((self.ofs_record + 8) + self.len_body) + (8 - self.len_body % 8) % 8
            return getattr(self, '_m_ofs_next', None)

        @property
        def reads_libxc_resumed(self):
            """True when data follows the checkpoint, so the libxc stream
            resumes; false when the data ends there.
            """
            if hasattr(self, '_m_reads_libxc_resumed'):
                return self._m_reads_libxc_resumed

            self._m_reads_libxc_resumed =  ((self.resumes_libxc) and (self._io.size() > self.ofs_libxc_resumed)) 
            return getattr(self, '_m_reads_libxc_resumed', None)

        @property
        def rec_type_raw(self):
            """The type word read again, as a plain unsigned number. `rec_type`
            cannot give bit 31 in every target: an optional type is never in
            the enum, and C++ and C# then hold it as a negative number, Java
            not at all (null).
            """
            if hasattr(self, '_m_rec_type_raw'):
                return self._m_rec_type_raw

            _pos = self._io.pos()
            self._io.seek(self.ofs_record)
            if self._is_le:
                self._m_rec_type_raw = self._io.read_u4le()
            else:
                self._m_rec_type_raw = self._io.read_u4be()
            self._io.seek(_pos)
            return getattr(self, '_m_rec_type_raw', None)

        @property
        def resumes_libxc(self):
            """True for a CHECKPOINT_END that closes the libxl part of a
            checkpoint, after which the libxc stream resumes (or the data
            ends).
            """
            if hasattr(self, '_m_resumes_libxc'):
                return self._m_resumes_libxc

            self._m_resumes_libxc =  ((self.rec_type == XenLibxlStream.RecType.checkpoint_end) and (self.libxc_open_before)) 
            return getattr(self, '_m_resumes_libxc', None)


    @property
    def is_big_endian(self):
        """True when the records are big-endian."""
        if hasattr(self, '_m_is_big_endian'):
            return self._m_is_big_endian

        self._m_is_big_endian = self.options & 1 != 0
        return getattr(self, '_m_is_big_endian', None)

    @property
    def is_legacy_converted(self):
        """True when the stream was produced from a legacy image by the conversion tool."""
        if hasattr(self, '_m_is_legacy_converted'):
            return self._m_is_legacy_converted

        self._m_is_legacy_converted = self.options & 2 != 0
        return getattr(self, '_m_is_legacy_converted', None)


