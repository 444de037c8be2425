# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO
from xensave.kaitai import xen_hvm_context
from xensave.kaitai import xen_pv_vcpu_context
from enum import IntEnum


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class XenLibxcStream(KaitaiStruct):
    """The lowest layer of a Xen domain save image: the memory, vCPU and
    platform state of one guest, written by libxenguest (historically
    "libxc"). It opens with a fixed 24-octet image header, always
    big-endian, then a 16-octet domain header and a run of records. The
    domain header and every record use the byte order named by bit 0 of the
    image header's options (little-endian on every x86 host).
    
    A record is a 32-bit type, a 32-bit body length, the body, and zero
    padding up to the next multiple of 8 octets. Bit 31 of the type marks a
    record a restorer may skip; a type this description does not know is
    kept as raw octets whether or not that bit is set. The records run up
    to an END record. Inside a libxl stream a checkpointed (Remus/COLO)
    image splits the records into sections: each section but the last stops
    at a CHECKPOINT record, the libxl layer then has its say, and the
    following section carries records only, with no headers again (see
    `embedded_stream` and `stream_section`).
    
    Byte strings and 64-bit values are read whole. The one place where the
    layout packs fields into a 64-bit value, the PFN entries of PAGE_DATA,
    is read as a 32-bit half and bit fields of at most 20 bits, so that no
    target language needs 64-bit arithmetic.
    
    Specification: spec/libxc-stream.md (rules XC-*); the doc-ref of each
    type names its section there.
    
    .. seealso::
       spec/libxc-stream.md#overview
    
    
    .. seealso::
       Source - https://xenbits.xen.org/docs/unstable/specs/libxc-migration-stream.html
    """

    class DomainType(IntEnum):
        x86_pv = 1
        x86_hvm = 2

    class HvmParam(IntEnum):
        callback_irq = 0
        store_pfn = 1
        store_evtchn = 2
        pae_enabled = 4
        ioreq_pfn = 5
        bufioreq_pfn = 6
        viridian = 9
        timer_mode = 10
        hpet_enabled = 11
        ident_pt = 12
        dm_domain = 13
        acpi_s_state = 14
        vm86_tss = 15
        vpt_align = 16
        console_pfn = 17
        console_evtchn = 18
        acpi_ioports_location = 19
        memory_event_cr0 = 20
        memory_event_cr3 = 21
        memory_event_cr4 = 22
        memory_event_int3 = 23
        nestedhvm = 24
        memory_event_single_step = 25
        bufioreq_evtchn = 26
        paging_ring_pfn = 27
        monitor_ring_pfn = 28
        sharing_ring_pfn = 29
        memory_event_msr = 30
        triple_fault_reason = 31
        ioreq_server_pfn = 32
        nr_ioreq_server_pages = 33
        vm_generation_id_addr = 34
        altp2m = 35
        x87_fip_width = 36
        vm86_tss_sized = 37
        mca_cap = 38

    class PageType(IntEnum):
        notab = 0
        l1tab = 1
        l2tab = 2
        l3tab = 3
        l4tab = 4
        l1tab_pin = 9
        l2tab_pin = 10
        l3tab_pin = 11
        l4tab_pin = 12
        broken = 13
        xalloc = 14
        xtab = 15

    class RecType(IntEnum):
        end = 0
        page_data = 1
        x86_pv_info = 2
        x86_pv_p2m_frames = 3
        x86_pv_vcpu_basic = 4
        x86_pv_vcpu_extended = 5
        x86_pv_vcpu_xsave = 6
        shared_info = 7
        x86_tsc_info = 8
        hvm_context = 9
        hvm_params = 10
        toolstack = 11
        x86_pv_vcpu_msrs = 12
        verify = 13
        checkpoint = 14
        checkpoint_dirty_pfn_list = 15
        static_data_end = 16
        x86_cpuid_policy = 17
        x86_msr_policy = 18

    class TscMode(IntEnum):
        default = 0
        always_emulate = 1
        never_emulate = 2
        pvrdtscp = 3
    def __init__(self, _io, _parent=None, _root=None):
        super(XenLibxcStream, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._read()

    def _read(self):
        self.image_header = XenLibxcStream.Ihdr(self._io, self, self._root)
        self.section = XenLibxcStream.StreamSection(self.image_header.is_big_endian, True, 0, False, self._io, self, self._root)


    def _fetch_instances(self):
        pass
        self.image_header._fetch_instances()
        self.section._fetch_instances()

    class EmbeddedStream(KaitaiStruct):
        """A libxc stream as it appears inside a libxl stream right after the
        LIBXC_CONTEXT record: both headers, then records up to END or up to
        the first CHECKPOINT, whichever comes first.
        
        .. seealso::
           spec/nesting.md#libxl-stream-and-libxc-stream
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenLibxcStream.EmbeddedStream, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.image_header = XenLibxcStream.Ihdr(self._io, self, self._root)
            self.section = XenLibxcStream.StreamSection(self.image_header.is_big_endian, True, 0, True, self._io, self, self._root)


        def _fetch_instances(self):
            pass
            self.image_header._fetch_instances()
            self.section._fetch_instances()


    class Ihdr(KaitaiStruct):
        """The image header (Xen's struct xc_sr_ihdr): fixed 24 octets,
        big-endian whatever the options say. Tools tell this format from the
        legacy one by the marker: a legacy image always has a zero bit
        somewhere in its first 8 octets. (Named after Xen's structure, not
        after the field `image_header` that holds it: a type named like a
        field of the same type clashes in C#.)
        
        .. seealso::
           spec/libxc-stream.md#image-header
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenLibxcStream.Ihdr, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.marker = self._io.read_bytes(8)
            if not self.marker == b"\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF":
                raise kaitaistruct.ValidationNotEqualError(b"\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF", self.marker, self._io, u"/types/ihdr/seq/0")
            self.magic = self._io.read_u4be()
            if not self.magic == 1480937030:
                raise kaitaistruct.ValidationNotEqualError(1480937030, self.magic, self._io, u"/types/ihdr/seq/1")
            self.version = self._io.read_u4be()
            if not  ((self.version == 2) or (self.version == 3)) :
                raise kaitaistruct.ValidationNotAnyOfError(self.version, self._io, u"/types/ihdr/seq/2")
            self.options = self._io.read_u2be()
            if not self.options <= 1:
                raise kaitaistruct.ValidationGreaterThanError(1, self.options, self._io, u"/types/ihdr/seq/3")
            self.reserved1 = self._io.read_u2be()
            if not self.reserved1 == 0:
                raise kaitaistruct.ValidationNotEqualError(0, self.reserved1, self._io, u"/types/ihdr/seq/4")
            self.reserved2 = self._io.read_u4be()
            if not self.reserved2 == 0:
                raise kaitaistruct.ValidationNotEqualError(0, self.reserved2, self._io, u"/types/ihdr/seq/5")


        def _fetch_instances(self):
            pass

        @property
        def is_big_endian(self):
            """True when the domain header and the records are big-endian."""
            if hasattr(self, '_m_is_big_endian'):
                return self._m_is_big_endian

            self._m_is_big_endian = self.options & 1 != 0
            return getattr(self, '_m_is_big_endian', None)


    class StreamSection(KaitaiStruct):
        """The part of the stream in the byte order the image header names: the
        domain header and records up to END, or one section of a
        checkpointed stream. Every type nested here inherits that byte
        order. (Held by the field `section`; a type may not share its name
        in C#.)
        
        .. seealso::
           spec/libxc-stream.md#records
        """
        def __init__(self, is_be, has_domain_header, resumed_page_shift, stop_at_checkpoint, _io, _parent=None, _root=None):
            super(XenLibxcStream.StreamSection, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self.is_be = is_be
            self.has_domain_header = has_domain_header
            self.resumed_page_shift = resumed_page_shift
            self.stop_at_checkpoint = stop_at_checkpoint
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
                raise kaitaistruct.UndecidedEndiannessError("/types/stream_section")
            elif self._is_le == True:
                self._read_le()
            elif self._is_le == False:
                self._read_be()

        def _read_le(self):
            if self.has_domain_header:
                pass
                self.domain_header = XenLibxcStream.StreamSection.Dhdr(self._io, self, self._root, self._is_le)

            self.records = []
            i = 0
            while True:
                _ = XenLibxcStream.StreamSection.Record(self.is_be, self.page_size, self._io.pos(), self._io, self, self._root, self._is_le)
                self.records.append(_)
                if  ((_.is_end) or ( ((_.is_checkpoint) and ( ((self.stop_at_checkpoint) or (self._io.is_eof())) )) )) :
                    break
                i += 1

        def _read_be(self):
            if self.has_domain_header:
                pass
                self.domain_header = XenLibxcStream.StreamSection.Dhdr(self._io, self, self._root, self._is_le)

            self.records = []
            i = 0
            while True:
                _ = XenLibxcStream.StreamSection.Record(self.is_be, self.page_size, self._io.pos(), self._io, self, self._root, self._is_le)
                self.records.append(_)
                if  ((_.is_end) or ( ((_.is_checkpoint) and ( ((self.stop_at_checkpoint) or (self._io.is_eof())) )) )) :
                    break
                i += 1


        def _fetch_instances(self):
            pass
            if self.has_domain_header:
                pass
                self.domain_header._fetch_instances()

            for i in range(len(self.records)):
                pass
                self.records[i]._fetch_instances()


        class CheckpointDirtyPfnList(KaitaiStruct):
            """PFNs the secondary of a COLO pair dirtied, sent back to the primary
            over the back channel; in no particular order.
            
            .. seealso::
               spec/libxc-stream.md#checkpoint_dirty_pfn_list
            """
            def __init__(self, _io, _parent=None, _root=None, _is_le=None):
                super(XenLibxcStream.StreamSection.CheckpointDirtyPfnList, self).__init__(_io)
                self._parent = _parent
                self._root = _root
                self._is_le = _is_le
                self._read()

            def _read(self):
                if not hasattr(self, '_is_le'):
                    raise kaitaistruct.UndecidedEndiannessError("/types/stream_section/types/checkpoint_dirty_pfn_list")
                elif self._is_le == True:
                    self._read_le()
                elif self._is_le == False:
                    self._read_be()

            def _read_le(self):
                self.pfns = []
                i = 0
                while not self._io.is_eof():
                    self.pfns.append(self._io.read_u8le())
                    i += 1


            def _read_be(self):
                self.pfns = []
                i = 0
                while not self._io.is_eof():
                    self.pfns.append(self._io.read_u8be())
                    i += 1



            def _fetch_instances(self):
                pass
                for i in range(len(self.pfns)):
                    pass



        class CpuidLeaf(KaitaiStruct):
            """One CPUID leaf and the four registers it reports.
            
            .. seealso::
               spec/libxc-stream.md#x86_cpuid_policy-and-x86_msr_policy
            """
            def __init__(self, _io, _parent=None, _root=None, _is_le=None):
                super(XenLibxcStream.StreamSection.CpuidLeaf, self).__init__(_io)
                self._parent = _parent
                self._root = _root
                self._is_le = _is_le
                self._read()

            def _read(self):
                if not hasattr(self, '_is_le'):
                    raise kaitaistruct.UndecidedEndiannessError("/types/stream_section/types/cpuid_leaf")
                elif self._is_le == True:
                    self._read_le()
                elif self._is_le == False:
                    self._read_be()

            def _read_le(self):
                self.leaf = self._io.read_u4le()
                self.subleaf = self._io.read_u4le()
                self.a = self._io.read_u4le()
                self.b = self._io.read_u4le()
                self.c = self._io.read_u4le()
                self.d = self._io.read_u4le()

            def _read_be(self):
                self.leaf = self._io.read_u4be()
                self.subleaf = self._io.read_u4be()
                self.a = self._io.read_u4be()
                self.b = self._io.read_u4be()
                self.c = self._io.read_u4be()
                self.d = self._io.read_u4be()


            def _fetch_instances(self):
                pass


        class Dhdr(KaitaiStruct):
            """The domain header (Xen's struct xc_sr_dhdr): what kind of guest
            the stream holds, its page size and the Xen release that wrote
            it. Uses the stream's byte order. (Held by the field
            `domain_header`; a type may not share its name in C#.)
            
            .. seealso::
               spec/libxc-stream.md#domain-header
            """
            def __init__(self, _io, _parent=None, _root=None, _is_le=None):
                super(XenLibxcStream.StreamSection.Dhdr, self).__init__(_io)
                self._parent = _parent
                self._root = _root
                self._is_le = _is_le
                self._read()

            def _read(self):
                if not hasattr(self, '_is_le'):
                    raise kaitaistruct.UndecidedEndiannessError("/types/stream_section/types/dhdr")
                elif self._is_le == True:
                    self._read_le()
                elif self._is_le == False:
                    self._read_be()

            def _read_le(self):
                self.guest_type = KaitaiStream.resolve_enum(XenLibxcStream.DomainType, self._io.read_u4le())
                if not isinstance(self.guest_type, XenLibxcStream.DomainType):
                    raise kaitaistruct.ValidationNotInEnumError(self.guest_type, self._io, u"/types/stream_section/types/dhdr/seq/0")
                self.page_shift = self._io.read_u2le()
                if not self.page_shift <= 31:
                    raise kaitaistruct.ValidationGreaterThanError(31, self.page_shift, self._io, u"/types/stream_section/types/dhdr/seq/1")
                self.reserved = self._io.read_u2le()
                if not self.reserved == 0:
                    raise kaitaistruct.ValidationNotEqualError(0, self.reserved, self._io, u"/types/stream_section/types/dhdr/seq/2")
                self.xen_major = self._io.read_u4le()
                self.xen_minor = self._io.read_u4le()

            def _read_be(self):
                self.guest_type = KaitaiStream.resolve_enum(XenLibxcStream.DomainType, self._io.read_u4be())
                if not isinstance(self.guest_type, XenLibxcStream.DomainType):
                    raise kaitaistruct.ValidationNotInEnumError(self.guest_type, self._io, u"/types/stream_section/types/dhdr/seq/0")
                self.page_shift = self._io.read_u2be()
                if not self.page_shift <= 31:
                    raise kaitaistruct.ValidationGreaterThanError(31, self.page_shift, self._io, u"/types/stream_section/types/dhdr/seq/1")
                self.reserved = self._io.read_u2be()
                if not self.reserved == 0:
                    raise kaitaistruct.ValidationNotEqualError(0, self.reserved, self._io, u"/types/stream_section/types/dhdr/seq/2")
                self.xen_major = self._io.read_u4be()
                self.xen_minor = self._io.read_u4be()


            def _fetch_instances(self):
                pass


        class HvmParamEntry(KaitaiStruct):
            """One HVM parameter. (Not named `hvm_param`: that is the enum of
            parameter indices, and several targets, C++, C# and Java among
            them, put types and enums in one namespace.)
            
            .. seealso::
               spec/libxc-stream.md#hvm_params
            """
            def __init__(self, _io, _parent=None, _root=None, _is_le=None):
                super(XenLibxcStream.StreamSection.HvmParamEntry, self).__init__(_io)
                self._parent = _parent
                self._root = _root
                self._is_le = _is_le
                self._read()

            def _read(self):
                if not hasattr(self, '_is_le'):
                    raise kaitaistruct.UndecidedEndiannessError("/types/stream_section/types/hvm_param_entry")
                elif self._is_le == True:
                    self._read_le()
                elif self._is_le == False:
                    self._read_be()

            def _read_le(self):
                self.index = KaitaiStream.resolve_enum(XenLibxcStream.HvmParam, self._io.read_u8le())
                self.value = self._io.read_u8le()

            def _read_be(self):
                self.index = KaitaiStream.resolve_enum(XenLibxcStream.HvmParam, self._io.read_u8be())
                self.value = self._io.read_u8be()


            def _fetch_instances(self):
                pass


        class HvmParams(KaitaiStruct):
            """HVM parameters, each an index and a 64-bit value as HVMOP_set_param takes them.
            
            .. seealso::
               spec/libxc-stream.md#hvm_params
            """
            def __init__(self, _io, _parent=None, _root=None, _is_le=None):
                super(XenLibxcStream.StreamSection.HvmParams, self).__init__(_io)
                self._parent = _parent
                self._root = _root
                self._is_le = _is_le
                self._read()

            def _read(self):
                if not hasattr(self, '_is_le'):
                    raise kaitaistruct.UndecidedEndiannessError("/types/stream_section/types/hvm_params")
                elif self._is_le == True:
                    self._read_le()
                elif self._is_le == False:
                    self._read_be()

            def _read_le(self):
                self.num_params = self._io.read_u4le()
                self.reserved = self._io.read_u4le()
                if not self.reserved == 0:
                    raise kaitaistruct.ValidationNotEqualError(0, self.reserved, self._io, u"/types/stream_section/types/hvm_params/seq/1")
                self.params = []
                for i in range(self.num_params):
                    self.params.append(XenLibxcStream.StreamSection.HvmParamEntry(self._io, self, self._root, self._is_le))


            def _read_be(self):
                self.num_params = self._io.read_u4be()
                self.reserved = self._io.read_u4be()
                if not self.reserved == 0:
                    raise kaitaistruct.ValidationNotEqualError(0, self.reserved, self._io, u"/types/stream_section/types/hvm_params/seq/1")
                self.params = []
                for i in range(self.num_params):
                    self.params.append(XenLibxcStream.StreamSection.HvmParamEntry(self._io, self, self._root, self._is_le))



            def _fetch_instances(self):
                pass
                for i in range(len(self.params)):
                    pass
                    self.params[i]._fetch_instances()



        class MsrEntry(KaitaiStruct):
            """One model-specific register of the policy and its value.
            
            .. seealso::
               spec/libxc-stream.md#x86_cpuid_policy-and-x86_msr_policy
            """
            def __init__(self, _io, _parent=None, _root=None, _is_le=None):
                super(XenLibxcStream.StreamSection.MsrEntry, self).__init__(_io)
                self._parent = _parent
                self._root = _root
                self._is_le = _is_le
                self._read()

            def _read(self):
                if not hasattr(self, '_is_le'):
                    raise kaitaistruct.UndecidedEndiannessError("/types/stream_section/types/msr_entry")
                elif self._is_le == True:
                    self._read_le()
                elif self._is_le == False:
                    self._read_be()

            def _read_le(self):
                self.index = self._io.read_u4le()
                self.flags = self._io.read_u4le()
                if not self.flags == 0:
                    raise kaitaistruct.ValidationNotEqualError(0, self.flags, self._io, u"/types/stream_section/types/msr_entry/seq/1")
                self.value = self._io.read_u8le()

            def _read_be(self):
                self.index = self._io.read_u4be()
                self.flags = self._io.read_u4be()
                if not self.flags == 0:
                    raise kaitaistruct.ValidationNotEqualError(0, self.flags, self._io, u"/types/stream_section/types/msr_entry/seq/1")
                self.value = self._io.read_u8be()


            def _fetch_instances(self):
                pass


        class PageData(KaitaiStruct):
            """Guest memory: a list of PFNs with their page types, then the
            contents of every listed page whose type carries data, in list
            order. Pages typed BROKEN, XALLOC or XTAB have no contents here.
            
            .. seealso::
               spec/libxc-stream.md#page_data
            """
            def __init__(self, is_be, page_size, _io, _parent=None, _root=None, _is_le=None):
                super(XenLibxcStream.StreamSection.PageData, self).__init__(_io)
                self._parent = _parent
                self._root = _root
                self._is_le = _is_le
                self.is_be = is_be
                self.page_size = page_size
                self._read()

            def _read(self):
                if not hasattr(self, '_is_le'):
                    raise kaitaistruct.UndecidedEndiannessError("/types/stream_section/types/page_data")
                elif self._is_le == True:
                    self._read_le()
                elif self._is_le == False:
                    self._read_be()

            def _read_le(self):
                self.num_pfns = self._io.read_u4le()
                self.reserved = self._io.read_u4le()
                if not self.reserved == 0:
                    raise kaitaistruct.ValidationNotEqualError(0, self.reserved, self._io, u"/types/stream_section/types/page_data/seq/1")
                self.pfns = []
                for i in range(self.num_pfns):
                    self.pfns.append(XenLibxcStream.StreamSection.PfnEntry(self.is_be, self._io, self, self._root, self._is_le))

                self.pages = []
                for i in range(len(self.pfns)):
                    self.pages.append(XenLibxcStream.StreamSection.PageSlot(self.pfns[i].has_data, self.page_size, self._io, self, self._root, self._is_le))


            def _read_be(self):
                self.num_pfns = self._io.read_u4be()
                self.reserved = self._io.read_u4be()
                if not self.reserved == 0:
                    raise kaitaistruct.ValidationNotEqualError(0, self.reserved, self._io, u"/types/stream_section/types/page_data/seq/1")
                self.pfns = []
                for i in range(self.num_pfns):
                    self.pfns.append(XenLibxcStream.StreamSection.PfnEntry(self.is_be, self._io, self, self._root, self._is_le))

                self.pages = []
                for i in range(len(self.pfns)):
                    self.pages.append(XenLibxcStream.StreamSection.PageSlot(self.pfns[i].has_data, self.page_size, self._io, self, self._root, self._is_le))



            def _fetch_instances(self):
                pass
                for i in range(len(self.pfns)):
                    pass
                    self.pfns[i]._fetch_instances()

                for i in range(len(self.pages)):
                    pass
                    self.pages[i]._fetch_instances()



        class PageSlot(KaitaiStruct):
            """The place of one PFN entry in the run of page contents.
            
            .. seealso::
               spec/libxc-stream.md#page_data
            """
            def __init__(self, has_data, len_page, _io, _parent=None, _root=None, _is_le=None):
                super(XenLibxcStream.StreamSection.PageSlot, self).__init__(_io)
                self._parent = _parent
                self._root = _root
                self._is_le = _is_le
                self.has_data = has_data
                self.len_page = len_page
                self._read()

            def _read(self):
                if not hasattr(self, '_is_le'):
                    raise kaitaistruct.UndecidedEndiannessError("/types/stream_section/types/page_slot")
                elif self._is_le == True:
                    self._read_le()
                elif self._is_le == False:
                    self._read_be()

            def _read_le(self):
                if self.has_data:
                    pass
                    self.page = self._io.read_bytes(self.len_page)


            def _read_be(self):
                if self.has_data:
                    pass
                    self.page = self._io.read_bytes(self.len_page)



            def _fetch_instances(self):
                pass
                if self.has_data:
                    pass



        class PfnEntry(KaitaiStruct):
            """A 64-bit PAGE_DATA entry: bits 0-51 are the PFN, bits 52-59 are
            reserved and must be zero, bits 60-63 are the page type (a
            XEN_DOMCTL_PFINFO_* value shifted right by 28). So that no target
            needs 64-bit arithmetic it is read as its low 32-bit half and the
            three fields of its high half, in the order the stream's byte
            order puts them; the fields of the other byte order are absent.
            
            .. seealso::
               spec/libxc-stream.md#page_data
            """
            def __init__(self, is_be, _io, _parent=None, _root=None, _is_le=None):
                super(XenLibxcStream.StreamSection.PfnEntry, self).__init__(_io)
                self._parent = _parent
                self._root = _root
                self._is_le = _is_le
                self.is_be = is_be
                self._read()

            def _read(self):
                if not hasattr(self, '_is_le'):
                    raise kaitaistruct.UndecidedEndiannessError("/types/stream_section/types/pfn_entry")
                elif self._is_le == True:
                    self._read_le()
                elif self._is_le == False:
                    self._read_be()

            def _read_le(self):
                if (not (self.is_be)):
                    pass
                    self.pfn_low_le = self._io.read_u4le()

                if (not (self.is_be)):
                    pass
                    self.pfn_high_le = self._io.read_bits_int_le(20)

                if (not (self.is_be)):
                    pass
                    self.reserved_le = self._io.read_bits_int_le(8)
                    if not self.reserved_le == 0:
                        raise kaitaistruct.ValidationNotEqualError(0, self.reserved_le, self._io, u"/types/stream_section/types/pfn_entry/seq/2")

                if (not (self.is_be)):
                    pass
                    self.page_type_le = KaitaiStream.resolve_enum(XenLibxcStream.PageType, self._io.read_bits_int_le(4))
                    if not isinstance(self.page_type_le, XenLibxcStream.PageType):
                        raise kaitaistruct.ValidationNotInEnumError(self.page_type_le, self._io, u"/types/stream_section/types/pfn_entry/seq/3")

                if self.is_be:
                    pass
                    self.page_type_be = KaitaiStream.resolve_enum(XenLibxcStream.PageType, self._io.read_bits_int_be(4))
                    if not isinstance(self.page_type_be, XenLibxcStream.PageType):
                        raise kaitaistruct.ValidationNotInEnumError(self.page_type_be, self._io, u"/types/stream_section/types/pfn_entry/seq/4")

                if self.is_be:
                    pass
                    self.reserved_be = self._io.read_bits_int_be(8)
                    if not self.reserved_be == 0:
                        raise kaitaistruct.ValidationNotEqualError(0, self.reserved_be, self._io, u"/types/stream_section/types/pfn_entry/seq/5")

                if self.is_be:
                    pass
                    self.pfn_high_be = self._io.read_bits_int_be(20)

                if self.is_be:
                    pass
                    self.pfn_low_be = self._io.read_u4be()


            def _read_be(self):
                if (not (self.is_be)):
                    pass
                    self.pfn_low_le = self._io.read_u4le()

                if (not (self.is_be)):
                    pass
                    self.pfn_high_le = self._io.read_bits_int_le(20)

                if (not (self.is_be)):
                    pass
                    self.reserved_le = self._io.read_bits_int_le(8)
                    if not self.reserved_le == 0:
                        raise kaitaistruct.ValidationNotEqualError(0, self.reserved_le, self._io, u"/types/stream_section/types/pfn_entry/seq/2")

                if (not (self.is_be)):
                    pass
                    self.page_type_le = KaitaiStream.resolve_enum(XenLibxcStream.PageType, self._io.read_bits_int_le(4))
                    if not isinstance(self.page_type_le, XenLibxcStream.PageType):
                        raise kaitaistruct.ValidationNotInEnumError(self.page_type_le, self._io, u"/types/stream_section/types/pfn_entry/seq/3")

                if self.is_be:
                    pass
                    self.page_type_be = KaitaiStream.resolve_enum(XenLibxcStream.PageType, self._io.read_bits_int_be(4))
                    if not isinstance(self.page_type_be, XenLibxcStream.PageType):
                        raise kaitaistruct.ValidationNotInEnumError(self.page_type_be, self._io, u"/types/stream_section/types/pfn_entry/seq/4")

                if self.is_be:
                    pass
                    self.reserved_be = self._io.read_bits_int_be(8)
                    if not self.reserved_be == 0:
                        raise kaitaistruct.ValidationNotEqualError(0, self.reserved_be, self._io, u"/types/stream_section/types/pfn_entry/seq/5")

                if self.is_be:
                    pass
                    self.pfn_high_be = self._io.read_bits_int_be(20)

                if self.is_be:
                    pass
                    self.pfn_low_be = self._io.read_u4be()



            def _fetch_instances(self):
                pass
                if (not (self.is_be)):
                    pass

                if (not (self.is_be)):
                    pass

                if (not (self.is_be)):
                    pass

                if (not (self.is_be)):
                    pass

                if self.is_be:
                    pass

                if self.is_be:
                    pass

                if self.is_be:
                    pass

                if self.is_be:
                    pass


            @property
            def has_data(self):
                """True when a page of contents follows for this entry (types below BROKEN)."""
                if hasattr(self, '_m_has_data'):
                    return self._m_has_data

                self._m_has_data = int(self.page_type) < 13
                return getattr(self, '_m_has_data', None)

            @property
            def page_type(self):
                """The page type, bits 60-63 of the entry."""
                if hasattr(self, '_m_page_type'):
                    return self._m_page_type

                self._m_page_type = (self.page_type_be if self.is_be else self.page_type_le)
                return getattr(self, '_m_page_type', None)

            @property
            def pfn_high(self):
                """Bits 32-51 of the PFN, as a number below 2^20."""
                if hasattr(self, '_m_pfn_high'):
                    return self._m_pfn_high

                self._m_pfn_high = (self.pfn_high_be if self.is_be else self.pfn_high_le)
                return getattr(self, '_m_pfn_high', None)

            @property
            def pfn_low(self):
                """Bits 0-31 of the PFN."""
                if hasattr(self, '_m_pfn_low'):
                    return self._m_pfn_low

                self._m_pfn_low = (self.pfn_low_be if self.is_be else self.pfn_low_le)
                return getattr(self, '_m_pfn_low', None)


        class Record(KaitaiStruct):
            """One record: type, body length, body, then zero padding to an 8-octet
            boundary. A body of a type not listed here, or of a type whose body
            this description leaves opaque, is kept as raw octets.
            
            .. seealso::
               spec/libxc-stream.md#framing
            """
            def __init__(self, is_be, page_size, ofs_record, _io, _parent=None, _root=None, _is_le=None):
                super(XenLibxcStream.StreamSection.Record, self).__init__(_io)
                self._parent = _parent
                self._root = _root
                self._is_le = _is_le
                self.is_be = is_be
                self.page_size = page_size
                self.ofs_record = ofs_record
                self._read()

            def _read(self):
                if not hasattr(self, '_is_le'):
                    raise kaitaistruct.UndecidedEndiannessError("/types/stream_section/types/record")
                elif self._is_le == True:
                    self._read_le()
                elif self._is_le == False:
                    self._read_be()

            def _read_le(self):
                self.rec_type = KaitaiStream.resolve_enum(XenLibxcStream.RecType, self._io.read_u4le())
                self.len_body = self._io.read_u4le()
                _on = self.rec_type
                if _on == XenLibxcStream.RecType.checkpoint_dirty_pfn_list:
                    pass
                    self._raw_body = self._io.read_bytes(self.len_body)
                    _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                    self.body = XenLibxcStream.StreamSection.CheckpointDirtyPfnList(_io__raw_body, self, self._root, self._is_le)
                elif _on == XenLibxcStream.RecType.hvm_context:
                    pass
                    self._raw_body = self._io.read_bytes(self.len_body)
                    _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                    self.body = xen_hvm_context.XenHvmContext(_io__raw_body)
                elif _on == XenLibxcStream.RecType.hvm_params:
                    pass
                    self._raw_body = self._io.read_bytes(self.len_body)
                    _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                    self.body = XenLibxcStream.StreamSection.HvmParams(_io__raw_body, self, self._root, self._is_le)
                elif _on == XenLibxcStream.RecType.page_data:
                    pass
                    self._raw_body = self._io.read_bytes(self.len_body)
                    _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                    self.body = XenLibxcStream.StreamSection.PageData(self.is_be, self.page_size, _io__raw_body, self, self._root, self._is_le)
                elif _on == XenLibxcStream.RecType.x86_cpuid_policy:
                    pass
                    self._raw_body = self._io.read_bytes(self.len_body)
                    _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                    self.body = XenLibxcStream.StreamSection.X86CpuidPolicy(_io__raw_body, self, self._root, self._is_le)
                elif _on == XenLibxcStream.RecType.x86_msr_policy:
                    pass
                    self._raw_body = self._io.read_bytes(self.len_body)
                    _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                    self.body = XenLibxcStream.StreamSection.X86MsrPolicy(_io__raw_body, self, self._root, self._is_le)
                elif _on == XenLibxcStream.RecType.x86_pv_info:
                    pass
                    self._raw_body = self._io.read_bytes(self.len_body)
                    _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                    self.body = XenLibxcStream.StreamSection.X86PvInfo(_io__raw_body, self, self._root, self._is_le)
                elif _on == XenLibxcStream.RecType.x86_pv_p2m_frames:
                    pass
                    self._raw_body = self._io.read_bytes(self.len_body)
                    _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                    self.body = XenLibxcStream.StreamSection.X86PvP2mFrames(_io__raw_body, self, self._root, self._is_le)
                elif _on == XenLibxcStream.RecType.x86_pv_vcpu_basic:
                    pass
                    self._raw_body = self._io.read_bytes(self.len_body)
                    _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                    self.body = XenLibxcStream.StreamSection.X86PvVcpuContext(self.is_be, True, _io__raw_body, self, self._root, self._is_le)
                elif _on == XenLibxcStream.RecType.x86_pv_vcpu_extended:
                    pass
                    self._raw_body = self._io.read_bytes(self.len_body)
                    _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                    self.body = XenLibxcStream.StreamSection.X86PvVcpuContext(self.is_be, False, _io__raw_body, self, self._root, self._is_le)
                elif _on == XenLibxcStream.RecType.x86_pv_vcpu_msrs:
                    pass
                    self._raw_body = self._io.read_bytes(self.len_body)
                    _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                    self.body = XenLibxcStream.StreamSection.X86PvVcpuContext(self.is_be, False, _io__raw_body, self, self._root, self._is_le)
                elif _on == XenLibxcStream.RecType.x86_pv_vcpu_xsave:
                    pass
                    self._raw_body = self._io.read_bytes(self.len_body)
                    _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                    self.body = XenLibxcStream.StreamSection.X86PvVcpuContext(self.is_be, False, _io__raw_body, self, self._root, self._is_le)
                elif _on == XenLibxcStream.RecType.x86_tsc_info:
                    pass
                    self._raw_body = self._io.read_bytes(self.len_body)
                    _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                    self.body = XenLibxcStream.StreamSection.X86TscInfo(_io__raw_body, self, self._root, self._is_le)
                else:
                    pass
                    self.body = self._io.read_bytes(self.len_body)
                self.padding = []
                for i in range((8 - self.len_body % 8) % 8):
                    self.padding.append(self._io.read_u1())
                    if not self.padding[i] == 0:
                        raise kaitaistruct.ValidationNotEqualError(0, self.padding[i], self._io, u"/types/stream_section/types/record/seq/3")


            def _read_be(self):
                self.rec_type = KaitaiStream.resolve_enum(XenLibxcStream.RecType, self._io.read_u4be())
                self.len_body = self._io.read_u4be()
                _on = self.rec_type
                if _on == XenLibxcStream.RecType.checkpoint_dirty_pfn_list:
                    pass
                    self._raw_body = self._io.read_bytes(self.len_body)
                    _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                    self.body = XenLibxcStream.StreamSection.CheckpointDirtyPfnList(_io__raw_body, self, self._root, self._is_le)
                elif _on == XenLibxcStream.RecType.hvm_context:
                    pass
                    self._raw_body = self._io.read_bytes(self.len_body)
                    _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                    self.body = xen_hvm_context.XenHvmContext(_io__raw_body)
                elif _on == XenLibxcStream.RecType.hvm_params:
                    pass
                    self._raw_body = self._io.read_bytes(self.len_body)
                    _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                    self.body = XenLibxcStream.StreamSection.HvmParams(_io__raw_body, self, self._root, self._is_le)
                elif _on == XenLibxcStream.RecType.page_data:
                    pass
                    self._raw_body = self._io.read_bytes(self.len_body)
                    _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                    self.body = XenLibxcStream.StreamSection.PageData(self.is_be, self.page_size, _io__raw_body, self, self._root, self._is_le)
                elif _on == XenLibxcStream.RecType.x86_cpuid_policy:
                    pass
                    self._raw_body = self._io.read_bytes(self.len_body)
                    _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                    self.body = XenLibxcStream.StreamSection.X86CpuidPolicy(_io__raw_body, self, self._root, self._is_le)
                elif _on == XenLibxcStream.RecType.x86_msr_policy:
                    pass
                    self._raw_body = self._io.read_bytes(self.len_body)
                    _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                    self.body = XenLibxcStream.StreamSection.X86MsrPolicy(_io__raw_body, self, self._root, self._is_le)
                elif _on == XenLibxcStream.RecType.x86_pv_info:
                    pass
                    self._raw_body = self._io.read_bytes(self.len_body)
                    _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                    self.body = XenLibxcStream.StreamSection.X86PvInfo(_io__raw_body, self, self._root, self._is_le)
                elif _on == XenLibxcStream.RecType.x86_pv_p2m_frames:
                    pass
                    self._raw_body = self._io.read_bytes(self.len_body)
                    _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                    self.body = XenLibxcStream.StreamSection.X86PvP2mFrames(_io__raw_body, self, self._root, self._is_le)
                elif _on == XenLibxcStream.RecType.x86_pv_vcpu_basic:
                    pass
                    self._raw_body = self._io.read_bytes(self.len_body)
                    _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                    self.body = XenLibxcStream.StreamSection.X86PvVcpuContext(self.is_be, True, _io__raw_body, self, self._root, self._is_le)
                elif _on == XenLibxcStream.RecType.x86_pv_vcpu_extended:
                    pass
                    self._raw_body = self._io.read_bytes(self.len_body)
                    _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                    self.body = XenLibxcStream.StreamSection.X86PvVcpuContext(self.is_be, False, _io__raw_body, self, self._root, self._is_le)
                elif _on == XenLibxcStream.RecType.x86_pv_vcpu_msrs:
                    pass
                    self._raw_body = self._io.read_bytes(self.len_body)
                    _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                    self.body = XenLibxcStream.StreamSection.X86PvVcpuContext(self.is_be, False, _io__raw_body, self, self._root, self._is_le)
                elif _on == XenLibxcStream.RecType.x86_pv_vcpu_xsave:
                    pass
                    self._raw_body = self._io.read_bytes(self.len_body)
                    _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                    self.body = XenLibxcStream.StreamSection.X86PvVcpuContext(self.is_be, False, _io__raw_body, self, self._root, self._is_le)
                elif _on == XenLibxcStream.RecType.x86_tsc_info:
                    pass
                    self._raw_body = self._io.read_bytes(self.len_body)
                    _io__raw_body = KaitaiStream(BytesIO(self._raw_body))
                    self.body = XenLibxcStream.StreamSection.X86TscInfo(_io__raw_body, self, self._root, self._is_le)
                else:
                    pass
                    self.body = self._io.read_bytes(self.len_body)
                self.padding = []
                for i in range((8 - self.len_body % 8) % 8):
                    self.padding.append(self._io.read_u1())
                    if not self.padding[i] == 0:
                        raise kaitaistruct.ValidationNotEqualError(0, self.padding[i], self._io, u"/types/stream_section/types/record/seq/3")



            def _fetch_instances(self):
                pass
                _on = self.rec_type
                if _on == XenLibxcStream.RecType.checkpoint_dirty_pfn_list:
                    pass
                    self.body._fetch_instances()
                elif _on == XenLibxcStream.RecType.hvm_context:
                    pass
                    self.body._fetch_instances()
                elif _on == XenLibxcStream.RecType.hvm_params:
                    pass
                    self.body._fetch_instances()
                elif _on == XenLibxcStream.RecType.page_data:
                    pass
                    self.body._fetch_instances()
                elif _on == XenLibxcStream.RecType.x86_cpuid_policy:
                    pass
                    self.body._fetch_instances()
                elif _on == XenLibxcStream.RecType.x86_msr_policy:
                    pass
                    self.body._fetch_instances()
                elif _on == XenLibxcStream.RecType.x86_pv_info:
                    pass
                    self.body._fetch_instances()
                elif _on == XenLibxcStream.RecType.x86_pv_p2m_frames:
                    pass
                    self.body._fetch_instances()
                elif _on == XenLibxcStream.RecType.x86_pv_vcpu_basic:
                    pass
                    self.body._fetch_instances()
                elif _on == XenLibxcStream.RecType.x86_pv_vcpu_extended:
                    pass
                    self.body._fetch_instances()
                elif _on == XenLibxcStream.RecType.x86_pv_vcpu_msrs:
                    pass
                    self.body._fetch_instances()
                elif _on == XenLibxcStream.RecType.x86_pv_vcpu_xsave:
                    pass
                    self.body._fetch_instances()
                elif _on == XenLibxcStream.RecType.x86_tsc_info:
                    pass
                    self.body._fetch_instances()
                else:
                    pass
                for i in range(len(self.padding)):
                    pass

                _ = self.rec_type_raw
                if hasattr(self, '_m_rec_type_raw'):
                    pass


            @property
            def is_align_pad(self):
                """True for ALIGN_PAD (type 0xfffffff0), xensave's optional padding
                record, not one of Xen's types: its zero body puts the contents
                of the PAGE_DATA record that follows on a 4096-octet boundary of
                the file, and Xen's restorer skips it as it skips any optional
                record. It is not in the `rec_type` enum because C# cannot hold
                an enum value of 2^31 or more, and the type is tested in two
                halves because JavaScript cannot hold such a literal in an
                expression.
                
                .. seealso::
                   spec/libxc-stream.md#align-pad
                """
                if hasattr(self, '_m_is_align_pad'):
                    return self._m_is_align_pad

                self._m_is_align_pad =  ((self.rec_type_raw >> 16 == 65535) and (self.rec_type_raw & 65535 == 65520)) 
                return getattr(self, '_m_is_align_pad', None)

            @property
            def is_checkpoint(self):
                """True for a CHECKPOINT record."""
                if hasattr(self, '_m_is_checkpoint'):
                    return self._m_is_checkpoint

                self._m_is_checkpoint = self.rec_type == XenLibxcStream.RecType.checkpoint
                return getattr(self, '_m_is_checkpoint', None)

            @property
            def is_end(self):
                """True for the END record that closes the stream."""
                if hasattr(self, '_m_is_end'):
                    return self._m_is_end

                self._m_is_end = self.rec_type == XenLibxcStream.RecType.end
                return getattr(self, '_m_is_end', None)

            @property
            def is_optional(self):
                """True when bit 31 of the type is set, so a restorer may ignore the
                record. (A shift rather than a comparison with 0x7fffffff: the
                Rust target compares 32-bit values as signed.)
                """
                if hasattr(self, '_m_is_optional'):
                    return self._m_is_optional

                self._m_is_optional = self.rec_type_raw >> 31 != 0
                return getattr(self, '_m_is_optional', None)

            @property
            def rec_type_raw(self):
                """The type word read again, as a plain unsigned number. `rec_type`
                cannot give bit 31 in every target: an optional type is never
                in the enum, and C++ and C# then hold it as a negative number,
                Java not at all (null).
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


        class X86CpuidPolicy(KaitaiStruct):
            """The guest's CPUID policy as a list of leaves.
            
            .. seealso::
               spec/libxc-stream.md#x86_cpuid_policy-and-x86_msr_policy
            """
            def __init__(self, _io, _parent=None, _root=None, _is_le=None):
                super(XenLibxcStream.StreamSection.X86CpuidPolicy, self).__init__(_io)
                self._parent = _parent
                self._root = _root
                self._is_le = _is_le
                self._read()

            def _read(self):
                if not hasattr(self, '_is_le'):
                    raise kaitaistruct.UndecidedEndiannessError("/types/stream_section/types/x86_cpuid_policy")
                elif self._is_le == True:
                    self._read_le()
                elif self._is_le == False:
                    self._read_be()

            def _read_le(self):
                self.leaves = []
                i = 0
                while not self._io.is_eof():
                    self.leaves.append(XenLibxcStream.StreamSection.CpuidLeaf(self._io, self, self._root, self._is_le))
                    i += 1


            def _read_be(self):
                self.leaves = []
                i = 0
                while not self._io.is_eof():
                    self.leaves.append(XenLibxcStream.StreamSection.CpuidLeaf(self._io, self, self._root, self._is_le))
                    i += 1



            def _fetch_instances(self):
                pass
                for i in range(len(self.leaves)):
                    pass
                    self.leaves[i]._fetch_instances()



        class X86MsrPolicy(KaitaiStruct):
            """The guest's MSR policy as a list of entries.
            
            .. seealso::
               spec/libxc-stream.md#x86_cpuid_policy-and-x86_msr_policy
            """
            def __init__(self, _io, _parent=None, _root=None, _is_le=None):
                super(XenLibxcStream.StreamSection.X86MsrPolicy, self).__init__(_io)
                self._parent = _parent
                self._root = _root
                self._is_le = _is_le
                self._read()

            def _read(self):
                if not hasattr(self, '_is_le'):
                    raise kaitaistruct.UndecidedEndiannessError("/types/stream_section/types/x86_msr_policy")
                elif self._is_le == True:
                    self._read_le()
                elif self._is_le == False:
                    self._read_be()

            def _read_le(self):
                self.entries = []
                i = 0
                while not self._io.is_eof():
                    self.entries.append(XenLibxcStream.StreamSection.MsrEntry(self._io, self, self._root, self._is_le))
                    i += 1


            def _read_be(self):
                self.entries = []
                i = 0
                while not self._io.is_eof():
                    self.entries.append(XenLibxcStream.StreamSection.MsrEntry(self._io, self, self._root, self._is_le))
                    i += 1



            def _fetch_instances(self):
                pass
                for i in range(len(self.entries)):
                    pass
                    self.entries[i]._fetch_instances()



        class X86PvInfo(KaitaiStruct):
            """Width and paging depth of an x86 PV guest; must precede the records that depend on them.
            
            .. seealso::
               spec/libxc-stream.md#x86_pv_info
            """
            def __init__(self, _io, _parent=None, _root=None, _is_le=None):
                super(XenLibxcStream.StreamSection.X86PvInfo, self).__init__(_io)
                self._parent = _parent
                self._root = _root
                self._is_le = _is_le
                self._read()

            def _read(self):
                if not hasattr(self, '_is_le'):
                    raise kaitaistruct.UndecidedEndiannessError("/types/stream_section/types/x86_pv_info")
                elif self._is_le == True:
                    self._read_le()
                elif self._is_le == False:
                    self._read_be()

            def _read_le(self):
                self.guest_width = self._io.read_u1()
                if not  ((self.guest_width == 4) or (self.guest_width == 8)) :
                    raise kaitaistruct.ValidationNotAnyOfError(self.guest_width, self._io, u"/types/stream_section/types/x86_pv_info/seq/0")
                self.pt_levels = self._io.read_u1()
                if not  ((self.pt_levels == 3) or (self.pt_levels == 4)) :
                    raise kaitaistruct.ValidationNotAnyOfError(self.pt_levels, self._io, u"/types/stream_section/types/x86_pv_info/seq/1")
                self.reserved = self._io.read_bytes(6)
                if not self.reserved == b"\x00\x00\x00\x00\x00\x00":
                    raise kaitaistruct.ValidationNotEqualError(b"\x00\x00\x00\x00\x00\x00", self.reserved, self._io, u"/types/stream_section/types/x86_pv_info/seq/2")

            def _read_be(self):
                self.guest_width = self._io.read_u1()
                if not  ((self.guest_width == 4) or (self.guest_width == 8)) :
                    raise kaitaistruct.ValidationNotAnyOfError(self.guest_width, self._io, u"/types/stream_section/types/x86_pv_info/seq/0")
                self.pt_levels = self._io.read_u1()
                if not  ((self.pt_levels == 3) or (self.pt_levels == 4)) :
                    raise kaitaistruct.ValidationNotAnyOfError(self.pt_levels, self._io, u"/types/stream_section/types/x86_pv_info/seq/1")
                self.reserved = self._io.read_bytes(6)
                if not self.reserved == b"\x00\x00\x00\x00\x00\x00":
                    raise kaitaistruct.ValidationNotEqualError(b"\x00\x00\x00\x00\x00\x00", self.reserved, self._io, u"/types/stream_section/types/x86_pv_info/seq/2")


            def _fetch_instances(self):
                pass


        class X86PvP2mFrames(KaitaiStruct):
            """Where an x86 PV guest keeps its physical-to-machine table: the
            frames holding the table entries for a range of PFNs.
            
            .. seealso::
               spec/libxc-stream.md#x86_pv_p2m_frames
            """
            def __init__(self, _io, _parent=None, _root=None, _is_le=None):
                super(XenLibxcStream.StreamSection.X86PvP2mFrames, self).__init__(_io)
                self._parent = _parent
                self._root = _root
                self._is_le = _is_le
                self._read()

            def _read(self):
                if not hasattr(self, '_is_le'):
                    raise kaitaistruct.UndecidedEndiannessError("/types/stream_section/types/x86_pv_p2m_frames")
                elif self._is_le == True:
                    self._read_le()
                elif self._is_le == False:
                    self._read_be()

            def _read_le(self):
                self.p2m_start_pfn = self._io.read_u4le()
                self.p2m_end_pfn = self._io.read_u4le()
                self.p2m_pfns = []
                i = 0
                while not self._io.is_eof():
                    self.p2m_pfns.append(self._io.read_u8le())
                    i += 1


            def _read_be(self):
                self.p2m_start_pfn = self._io.read_u4be()
                self.p2m_end_pfn = self._io.read_u4be()
                self.p2m_pfns = []
                i = 0
                while not self._io.is_eof():
                    self.p2m_pfns.append(self._io.read_u8be())
                    i += 1



            def _fetch_instances(self):
                pass
                for i in range(len(self.p2m_pfns)):
                    pass



        class X86PvVcpuContext(KaitaiStruct):
            """Shared layout of the four x86 PV vCPU records (BASIC, EXTENDED,
            XSAVE, MSRS): the vCPU it belongs to and a block of state as the
            matching domctl hypercall exchanges it. BASIC's block is decoded
            (xen_pv_vcpu_context.ksy); the others are kept as octets.
            
            .. seealso::
               spec/libxc-stream.md#x86_pv_vcpu_basic-_extended-_xsave-_msrs
            """
            def __init__(self, is_be, is_basic, _io, _parent=None, _root=None, _is_le=None):
                super(XenLibxcStream.StreamSection.X86PvVcpuContext, self).__init__(_io)
                self._parent = _parent
                self._root = _root
                self._is_le = _is_le
                self.is_be = is_be
                self.is_basic = is_basic
                self._read()

            def _read(self):
                if not hasattr(self, '_is_le'):
                    raise kaitaistruct.UndecidedEndiannessError("/types/stream_section/types/x86_pv_vcpu_context")
                elif self._is_le == True:
                    self._read_le()
                elif self._is_le == False:
                    self._read_be()

            def _read_le(self):
                self.vcpu_id = self._io.read_u4le()
                self.reserved = self._io.read_u4le()
                if not self.reserved == 0:
                    raise kaitaistruct.ValidationNotEqualError(0, self.reserved, self._io, u"/types/stream_section/types/x86_pv_vcpu_context/seq/1")
                _on = (self._io.size() - 8 if self.is_basic else 0)
                if _on == 2800:
                    pass
                    self._raw_context = self._io.read_bytes_full()
                    _io__raw_context = KaitaiStream(BytesIO(self._raw_context))
                    self.context = xen_pv_vcpu_context.XenPvVcpuContext(self.is_be, 4, _io__raw_context)
                elif _on == 5168:
                    pass
                    self._raw_context = self._io.read_bytes_full()
                    _io__raw_context = KaitaiStream(BytesIO(self._raw_context))
                    self.context = xen_pv_vcpu_context.XenPvVcpuContext(self.is_be, 8, _io__raw_context)
                else:
                    pass
                    self.context = self._io.read_bytes_full()

            def _read_be(self):
                self.vcpu_id = self._io.read_u4be()
                self.reserved = self._io.read_u4be()
                if not self.reserved == 0:
                    raise kaitaistruct.ValidationNotEqualError(0, self.reserved, self._io, u"/types/stream_section/types/x86_pv_vcpu_context/seq/1")
                _on = (self._io.size() - 8 if self.is_basic else 0)
                if _on == 2800:
                    pass
                    self._raw_context = self._io.read_bytes_full()
                    _io__raw_context = KaitaiStream(BytesIO(self._raw_context))
                    self.context = xen_pv_vcpu_context.XenPvVcpuContext(self.is_be, 4, _io__raw_context)
                elif _on == 5168:
                    pass
                    self._raw_context = self._io.read_bytes_full()
                    _io__raw_context = KaitaiStream(BytesIO(self._raw_context))
                    self.context = xen_pv_vcpu_context.XenPvVcpuContext(self.is_be, 8, _io__raw_context)
                else:
                    pass
                    self.context = self._io.read_bytes_full()


            def _fetch_instances(self):
                pass
                _on = (self._io.size() - 8 if self.is_basic else 0)
                if _on == 2800:
                    pass
                    self.context._fetch_instances()
                elif _on == 5168:
                    pass
                    self.context._fetch_instances()
                else:
                    pass


        class X86TscInfo(KaitaiStruct):
            """How the guest's time stamp counter behaves and where it stood when saved.
            
            .. seealso::
               spec/libxc-stream.md#x86_tsc_info
            """
            def __init__(self, _io, _parent=None, _root=None, _is_le=None):
                super(XenLibxcStream.StreamSection.X86TscInfo, self).__init__(_io)
                self._parent = _parent
                self._root = _root
                self._is_le = _is_le
                self._read()

            def _read(self):
                if not hasattr(self, '_is_le'):
                    raise kaitaistruct.UndecidedEndiannessError("/types/stream_section/types/x86_tsc_info")
                elif self._is_le == True:
                    self._read_le()
                elif self._is_le == False:
                    self._read_be()

            def _read_le(self):
                self.mode = KaitaiStream.resolve_enum(XenLibxcStream.TscMode, self._io.read_u4le())
                if not isinstance(self.mode, XenLibxcStream.TscMode):
                    raise kaitaistruct.ValidationNotInEnumError(self.mode, self._io, u"/types/stream_section/types/x86_tsc_info/seq/0")
                self.khz = self._io.read_u4le()
                self.nsec = self._io.read_u8le()
                self.incarnation = self._io.read_u4le()
                self.reserved = self._io.read_u4le()
                if not self.reserved == 0:
                    raise kaitaistruct.ValidationNotEqualError(0, self.reserved, self._io, u"/types/stream_section/types/x86_tsc_info/seq/4")

            def _read_be(self):
                self.mode = KaitaiStream.resolve_enum(XenLibxcStream.TscMode, self._io.read_u4be())
                if not isinstance(self.mode, XenLibxcStream.TscMode):
                    raise kaitaistruct.ValidationNotInEnumError(self.mode, self._io, u"/types/stream_section/types/x86_tsc_info/seq/0")
                self.khz = self._io.read_u4be()
                self.nsec = self._io.read_u8be()
                self.incarnation = self._io.read_u4be()
                self.reserved = self._io.read_u4be()
                if not self.reserved == 0:
                    raise kaitaistruct.ValidationNotEqualError(0, self.reserved, self._io, u"/types/stream_section/types/x86_tsc_info/seq/4")


            def _fetch_instances(self):
                pass


        @property
        def ended_at_checkpoint(self):
            """True when these records stopped at a CHECKPOINT rather than at END."""
            if hasattr(self, '_m_ended_at_checkpoint'):
                return self._m_ended_at_checkpoint

            self._m_ended_at_checkpoint = self.records[-1].is_checkpoint
            return getattr(self, '_m_ended_at_checkpoint', None)

        @property
        def page_shift(self):
            """Page size of the stream as a power of two."""
            if hasattr(self, '_m_page_shift'):
                return self._m_page_shift

            self._m_page_shift = (self.domain_header.page_shift if self.has_domain_header else self.resumed_page_shift)
            return getattr(self, '_m_page_shift', None)

        @property
        def page_size(self):
            """Octets in one guest page, and so in each page of PAGE_DATA. (The
            shift is at most 31; the largest case is spelled out so that no
            target computes it with a signed 32-bit shift.)
            """
            if hasattr(self, '_m_page_size'):
                return self._m_page_size

            self._m_page_size = (2147483648 if self.page_shift == 31 else (1 << self.page_shift))
            return getattr(self, '_m_page_size', None)



