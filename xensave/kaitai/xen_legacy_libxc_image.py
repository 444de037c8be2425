# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO
from xensave.kaitai import xen_hvm_context


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class XenLegacyLibxcImage(KaitaiStruct):
    """The domain state as libxc saved it before Xen 4.6: no magic, no version
    and no record framing. The reader must be told the width of the
    toolstack's `unsigned long` (called a word here: 4 octets from a 32-bit
    toolstack, 8 from a 64-bit one) and whether the guest is PV or HVM;
    xensave works both out by trying each. PV images also need the number of
    online vCPUs for their tail, which is the population count of the
    VCPU_INFO map (Kaitai has no such operator, so the caller passes it).
    
    This description covers one checkpoint (a saved file), then any further
    checkpoints of a Remus stream. Once a body has had ENABLE_COMPRESSION
    (-13), the page batches of every later body carry pfn words only; their
    pages come in COMPRESSED_DATA (-12) chunks, each page encoded against the
    receiver's earlier copy of it as an empty page, a full page, or runs of
    copied and skipped 4-octet words (`compressed_page`).
    
    Specification: spec/legacy.md (rules LEG-*); the doc-ref of each type
    names its section there.
    
    .. seealso::
       spec/legacy.md#overall-shape
    
    
    .. seealso::
       Source - https://xenbits.xen.org/gitweb/?p=xen.git;a=blob;f=tools/python/xen/migration/legacy.py;hb=HEAD
    """
    def __init__(self, toolstack_width, is_hvm, num_vcpus, _io, _parent=None, _root=None):
        super(XenLegacyLibxcImage, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self.toolstack_width = toolstack_width
        self.is_hvm = is_hvm
        self.num_vcpus = num_vcpus
        self._read()

    def _read(self):
        self.p2m_size = XenLegacyLibxcImage.Word(self._io, self, self._root)
        if (not (self.is_hvm)):
            pass
            self.ext_info = XenLegacyLibxcImage.ExtInfoList(self._io, self, self._root)

        if (not (self.is_hvm)):
            pass
            self.p2m_frames = []
            for i in range((((self.p2m_size.value + self.pfns_per_frame) - 1) // self.pfns_per_frame)):
                self.p2m_frames.append(XenLegacyLibxcImage.Word(self._io, self, self._root))


        self.first_checkpoint = XenLegacyLibxcImage.Checkpoint(False, self._io, self, self._root)
        self.further_checkpoints = []
        i = 0
        while not self._io.is_eof():
            self.further_checkpoints.append(XenLegacyLibxcImage.Checkpoint((self.first_checkpoint.compresses_next if i == 0 else self.further_checkpoints[i - 1].compresses_next), self._io, self, self._root))
            i += 1



    def _fetch_instances(self):
        pass
        self.p2m_size._fetch_instances()
        if (not (self.is_hvm)):
            pass
            self.ext_info._fetch_instances()

        if (not (self.is_hvm)):
            pass
            for i in range(len(self.p2m_frames)):
                pass
                self.p2m_frames[i]._fetch_instances()


        self.first_checkpoint._fetch_instances()
        for i in range(len(self.further_checkpoints)):
            pass
            self.further_checkpoints[i]._fetch_instances()


    class Checkpoint(KaitaiStruct):
        """One body and its tail.
        
        .. seealso::
           spec/legacy.md#body
        """
        def __init__(self, is_compressed, _io, _parent=None, _root=None):
            super(XenLegacyLibxcImage.Checkpoint, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self.is_compressed = is_compressed
            self._read()

        def _read(self):
            self.body = []
            i = 0
            while True:
                _ = XenLegacyLibxcImage.Chunk(self.is_compressed, (False if i == 0 else self.body[i - 1].enables_compression), self._io, self, self._root)
                self.body.append(_)
                if _.chunk_type == 0:
                    break
                i += 1
            if (not (self._root.is_hvm)):
                pass
                self.pv_tail = XenLegacyLibxcImage.PvTail(self._io, self, self._root)

            if self._root.is_hvm:
                pass
                self.hvm_tail = XenLegacyLibxcImage.HvmTail(self._io, self, self._root)



        def _fetch_instances(self):
            pass
            for i in range(len(self.body)):
                pass
                self.body[i]._fetch_instances()

            if (not (self._root.is_hvm)):
                pass
                self.pv_tail._fetch_instances()

            if self._root.is_hvm:
                pass
                self.hvm_tail._fetch_instances()


        @property
        def compresses_next(self):
            """True when the bodies after this one are compressed."""
            if hasattr(self, '_m_compresses_next'):
                return self._m_compresses_next

            self._m_compresses_next =  ((self.is_compressed) or (self.body[-1].enables_compression)) 
            return getattr(self, '_m_compresses_next', None)


    class Chunk(KaitaiStruct):
        """One chunk of the body.
        
        .. seealso::
           spec/legacy.md#body
        """
        def __init__(self, is_compressed, enabled_before, _io, _parent=None, _root=None):
            super(XenLegacyLibxcImage.Chunk, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self.is_compressed = is_compressed
            self.enabled_before = enabled_before
            self._read()

        def _read(self):
            self.chunk_type = self._io.read_s4le()
            if not self.chunk_type >= -20:
                raise kaitaistruct.ValidationLessThanError(-20, self.chunk_type, self._io, u"/types/chunk/seq/0")
            if not self.chunk_type <= 1024:
                raise kaitaistruct.ValidationGreaterThanError(1024, self.chunk_type, self._io, u"/types/chunk/seq/0")
            if self.chunk_type < 0:
                pass
                _on = self.chunk_type
                if _on == -10:
                    pass
                    self.payload = XenLegacyLibxcImage.HvmParam(self._io, self, self._root)
                elif _on == -11:
                    pass
                    self.payload = XenLegacyLibxcImage.HvmParam(self._io, self, self._root)
                elif _on == -12:
                    pass
                    self.payload = XenLegacyLibxcImage.CompressedData(self._io, self, self._root)
                elif _on == -14:
                    pass
                    self.payload = XenLegacyLibxcImage.HvmParam(self._io, self, self._root)
                elif _on == -15:
                    pass
                    self.payload = XenLegacyLibxcImage.HvmParam(self._io, self, self._root)
                elif _on == -16:
                    pass
                    self.payload = XenLegacyLibxcImage.HvmParam(self._io, self, self._root)
                elif _on == -17:
                    pass
                    self.payload = XenLegacyLibxcImage.HvmParam(self._io, self, self._root)
                elif _on == -18:
                    pass
                    self.payload = XenLegacyLibxcImage.Toolstack(self._io, self, self._root)
                elif _on == -19:
                    pass
                    self.payload = XenLegacyLibxcImage.HvmParam(self._io, self, self._root)
                elif _on == -2:
                    pass
                    self.payload = XenLegacyLibxcImage.VcpuInfo(self._io, self, self._root)
                elif _on == -20:
                    pass
                    self.payload = XenLegacyLibxcImage.HvmParam(self._io, self, self._root)
                elif _on == -3:
                    pass
                    self.payload = XenLegacyLibxcImage.HvmParam(self._io, self, self._root)
                elif _on == -4:
                    pass
                    self.payload = XenLegacyLibxcImage.HvmParam(self._io, self, self._root)
                elif _on == -7:
                    pass
                    self.payload = XenLegacyLibxcImage.TscInfo(self._io, self, self._root)
                elif _on == -8:
                    pass
                    self.payload = XenLegacyLibxcImage.HvmParam(self._io, self, self._root)

            if self.chunk_type > 0:
                pass
                self.batch = XenLegacyLibxcImage.PageBatch(self.chunk_type, self.is_compressed, self._io, self, self._root)



        def _fetch_instances(self):
            pass
            if self.chunk_type < 0:
                pass
                _on = self.chunk_type
                if _on == -10:
                    pass
                    self.payload._fetch_instances()
                elif _on == -11:
                    pass
                    self.payload._fetch_instances()
                elif _on == -12:
                    pass
                    self.payload._fetch_instances()
                elif _on == -14:
                    pass
                    self.payload._fetch_instances()
                elif _on == -15:
                    pass
                    self.payload._fetch_instances()
                elif _on == -16:
                    pass
                    self.payload._fetch_instances()
                elif _on == -17:
                    pass
                    self.payload._fetch_instances()
                elif _on == -18:
                    pass
                    self.payload._fetch_instances()
                elif _on == -19:
                    pass
                    self.payload._fetch_instances()
                elif _on == -2:
                    pass
                    self.payload._fetch_instances()
                elif _on == -20:
                    pass
                    self.payload._fetch_instances()
                elif _on == -3:
                    pass
                    self.payload._fetch_instances()
                elif _on == -4:
                    pass
                    self.payload._fetch_instances()
                elif _on == -7:
                    pass
                    self.payload._fetch_instances()
                elif _on == -8:
                    pass
                    self.payload._fetch_instances()

            if self.chunk_type > 0:
                pass
                self.batch._fetch_instances()


        @property
        def enables_compression(self):
            """True when this chunk or an earlier one of its body is ENABLE_COMPRESSION."""
            if hasattr(self, '_m_enables_compression'):
                return self._m_enables_compression

            self._m_enables_compression =  ((self.enabled_before) or (self.chunk_type == -13)) 
            return getattr(self, '_m_enables_compression', None)


    class CompressedData(KaitaiStruct):
        """COMPRESSED_DATA (-12), compressed pages of a Remus body.
        
        .. seealso::
           spec/legacy.md#remus-compression
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenLegacyLibxcImage.CompressedData, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.len_data = XenLegacyLibxcImage.Word(self._io, self, self._root)
            self._raw_data = self._io.read_bytes(self.len_data.value)
            _io__raw_data = KaitaiStream(BytesIO(self._raw_data))
            self.data = XenLegacyLibxcImage.CompressedPages(_io__raw_data, self, self._root)


        def _fetch_instances(self):
            pass
            self.len_data._fetch_instances()
            self.data._fetch_instances()


    class CompressedPage(KaitaiStruct):
        """One page, encoded against the receiver's copy of it: runs that cover
        exactly 4096 octets, or the single octet of an empty (unchanged) or
        full page.
        
        .. seealso::
           spec/legacy.md#remus-compression
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenLegacyLibxcImage.CompressedPage, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.runs = []
            i = 0
            while True:
                _ = XenLegacyLibxcImage.CompressedRun((0 if i == 0 else self.runs[i - 1].page_end), self._io, self, self._root)
                self.runs.append(_)
                if _.page_end >= 4096:
                    break
                i += 1


        def _fetch_instances(self):
            pass
            for i in range(len(self.runs)):
                pass
                self.runs[i]._fetch_instances()



    class CompressedPages(KaitaiStruct):
        """The compressed pages of one COMPRESSED_DATA chunk.
        
        .. seealso::
           spec/legacy.md#remus-compression
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenLegacyLibxcImage.CompressedPages, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.items = []
            i = 0
            while not self._io.is_eof():
                self.items.append(XenLegacyLibxcImage.CompressedPage(self._io, self, self._root))
                i += 1



        def _fetch_instances(self):
            pass
            for i in range(len(self.items)):
                pass
                self.items[i]._fetch_instances()



    class CompressedRun(KaitaiStruct):
        """One run of a compressed page.
        
        .. seealso::
           spec/legacy.md#remus-compression
        """
        def __init__(self, page_start, _io, _parent=None, _root=None):
            super(XenLegacyLibxcImage.CompressedRun, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self.page_start = page_start
            self._read()

        def _read(self):
            self.head = self._io.read_u1()
            self.data = self._io.read_bytes((self.len_run if self.is_copy else 0))


        def _fetch_instances(self):
            pass

        @property
        def is_copy(self):
            """True when new data follows the head."""
            if hasattr(self, '_m_is_copy'):
                return self._m_is_copy

            self._m_is_copy =  ((self.is_full_page) or ( ((self.head & 128 == 0) and ((not (self.is_unchanged_page)))) )) 
            return getattr(self, '_m_is_copy', None)

        @property
        def is_full_page(self):
            """True for a full page (4096 octets follow)."""
            if hasattr(self, '_m_is_full_page'):
                return self._m_is_full_page

            self._m_is_full_page =  ((self.page_start == 0) and (self.head == 128)) 
            return getattr(self, '_m_is_full_page', None)

        @property
        def is_unchanged_page(self):
            """True for the one-octet mark of a page that did not change."""
            if hasattr(self, '_m_is_unchanged_page'):
                return self._m_is_unchanged_page

            self._m_is_unchanged_page =  ((self.page_start == 0) and (self.head == 0)) 
            return getattr(self, '_m_is_unchanged_page', None)

        @property
        def len_run(self):
            """Octets of the page the run covers."""
            if hasattr(self, '_m_len_run'):
                return self._m_len_run

            self._m_len_run = (4096 if self.is_full_page else (self.head & 127) * 4)
            return getattr(self, '_m_len_run', None)

        @property
        def page_end(self):
            """Offset in the page where this run ends."""
            if hasattr(self, '_m_page_end'):
                return self._m_page_end

            self._m_page_end = (4096 if  ((self.is_unchanged_page) or (self.is_full_page))  else self.page_start + self.len_run)
            return getattr(self, '_m_page_end', None)


    class DeviceModel(KaitaiStruct):
        """The device-model record of the HVM tail.
        
        .. seealso::
           spec/legacy.md#hvm-tail
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenLegacyLibxcImage.DeviceModel, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.signature = (self._io.read_bytes(21)).decode(u"ASCII")
            if not  ((self.signature == u"QemuDeviceModelRecord") or (self.signature == u"DeviceModelRecord0002") or (self.signature == u"RemusDeviceModelState")) :
                raise kaitaistruct.ValidationNotAnyOfError(self.signature, self._io, u"/types/device_model/seq/0")
            if self.signature != u"QemuDeviceModelRecord":
                pass
                self.len_data = self._io.read_u4le()

            self.data = self._io.read_bytes((self._io.size() - self._io.pos() if self.signature == u"QemuDeviceModelRecord" else self.len_data))


        def _fetch_instances(self):
            pass
            if self.signature != u"QemuDeviceModelRecord":
                pass



    class ExtBlock(KaitaiStruct):
        """One extended-info block.
        
        .. seealso::
           spec/legacy.md#extended-info-pv-only
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenLegacyLibxcImage.ExtBlock, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.block_id = (self._io.read_bytes(4)).decode(u"ASCII")
            self.len_body = self._io.read_u4le()
            if self.block_id == u"xcnt":
                pass
                self.xsave_size = self._io.read_u4le()

            self.body = self._io.read_bytes((self.len_body - 4 if self.block_id == u"xcnt" else self.len_body))


        def _fetch_instances(self):
            pass
            if self.block_id == u"xcnt":
                pass



    class ExtBlocks(KaitaiStruct):
        """The extended-info blocks; Xen writes `vcpu`, `extv`, then `xcnt` when present.
        
        .. seealso::
           spec/legacy.md#extended-info-pv-only
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenLegacyLibxcImage.ExtBlocks, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.items = []
            i = 0
            while not self._io.is_eof():
                self.items.append(XenLegacyLibxcImage.ExtBlock(self._io, self, self._root))
                i += 1



        def _fetch_instances(self):
            pass
            for i in range(len(self.items)):
                pass
                self.items[i]._fetch_instances()



    class ExtInfoList(KaitaiStruct):
        """The PV extended-info list. (Held by the field `ext_info`; a type may
        not share its name in C#.)
        
        .. seealso::
           spec/legacy.md#extended-info-pv-only
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenLegacyLibxcImage.ExtInfoList, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.signature = self._io.read_bytes(self._root.word_size)
            if not  ((self.signature == b"\xFF\xFF\xFF\xFF") or (self.signature == b"\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF")) :
                raise kaitaistruct.ValidationNotAnyOfError(self.signature, self._io, u"/types/ext_info_list/seq/0")
            self.len_blocks = self._io.read_u4le()
            self._raw_blocks = self._io.read_bytes(self.len_blocks)
            _io__raw_blocks = KaitaiStream(BytesIO(self._raw_blocks))
            self.blocks = XenLegacyLibxcImage.ExtBlocks(_io__raw_blocks, self, self._root)


        def _fetch_instances(self):
            pass
            self.blocks._fetch_instances()


    class HvmParam(KaitaiStruct):
        """A chunk that carries one HVM parameter.
        
        .. seealso::
           spec/legacy.md#body
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenLegacyLibxcImage.HvmParam, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.padding = self._io.read_u4le()
            if not self.padding == 0:
                raise kaitaistruct.ValidationNotEqualError(0, self.padding, self._io, u"/types/hvm_param/seq/0")
            self.value = self._io.read_u8le()


        def _fetch_instances(self):
            pass


    class HvmTail(KaitaiStruct):
        """The HVM tail.
        
        .. seealso::
           spec/legacy.md#hvm-tail
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenLegacyLibxcImage.HvmTail, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.ioreq_pfn = self._io.read_u8le()
            self.bufioreq_pfn = self._io.read_u8le()
            self.store_pfn = self._io.read_u8le()
            self.len_context = self._io.read_u4le()
            self._raw_context = self._io.read_bytes(self.len_context)
            _io__raw_context = KaitaiStream(BytesIO(self._raw_context))
            self.context = xen_hvm_context.XenHvmContext(_io__raw_context)
            self.device_model = XenLegacyLibxcImage.DeviceModel(self._io, self, self._root)


        def _fetch_instances(self):
            pass
            self.context._fetch_instances()
            self.device_model._fetch_instances()


    class PageBatch(KaitaiStruct):
        """Pfn words, then one page for each word whose type carries data.
        
        .. seealso::
           spec/legacy.md#page-batches
        """
        def __init__(self, num_pfn_words, is_compressed, _io, _parent=None, _root=None):
            super(XenLegacyLibxcImage.PageBatch, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self.num_pfn_words = num_pfn_words
            self.is_compressed = is_compressed
            self._read()

        def _read(self):
            self.pfn_words = []
            for i in range(self.num_pfn_words):
                self.pfn_words.append(XenLegacyLibxcImage.Word(self._io, self, self._root))

            self.pages = []
            for i in range(len(self.pfn_words)):
                self.pages.append(XenLegacyLibxcImage.PageBatch.PageSlot(i, self._io, self, self._root))



        def _fetch_instances(self):
            pass
            for i in range(len(self.pfn_words)):
                pass
                self.pfn_words[i]._fetch_instances()

            for i in range(len(self.pages)):
                pass
                self.pages[i]._fetch_instances()


        class PageSlot(KaitaiStruct):
            """The page data (if any) belonging to one pfn word.
            
            .. seealso::
               spec/legacy.md#page-batches
            """
            def __init__(self, i, _io, _parent=None, _root=None):
                super(XenLegacyLibxcImage.PageBatch.PageSlot, self).__init__(_io)
                self._parent = _parent
                self._root = _root
                self.i = i
                self._read()

            def _read(self):
                self.contents = self._io.read_bytes((4096 if  ((self.has_data) and ((not (self._parent.is_compressed))))  else 0))


            def _fetch_instances(self):
                pass

            @property
            def has_data(self):
                """True unless the type is 13 (broken), 14 (allocate only) or 15 (invalid)."""
                if hasattr(self, '_m_has_data'):
                    return self._m_has_data

                self._m_has_data = self._parent.pfn_words[self.i].value >> 28 & 15 < 13
                return getattr(self, '_m_has_data', None)



    class PvTail(KaitaiStruct):
        """The PV tail.
        
        .. seealso::
           spec/legacy.md#pv-tail
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenLegacyLibxcImage.PvTail, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.num_unmapped = self._io.read_u4le()
            self.unmapped = []
            for i in range(self.num_unmapped):
                self.unmapped.append(XenLegacyLibxcImage.Word(self._io, self, self._root))

            self.vcpus = []
            for i in range(self._root.num_vcpus):
                self.vcpus.append(XenLegacyLibxcImage.VcpuState(self._io, self, self._root))

            self.shared_info = self._io.read_bytes(4096)


        def _fetch_instances(self):
            pass
            for i in range(len(self.unmapped)):
                pass
                self.unmapped[i]._fetch_instances()

            for i in range(len(self.vcpus)):
                pass
                self.vcpus[i]._fetch_instances()



    class Toolstack(KaitaiStruct):
        """TOOLSTACK (-18), data for the toolstack.
        
        .. seealso::
           spec/legacy.md#body
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenLegacyLibxcImage.Toolstack, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.len_data = self._io.read_u4le()
            self.data = self._io.read_bytes(self.len_data)


        def _fetch_instances(self):
            pass


    class TscInfo(KaitaiStruct):
        """TSC_INFO (-7).
        
        .. seealso::
           spec/legacy.md#body
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenLegacyLibxcImage.TscInfo, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.mode = self._io.read_u4le()
            self.nsec = self._io.read_u8le()
            self.khz = self._io.read_u4le()
            self.incarnation = self._io.read_u4le()


        def _fetch_instances(self):
            pass


    class VcpuInfo(KaitaiStruct):
        """VCPU_INFO (-2), the online-vCPU map.
        
        .. seealso::
           spec/legacy.md#body
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenLegacyLibxcImage.VcpuInfo, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.max_vcpu_id = self._io.read_s4le()
            self.vcpu_map = []
            for i in range(self.max_vcpu_id // 64 + 1):
                self.vcpu_map.append(self._io.read_u8le())



        def _fetch_instances(self):
            pass
            for i in range(len(self.vcpu_map)):
                pass



    class VcpuState(KaitaiStruct):
        """One vCPU's state in the PV tail.
        
        .. seealso::
           spec/legacy.md#pv-tail
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenLegacyLibxcImage.VcpuState, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.context = self._io.read_bytes(self._root.vcpu_size)
            if self._root.has_extv:
                pass
                self.extended = self._io.read_bytes(128)

            if self._root.xsave_size != 0:
                pass
                self.xsave = self._io.read_bytes(self._root.xsave_size)



        def _fetch_instances(self):
            pass
            if self._root.has_extv:
                pass

            if self._root.xsave_size != 0:
                pass



    class Word(KaitaiStruct):
        """One toolstack `unsigned long`.
        
        .. seealso::
           spec/legacy.md#header
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenLegacyLibxcImage.Word, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            _on = self._root.toolstack_width
            if _on == 32:
                pass
                self.value = self._io.read_u4le()
            elif _on == 64:
                pass
                self.value = self._io.read_u8le()


        def _fetch_instances(self):
            pass
            _on = self._root.toolstack_width
            if _on == 32:
                pass
            elif _on == 64:
                pass


    @property
    def guest_width(self):
        """Octets in one guest word, from the vCPU context size."""
        if hasattr(self, '_m_guest_width'):
            return self._m_guest_width

        self._m_guest_width = (8 if self.vcpu_size == 5168 else 4)
        return getattr(self, '_m_guest_width', None)

    @property
    def has_extv(self):
        """True when each vCPU of the tail has a 128-octet extended context."""
        if hasattr(self, '_m_has_extv'):
            return self._m_has_extv

        self._m_has_extv =  (((not (self.is_hvm))) and (len(self.ext_info.blocks.items) > 1) and (self.ext_info.blocks.items[1].block_id == u"extv")) 
        return getattr(self, '_m_has_extv', None)

    @property
    def pfns_per_frame(self):
        """p2m entries held by one page of the p2m table."""
        if hasattr(self, '_m_pfns_per_frame'):
            return self._m_pfns_per_frame

        self._m_pfns_per_frame = (4096 // self.guest_width)
        return getattr(self, '_m_pfns_per_frame', None)

    @property
    def vcpu_size(self):
        """Octets of one vCPU context, from the `vcpu` block (Xen writes it first)."""
        if hasattr(self, '_m_vcpu_size'):
            return self._m_vcpu_size

        self._m_vcpu_size = (0 if self.is_hvm else self.ext_info.blocks.items[0].len_body)
        return getattr(self, '_m_vcpu_size', None)

    @property
    def word_size(self):
        """Octets in one toolstack word."""
        if hasattr(self, '_m_word_size'):
            return self._m_word_size

        self._m_word_size = (4 if self.toolstack_width == 32 else 8)
        return getattr(self, '_m_word_size', None)

    @property
    def xsave_size(self):
        """Octets of each vCPU's XSAVE state in the tail, 0 when none."""
        if hasattr(self, '_m_xsave_size'):
            return self._m_xsave_size

        self._m_xsave_size = (self.ext_info.blocks.items[2].xsave_size if  (((not (self.is_hvm))) and (len(self.ext_info.blocks.items) > 2) and (self.ext_info.blocks.items[2].block_id == u"xcnt"))  else 0)
        return getattr(self, '_m_xsave_size', None)


