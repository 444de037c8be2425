# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO
from enum import IntEnum


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class XenHvmContext(KaitaiStruct):
    """The state of an x86 HVM guest's virtual platform and vCPUs as the
    hypervisor hands it to the toolstack: the body of a libxc HVM_CONTEXT
    record, and the HVM context chunk of a legacy (Xen 4.5 and older) image.
    It is a run of entries. Each entry is an 8-octet descriptor (typecode,
    instance, payload length) and then the payload. The first entry is a
    HEADER; an entry with typecode 0 (END) closes the blob. Per-vCPU
    entries use the vCPU id as instance.
    
    The blob is hypervisor state of a little-endian machine, and stays
    little-endian whatever byte order the stream around it uses.
    
    Xen's restore matches most payload lengths exactly against the
    structure of the typecode; a few (CPU, LAPIC, RTC, VIRIDIAN_DOMAIN,
    VIRIDIAN_VCPU, VMCE_VCPU) may be shorter, older layouts that Xen
    zero-extends, and two (CPU_XSAVE, CPU_MSR) have a variable length.
    Fields a shorter entry does not reach are absent here; the octets of a
    field cut short are in `partial`. Rules HVM-*: spec/hvm-context.md.
    
    .. seealso::
       spec/hvm-context.md#overview
    
    
    .. seealso::
       Source - https://xenbits.xen.org/gitweb/?p=xen.git;a=blob;f=xen/include/public/arch-x86/hvm/save.h
    """

    class Typecode(IntEnum):
        end = 0
        header = 1
        cpu = 2
        pic = 3
        ioapic = 4
        lapic = 5
        lapic_regs = 6
        pci_irq = 7
        isa_irq = 8
        pci_link = 9
        pit = 10
        rtc = 11
        hpet = 12
        pmtimer = 13
        mtrr = 14
        viridian_domain = 15
        cpu_xsave = 16
        viridian_vcpu = 17
        vmce_vcpu = 18
        tsc_adjust = 19
        cpu_msr = 20
    def __init__(self, _io, _parent=None, _root=None):
        super(XenHvmContext, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self._read()

    def _read(self):
        self.header = XenHvmContext.HeaderEntry(self._io, self, self._root)
        self.entries = []
        i = 0
        while True:
            _ = XenHvmContext.Entry(self._io, self, self._root)
            self.entries.append(_)
            if _.is_end:
                break
            i += 1
        self.trailing = self._io.read_bytes_full()


    def _fetch_instances(self):
        pass
        self.header._fetch_instances()
        for i in range(len(self.entries)):
            pass
            self.entries[i]._fetch_instances()


    class Entry(KaitaiStruct):
        """One entry: descriptor and payload. The payload of a typecode this
        description does not list is kept as raw octets.
        
        .. seealso::
           spec/hvm-context.md#descriptor
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenHvmContext.Entry, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.typecode = KaitaiStream.resolve_enum(XenHvmContext.Typecode, self._io.read_u2le())
            self.instance = self._io.read_u2le()
            self.len_payload = self._io.read_u4le()
            _on = self.typecode
            if _on == XenHvmContext.Typecode.cpu:
                pass
                self._raw_payload = self._io.read_bytes((0 if self.typecode == XenHvmContext.Typecode.end else self.len_payload))
                _io__raw_payload = KaitaiStream(BytesIO(self._raw_payload))
                self.payload = XenHvmContext.HvmHwCpu(_io__raw_payload, self, self._root)
            elif _on == XenHvmContext.Typecode.cpu_msr:
                pass
                self._raw_payload = self._io.read_bytes((0 if self.typecode == XenHvmContext.Typecode.end else self.len_payload))
                _io__raw_payload = KaitaiStream(BytesIO(self._raw_payload))
                self.payload = XenHvmContext.HvmMsr(_io__raw_payload, self, self._root)
            elif _on == XenHvmContext.Typecode.cpu_xsave:
                pass
                self._raw_payload = self._io.read_bytes((0 if self.typecode == XenHvmContext.Typecode.end else self.len_payload))
                _io__raw_payload = KaitaiStream(BytesIO(self._raw_payload))
                self.payload = XenHvmContext.HvmHwCpuXsave(_io__raw_payload, self, self._root)
            elif _on == XenHvmContext.Typecode.header:
                pass
                self._raw_payload = self._io.read_bytes((0 if self.typecode == XenHvmContext.Typecode.end else self.len_payload))
                _io__raw_payload = KaitaiStream(BytesIO(self._raw_payload))
                self.payload = XenHvmContext.HvmSaveHeader(_io__raw_payload, self, self._root)
            elif _on == XenHvmContext.Typecode.hpet:
                pass
                self._raw_payload = self._io.read_bytes((0 if self.typecode == XenHvmContext.Typecode.end else self.len_payload))
                _io__raw_payload = KaitaiStream(BytesIO(self._raw_payload))
                self.payload = XenHvmContext.HvmHwHpet(_io__raw_payload, self, self._root)
            elif _on == XenHvmContext.Typecode.ioapic:
                pass
                self._raw_payload = self._io.read_bytes((0 if self.typecode == XenHvmContext.Typecode.end else self.len_payload))
                _io__raw_payload = KaitaiStream(BytesIO(self._raw_payload))
                self.payload = XenHvmContext.HvmHwVioapic(_io__raw_payload, self, self._root)
            elif _on == XenHvmContext.Typecode.isa_irq:
                pass
                self._raw_payload = self._io.read_bytes((0 if self.typecode == XenHvmContext.Typecode.end else self.len_payload))
                _io__raw_payload = KaitaiStream(BytesIO(self._raw_payload))
                self.payload = XenHvmContext.HvmHwIsaIrqs(_io__raw_payload, self, self._root)
            elif _on == XenHvmContext.Typecode.lapic:
                pass
                self._raw_payload = self._io.read_bytes((0 if self.typecode == XenHvmContext.Typecode.end else self.len_payload))
                _io__raw_payload = KaitaiStream(BytesIO(self._raw_payload))
                self.payload = XenHvmContext.HvmHwLapic(_io__raw_payload, self, self._root)
            elif _on == XenHvmContext.Typecode.lapic_regs:
                pass
                self._raw_payload = self._io.read_bytes((0 if self.typecode == XenHvmContext.Typecode.end else self.len_payload))
                _io__raw_payload = KaitaiStream(BytesIO(self._raw_payload))
                self.payload = XenHvmContext.HvmHwLapicRegs(_io__raw_payload, self, self._root)
            elif _on == XenHvmContext.Typecode.mtrr:
                pass
                self._raw_payload = self._io.read_bytes((0 if self.typecode == XenHvmContext.Typecode.end else self.len_payload))
                _io__raw_payload = KaitaiStream(BytesIO(self._raw_payload))
                self.payload = XenHvmContext.HvmHwMtrr(_io__raw_payload, self, self._root)
            elif _on == XenHvmContext.Typecode.pci_irq:
                pass
                self._raw_payload = self._io.read_bytes((0 if self.typecode == XenHvmContext.Typecode.end else self.len_payload))
                _io__raw_payload = KaitaiStream(BytesIO(self._raw_payload))
                self.payload = XenHvmContext.HvmHwPciIrqs(_io__raw_payload, self, self._root)
            elif _on == XenHvmContext.Typecode.pci_link:
                pass
                self._raw_payload = self._io.read_bytes((0 if self.typecode == XenHvmContext.Typecode.end else self.len_payload))
                _io__raw_payload = KaitaiStream(BytesIO(self._raw_payload))
                self.payload = XenHvmContext.HvmHwPciLink(_io__raw_payload, self, self._root)
            elif _on == XenHvmContext.Typecode.pic:
                pass
                self._raw_payload = self._io.read_bytes((0 if self.typecode == XenHvmContext.Typecode.end else self.len_payload))
                _io__raw_payload = KaitaiStream(BytesIO(self._raw_payload))
                self.payload = XenHvmContext.HvmHwVpic(_io__raw_payload, self, self._root)
            elif _on == XenHvmContext.Typecode.pit:
                pass
                self._raw_payload = self._io.read_bytes((0 if self.typecode == XenHvmContext.Typecode.end else self.len_payload))
                _io__raw_payload = KaitaiStream(BytesIO(self._raw_payload))
                self.payload = XenHvmContext.HvmHwPit(_io__raw_payload, self, self._root)
            elif _on == XenHvmContext.Typecode.pmtimer:
                pass
                self._raw_payload = self._io.read_bytes((0 if self.typecode == XenHvmContext.Typecode.end else self.len_payload))
                _io__raw_payload = KaitaiStream(BytesIO(self._raw_payload))
                self.payload = XenHvmContext.HvmHwPmtimer(_io__raw_payload, self, self._root)
            elif _on == XenHvmContext.Typecode.rtc:
                pass
                self._raw_payload = self._io.read_bytes((0 if self.typecode == XenHvmContext.Typecode.end else self.len_payload))
                _io__raw_payload = KaitaiStream(BytesIO(self._raw_payload))
                self.payload = XenHvmContext.HvmHwRtc(_io__raw_payload, self, self._root)
            elif _on == XenHvmContext.Typecode.tsc_adjust:
                pass
                self._raw_payload = self._io.read_bytes((0 if self.typecode == XenHvmContext.Typecode.end else self.len_payload))
                _io__raw_payload = KaitaiStream(BytesIO(self._raw_payload))
                self.payload = XenHvmContext.HvmTscAdjust(_io__raw_payload, self, self._root)
            elif _on == XenHvmContext.Typecode.viridian_domain:
                pass
                self._raw_payload = self._io.read_bytes((0 if self.typecode == XenHvmContext.Typecode.end else self.len_payload))
                _io__raw_payload = KaitaiStream(BytesIO(self._raw_payload))
                self.payload = XenHvmContext.HvmViridianDomainContext(_io__raw_payload, self, self._root)
            elif _on == XenHvmContext.Typecode.viridian_vcpu:
                pass
                self._raw_payload = self._io.read_bytes((0 if self.typecode == XenHvmContext.Typecode.end else self.len_payload))
                _io__raw_payload = KaitaiStream(BytesIO(self._raw_payload))
                self.payload = XenHvmContext.HvmViridianVcpuContext(_io__raw_payload, self, self._root)
            elif _on == XenHvmContext.Typecode.vmce_vcpu:
                pass
                self._raw_payload = self._io.read_bytes((0 if self.typecode == XenHvmContext.Typecode.end else self.len_payload))
                _io__raw_payload = KaitaiStream(BytesIO(self._raw_payload))
                self.payload = XenHvmContext.HvmVmceVcpu(_io__raw_payload, self, self._root)
            else:
                pass
                self.payload = self._io.read_bytes((0 if self.typecode == XenHvmContext.Typecode.end else self.len_payload))


        def _fetch_instances(self):
            pass
            _on = self.typecode
            if _on == XenHvmContext.Typecode.cpu:
                pass
                self.payload._fetch_instances()
            elif _on == XenHvmContext.Typecode.cpu_msr:
                pass
                self.payload._fetch_instances()
            elif _on == XenHvmContext.Typecode.cpu_xsave:
                pass
                self.payload._fetch_instances()
            elif _on == XenHvmContext.Typecode.header:
                pass
                self.payload._fetch_instances()
            elif _on == XenHvmContext.Typecode.hpet:
                pass
                self.payload._fetch_instances()
            elif _on == XenHvmContext.Typecode.ioapic:
                pass
                self.payload._fetch_instances()
            elif _on == XenHvmContext.Typecode.isa_irq:
                pass
                self.payload._fetch_instances()
            elif _on == XenHvmContext.Typecode.lapic:
                pass
                self.payload._fetch_instances()
            elif _on == XenHvmContext.Typecode.lapic_regs:
                pass
                self.payload._fetch_instances()
            elif _on == XenHvmContext.Typecode.mtrr:
                pass
                self.payload._fetch_instances()
            elif _on == XenHvmContext.Typecode.pci_irq:
                pass
                self.payload._fetch_instances()
            elif _on == XenHvmContext.Typecode.pci_link:
                pass
                self.payload._fetch_instances()
            elif _on == XenHvmContext.Typecode.pic:
                pass
                self.payload._fetch_instances()
            elif _on == XenHvmContext.Typecode.pit:
                pass
                self.payload._fetch_instances()
            elif _on == XenHvmContext.Typecode.pmtimer:
                pass
                self.payload._fetch_instances()
            elif _on == XenHvmContext.Typecode.rtc:
                pass
                self.payload._fetch_instances()
            elif _on == XenHvmContext.Typecode.tsc_adjust:
                pass
                self.payload._fetch_instances()
            elif _on == XenHvmContext.Typecode.viridian_domain:
                pass
                self.payload._fetch_instances()
            elif _on == XenHvmContext.Typecode.viridian_vcpu:
                pass
                self.payload._fetch_instances()
            elif _on == XenHvmContext.Typecode.vmce_vcpu:
                pass
                self.payload._fetch_instances()
            else:
                pass

        @property
        def is_end(self):
            """True for the END entry that closes the blob."""
            if hasattr(self, '_m_is_end'):
                return self._m_is_end

            self._m_is_end = self.typecode == XenHvmContext.Typecode.end
            return getattr(self, '_m_is_end', None)


    class HeaderEntry(KaitaiStruct):
        """The first entry: a descriptor with typecode 1 and length 24, and the
        header it announces.
        
        .. seealso::
           spec/hvm-context.md#header
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenHvmContext.HeaderEntry, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.typecode = self._io.read_u2le()
            if not self.typecode == 1:
                raise kaitaistruct.ValidationNotEqualError(1, self.typecode, self._io, u"/types/header_entry/seq/0")
            self.instance = self._io.read_u2le()
            self.len_payload = self._io.read_u4le()
            if not self.len_payload == 24:
                raise kaitaistruct.ValidationNotEqualError(24, self.len_payload, self._io, u"/types/header_entry/seq/2")
            self.payload = XenHvmContext.HvmSaveHeader(self._io, self, self._root)


        def _fetch_instances(self):
            pass
            self.payload._fetch_instances()


    class HvmHwCpu(KaitaiStruct):
        """CPU (typecode 2, per vCPU): the architectural register state of one
        vCPU. The current layout is 1032 octets. Xen zero-extends a shorter
        entry (HVM-SIZE-002); an entry of exactly 1016 octets is the older
        compat layout without msr_tsc_aux, flags and pad0, whose last three
        fields sit 8 octets lower (see `compat`). Fields past the end of a
        shorter entry are absent.
        
        .. seealso::
           spec/hvm-context.md#cpu
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenHvmContext.HvmHwCpu, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.fpu_regs = self._io.read_bytes(512)
            self.rax = self._io.read_u8le()
            self.rbx = self._io.read_u8le()
            self.rcx = self._io.read_u8le()
            self.rdx = self._io.read_u8le()
            self.rbp = self._io.read_u8le()
            self.rsi = self._io.read_u8le()
            self.rdi = self._io.read_u8le()
            self.rsp = self._io.read_u8le()
            self.r8 = self._io.read_u8le()
            self.r9 = self._io.read_u8le()
            self.r10 = self._io.read_u8le()
            self.r11 = self._io.read_u8le()
            self.r12 = self._io.read_u8le()
            self.r13 = self._io.read_u8le()
            self.r14 = self._io.read_u8le()
            self.r15 = self._io.read_u8le()
            self.rip = self._io.read_u8le()
            self.rflags = self._io.read_u8le()
            self.cr0 = self._io.read_u8le()
            self.cr2 = self._io.read_u8le()
            self.cr3 = self._io.read_u8le()
            self.cr4 = self._io.read_u8le()
            self.dr0 = self._io.read_u8le()
            self.dr1 = self._io.read_u8le()
            self.dr2 = self._io.read_u8le()
            self.dr3 = self._io.read_u8le()
            self.dr6 = self._io.read_u8le()
            self.dr7 = self._io.read_u8le()
            self.cs_sel = self._io.read_u4le()
            self.ds_sel = self._io.read_u4le()
            self.es_sel = self._io.read_u4le()
            self.fs_sel = self._io.read_u4le()
            self.gs_sel = self._io.read_u4le()
            self.ss_sel = self._io.read_u4le()
            self.tr_sel = self._io.read_u4le()
            self.ldtr_sel = self._io.read_u4le()
            self.cs_limit = self._io.read_u4le()
            self.ds_limit = self._io.read_u4le()
            self.es_limit = self._io.read_u4le()
            self.fs_limit = self._io.read_u4le()
            self.gs_limit = self._io.read_u4le()
            self.ss_limit = self._io.read_u4le()
            self.tr_limit = self._io.read_u4le()
            self.ldtr_limit = self._io.read_u4le()
            self.idtr_limit = self._io.read_u4le()
            self.gdtr_limit = self._io.read_u4le()
            self.cs_base = self._io.read_u8le()
            self.ds_base = self._io.read_u8le()
            self.es_base = self._io.read_u8le()
            self.fs_base = self._io.read_u8le()
            self.gs_base = self._io.read_u8le()
            self.ss_base = self._io.read_u8le()
            self.tr_base = self._io.read_u8le()
            self.ldtr_base = self._io.read_u8le()
            self.idtr_base = self._io.read_u8le()
            self.gdtr_base = self._io.read_u8le()
            self.cs_arbytes = self._io.read_u4le()
            self.ds_arbytes = self._io.read_u4le()
            self.es_arbytes = self._io.read_u4le()
            self.fs_arbytes = self._io.read_u4le()
            self.gs_arbytes = self._io.read_u4le()
            self.ss_arbytes = self._io.read_u4le()
            self.tr_arbytes = self._io.read_u4le()
            self.ldtr_arbytes = self._io.read_u4le()
            self.sysenter_cs = self._io.read_u8le()
            self.sysenter_esp = self._io.read_u8le()
            self.sysenter_eip = self._io.read_u8le()
            self.shadow_gs = self._io.read_u8le()
            if self._io.size() >= 960:
                pass
                self.msr_flags = self._io.read_u8le()

            if self._io.size() >= 968:
                pass
                self.msr_lstar = self._io.read_u8le()

            if self._io.size() >= 976:
                pass
                self.msr_star = self._io.read_u8le()

            if self._io.size() >= 984:
                pass
                self.msr_cstar = self._io.read_u8le()

            if self._io.size() >= 992:
                pass
                self.msr_syscall_mask = self._io.read_u8le()

            if self._io.size() >= 1000:
                pass
                self.msr_efer = self._io.read_u8le()

            if  ((self._io.size() >= 1008) and (self._io.size() != 1016)) :
                pass
                self.msr_tsc_aux = self._io.read_u8le()

            if  ((self._io.size() >= 1016) and (self._io.size() != 1016)) :
                pass
                self.tsc = self._io.read_u8le()

            if  ((self._io.size() >= 1020) and (self._io.size() != 1016)) :
                pass
                self.pending_event = self._io.read_u4le()

            if  ((self._io.size() >= 1024) and (self._io.size() != 1016)) :
                pass
                self.error_code = self._io.read_u4le()

            if  ((self._io.size() >= 1028) and (self._io.size() != 1016)) :
                pass
                self.flags = self._io.read_u4le()

            if self._io.size() >= 1032:
                pass
                self.pad0 = self._io.read_u4le()
                if not self.pad0 == 0:
                    raise kaitaistruct.ValidationNotEqualError(0, self.pad0, self._io, u"/types/hvm_hw_cpu/seq/80")

            if self._io.size() == 1016:
                pass
                self.compat = XenHvmContext.HvmHwCpuCompatTail(self._io, self, self._root)

            if  ((self._io.size() < 1032) and (self._io.size() != 1016)) :
                pass
                self.partial = self._io.read_bytes_full()

            if self._io.size() > 1032:
                pass
                self.excess = []
                i = 0
                while not self._io.is_eof():
                    self.excess.append(self._io.read_u1())
                    if not self.excess[i] >= 1:
                        raise kaitaistruct.ValidationLessThanError(1, self.excess[i], self._io, u"/types/hvm_hw_cpu/seq/83")
                    if not self.excess[i] <= 0:
                        raise kaitaistruct.ValidationGreaterThanError(0, self.excess[i], self._io, u"/types/hvm_hw_cpu/seq/83")
                    i += 1




        def _fetch_instances(self):
            pass
            if self._io.size() >= 960:
                pass

            if self._io.size() >= 968:
                pass

            if self._io.size() >= 976:
                pass

            if self._io.size() >= 984:
                pass

            if self._io.size() >= 992:
                pass

            if self._io.size() >= 1000:
                pass

            if  ((self._io.size() >= 1008) and (self._io.size() != 1016)) :
                pass

            if  ((self._io.size() >= 1016) and (self._io.size() != 1016)) :
                pass

            if  ((self._io.size() >= 1020) and (self._io.size() != 1016)) :
                pass

            if  ((self._io.size() >= 1024) and (self._io.size() != 1016)) :
                pass

            if  ((self._io.size() >= 1028) and (self._io.size() != 1016)) :
                pass

            if self._io.size() >= 1032:
                pass

            if self._io.size() == 1016:
                pass
                self.compat._fetch_instances()

            if  ((self._io.size() < 1032) and (self._io.size() != 1016)) :
                pass

            if self._io.size() > 1032:
                pass
                for i in range(len(self.excess)):
                    pass



        @property
        def pending_error_valid(self):
            """True when error_code goes with the pending event."""
            if hasattr(self, '_m_pending_error_valid'):
                return self._m_pending_error_valid

            if  ((self._io.size() >= 1020) and (self._io.size() != 1016)) :
                pass
                self._m_pending_error_valid = self.pending_event >> 11 & 1 != 0

            return getattr(self, '_m_pending_error_valid', None)

        @property
        def pending_type(self):
            """Type of the pending event (external interrupt, NMI, exception...)."""
            if hasattr(self, '_m_pending_type'):
                return self._m_pending_type

            if  ((self._io.size() >= 1020) and (self._io.size() != 1016)) :
                pass
                self._m_pending_type = self.pending_event >> 8 & 7

            return getattr(self, '_m_pending_type', None)

        @property
        def pending_valid(self):
            """True when an event is pending."""
            if hasattr(self, '_m_pending_valid'):
                return self._m_pending_valid

            if  ((self._io.size() >= 1020) and (self._io.size() != 1016)) :
                pass
                self._m_pending_valid = self.pending_event >> 31 != 0

            return getattr(self, '_m_pending_valid', None)

        @property
        def pending_vector(self):
            """Vector of the pending event."""
            if hasattr(self, '_m_pending_vector'):
                return self._m_pending_vector

            if  ((self._io.size() >= 1020) and (self._io.size() != 1016)) :
                pass
                self._m_pending_vector = self.pending_event & 255

            return getattr(self, '_m_pending_vector', None)


    class HvmHwCpuCompatTail(KaitaiStruct):
        """The fields of struct hvm_hw_cpu_compat after msr_efer: the compat
        layout has no msr_tsc_aux, so these sit 8 octets lower than in the
        current layout.
        
        .. seealso::
           spec/hvm-context.md#cpu
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenHvmContext.HvmHwCpuCompatTail, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.tsc = self._io.read_u8le()
            self.pending_event = self._io.read_u4le()
            self.error_code = self._io.read_u4le()


        def _fetch_instances(self):
            pass


    class HvmHwCpuXsave(KaitaiStruct):
        """CPU_XSAVE (typecode 16, per vCPU): the extended state of one vCPU in
        the standard (uncompacted) XSAVE format; its length depends on the
        features in xcr0_accum, at least 600 octets (HVM-XSAVE-001).
        
        .. seealso::
           spec/hvm-context.md#cpu_xsave
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenHvmContext.HvmHwCpuXsave, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.xfeature_mask = self._io.read_u8le()
            self.xcr0 = self._io.read_u8le()
            self.xcr0_accum = self._io.read_u8le()
            self.fpu_sse = self._io.read_bytes(512)
            self.xstate_bv = self._io.read_u8le()
            self.xcomp_bv = self._io.read_u8le()
            if not self.xcomp_bv == 0:
                raise kaitaistruct.ValidationNotEqualError(0, self.xcomp_bv, self._io, u"/types/hvm_hw_cpu_xsave/seq/5")
            self.reserved = []
            for i in range(6):
                self.reserved.append(self._io.read_u8le())
                if not self.reserved[i] == 0:
                    raise kaitaistruct.ValidationNotEqualError(0, self.reserved[i], self._io, u"/types/hvm_hw_cpu_xsave/seq/6")

            self.extended = self._io.read_bytes_full()


        def _fetch_instances(self):
            pass
            for i in range(len(self.reserved)):
                pass



    class HvmHwHpet(KaitaiStruct):
        """HPET (typecode 12): the high precision event timer's register block
        and the comparator periods, 1048 octets.
        
        .. seealso::
           spec/hvm-context.md#typecodes
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenHvmContext.HvmHwHpet, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.capability = self._io.read_u8le()
            self.res0 = self._io.read_u8le()
            self.config = self._io.read_u8le()
            self.res1 = self._io.read_u8le()
            self.isr = self._io.read_u8le()
            self.res2 = []
            for i in range(25):
                self.res2.append(self._io.read_u8le())

            self.mc64 = self._io.read_u8le()
            self.res3 = self._io.read_u8le()
            self.timers = []
            for i in range(3):
                self.timers.append(XenHvmContext.HvmHwHpetTimer(self._io, self, self._root))

            self.res5 = []
            for i in range(84):
                self.res5.append(self._io.read_u8le())

            self.period = []
            for i in range(3):
                self.period.append(self._io.read_u8le())

            self.excess = []
            i = 0
            while not self._io.is_eof():
                self.excess.append(self._io.read_u1())
                if not self.excess[i] >= 1:
                    raise kaitaistruct.ValidationLessThanError(1, self.excess[i], self._io, u"/types/hvm_hw_hpet/seq/11")
                if not self.excess[i] <= 0:
                    raise kaitaistruct.ValidationGreaterThanError(0, self.excess[i], self._io, u"/types/hvm_hw_hpet/seq/11")
                i += 1



        def _fetch_instances(self):
            pass
            for i in range(len(self.res2)):
                pass

            for i in range(len(self.timers)):
                pass
                self.timers[i]._fetch_instances()

            for i in range(len(self.res5)):
                pass

            for i in range(len(self.period)):
                pass

            for i in range(len(self.excess)):
                pass



    class HvmHwHpetTimer(KaitaiStruct):
        """The registers of one HPET timer, 32 octets.
        
        .. seealso::
           spec/hvm-context.md#typecodes
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenHvmContext.HvmHwHpetTimer, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.config = self._io.read_u8le()
            self.cmp = self._io.read_u8le()
            self.fsb = self._io.read_u8le()
            self.res4 = self._io.read_u8le()


        def _fetch_instances(self):
            pass


    class HvmHwIsaIrqs(KaitaiStruct):
        """ISA_IRQ (typecode 8): the level of each ISA IRQ wire, 8 octets.
        
        .. seealso::
           spec/hvm-context.md#typecodes
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenHvmContext.HvmHwIsaIrqs, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.pad = self._io.read_u8le()
            self.excess = []
            i = 0
            while not self._io.is_eof():
                self.excess.append(self._io.read_u1())
                if not self.excess[i] >= 1:
                    raise kaitaistruct.ValidationLessThanError(1, self.excess[i], self._io, u"/types/hvm_hw_isa_irqs/seq/1")
                if not self.excess[i] <= 0:
                    raise kaitaistruct.ValidationGreaterThanError(0, self.excess[i], self._io, u"/types/hvm_hw_isa_irqs/seq/1")
                i += 1



        def _fetch_instances(self):
            pass
            for i in range(len(self.excess)):
                pass



    class HvmHwLapic(KaitaiStruct):
        """LAPIC (typecode 5, per vCPU): local APIC state outside the register
        page. 32 octets (28 of fields and 4 of tail padding); Xen zero-
        extends a shorter entry.
        
        .. seealso::
           spec/hvm-context.md#typecodes
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenHvmContext.HvmHwLapic, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            if self._io.size() >= 8:
                pass
                self.apic_base_msr = self._io.read_u8le()

            if self._io.size() >= 12:
                pass
                self.disabled = self._io.read_u4le()

            if self._io.size() >= 16:
                pass
                self.timer_divisor = self._io.read_u4le()

            if self._io.size() >= 24:
                pass
                self.tdt_msr = self._io.read_u8le()

            if self._io.size() >= 28:
                pass
                self.pending_esr = self._io.read_u4le()

            if self._io.size() >= 32:
                pass
                self.pad = self._io.read_bytes(4)

            if self._io.size() < 32:
                pass
                self.partial = self._io.read_bytes_full()

            if self._io.size() > 32:
                pass
                self.excess = []
                i = 0
                while not self._io.is_eof():
                    self.excess.append(self._io.read_u1())
                    if not self.excess[i] >= 1:
                        raise kaitaistruct.ValidationLessThanError(1, self.excess[i], self._io, u"/types/hvm_hw_lapic/seq/7")
                    if not self.excess[i] <= 0:
                        raise kaitaistruct.ValidationGreaterThanError(0, self.excess[i], self._io, u"/types/hvm_hw_lapic/seq/7")
                    i += 1




        def _fetch_instances(self):
            pass
            if self._io.size() >= 8:
                pass

            if self._io.size() >= 12:
                pass

            if self._io.size() >= 16:
                pass

            if self._io.size() >= 24:
                pass

            if self._io.size() >= 28:
                pass

            if self._io.size() >= 32:
                pass

            if self._io.size() < 32:
                pass

            if self._io.size() > 32:
                pass
                for i in range(len(self.excess)):
                    pass




    class HvmHwLapicRegs(KaitaiStruct):
        """LAPIC_REGS (typecode 6, per vCPU): the local APIC's 1 KiB register
        page.
        
        .. seealso::
           spec/hvm-context.md#typecodes
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenHvmContext.HvmHwLapicRegs, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.data = self._io.read_bytes(1024)
            self.excess = []
            i = 0
            while not self._io.is_eof():
                self.excess.append(self._io.read_u1())
                if not self.excess[i] >= 1:
                    raise kaitaistruct.ValidationLessThanError(1, self.excess[i], self._io, u"/types/hvm_hw_lapic_regs/seq/1")
                if not self.excess[i] <= 0:
                    raise kaitaistruct.ValidationGreaterThanError(0, self.excess[i], self._io, u"/types/hvm_hw_lapic_regs/seq/1")
                i += 1



        def _fetch_instances(self):
            pass
            for i in range(len(self.excess)):
                pass



    class HvmHwMtrr(KaitaiStruct):
        """MTRR (typecode 14, per vCPU): PAT and memory type range registers,
        240 octets.
        
        .. seealso::
           spec/hvm-context.md#typecodes
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenHvmContext.HvmHwMtrr, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.msr_pat_cr = self._io.read_u8le()
            self.msr_mtrr_var = []
            for i in range(16):
                self.msr_mtrr_var.append(self._io.read_u8le())

            self.msr_mtrr_fixed = []
            for i in range(11):
                self.msr_mtrr_fixed.append(self._io.read_u8le())

            self.msr_mtrr_cap = self._io.read_u8le()
            self.msr_mtrr_def_type = self._io.read_u8le()
            self.excess = []
            i = 0
            while not self._io.is_eof():
                self.excess.append(self._io.read_u1())
                if not self.excess[i] >= 1:
                    raise kaitaistruct.ValidationLessThanError(1, self.excess[i], self._io, u"/types/hvm_hw_mtrr/seq/5")
                if not self.excess[i] <= 0:
                    raise kaitaistruct.ValidationGreaterThanError(0, self.excess[i], self._io, u"/types/hvm_hw_mtrr/seq/5")
                i += 1



        def _fetch_instances(self):
            pass
            for i in range(len(self.msr_mtrr_var)):
                pass

            for i in range(len(self.msr_mtrr_fixed)):
                pass

            for i in range(len(self.excess)):
                pass



    class HvmHwPciIrqs(KaitaiStruct):
        """PCI_IRQ (typecode 7): the level of each PCI INTx wire, 16 octets.
        
        .. seealso::
           spec/hvm-context.md#typecodes
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenHvmContext.HvmHwPciIrqs, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.pad = []
            for i in range(2):
                self.pad.append(self._io.read_u8le())

            self.excess = []
            i = 0
            while not self._io.is_eof():
                self.excess.append(self._io.read_u1())
                if not self.excess[i] >= 1:
                    raise kaitaistruct.ValidationLessThanError(1, self.excess[i], self._io, u"/types/hvm_hw_pci_irqs/seq/1")
                if not self.excess[i] <= 0:
                    raise kaitaistruct.ValidationGreaterThanError(0, self.excess[i], self._io, u"/types/hvm_hw_pci_irqs/seq/1")
                i += 1



        def _fetch_instances(self):
            pass
            for i in range(len(self.pad)):
                pass

            for i in range(len(self.excess)):
                pass



    class HvmHwPciLink(KaitaiStruct):
        """PCI_LINK (typecode 9): the routing of the four PCI-ISA links, 8
        octets.
        
        .. seealso::
           spec/hvm-context.md#platform-devices
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenHvmContext.HvmHwPciLink, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.route = []
            for i in range(4):
                self.route.append(self._io.read_u1())
                if not self.route[i] <= 15:
                    raise kaitaistruct.ValidationGreaterThanError(15, self.route[i], self._io, u"/types/hvm_hw_pci_link/seq/0")

            self.pad0 = []
            for i in range(4):
                self.pad0.append(self._io.read_u1())
                if not self.pad0[i] == 0:
                    raise kaitaistruct.ValidationNotEqualError(0, self.pad0[i], self._io, u"/types/hvm_hw_pci_link/seq/1")

            self.excess = []
            i = 0
            while not self._io.is_eof():
                self.excess.append(self._io.read_u1())
                if not self.excess[i] >= 1:
                    raise kaitaistruct.ValidationLessThanError(1, self.excess[i], self._io, u"/types/hvm_hw_pci_link/seq/2")
                if not self.excess[i] <= 0:
                    raise kaitaistruct.ValidationGreaterThanError(0, self.excess[i], self._io, u"/types/hvm_hw_pci_link/seq/2")
                i += 1



        def _fetch_instances(self):
            pass
            for i in range(len(self.route)):
                pass

            for i in range(len(self.pad0)):
                pass

            for i in range(len(self.excess)):
                pass



    class HvmHwPit(KaitaiStruct):
        """PIT (typecode 10): the 8254 programmable interval timer, 56 octets.
        
        .. seealso::
           spec/hvm-context.md#platform-devices
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenHvmContext.HvmHwPit, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.channels = []
            for i in range(3):
                self.channels.append(XenHvmContext.HvmHwPitChannel(self._io, self, self._root))

            self.speaker_data_on = self._io.read_u4le()
            if not self.speaker_data_on <= 1:
                raise kaitaistruct.ValidationGreaterThanError(1, self.speaker_data_on, self._io, u"/types/hvm_hw_pit/seq/1")
            self.pad0 = self._io.read_u4le()
            if not self.pad0 == 0:
                raise kaitaistruct.ValidationNotEqualError(0, self.pad0, self._io, u"/types/hvm_hw_pit/seq/2")
            self.excess = []
            i = 0
            while not self._io.is_eof():
                self.excess.append(self._io.read_u1())
                if not self.excess[i] >= 1:
                    raise kaitaistruct.ValidationLessThanError(1, self.excess[i], self._io, u"/types/hvm_hw_pit/seq/3")
                if not self.excess[i] <= 0:
                    raise kaitaistruct.ValidationGreaterThanError(0, self.excess[i], self._io, u"/types/hvm_hw_pit/seq/3")
                i += 1



        def _fetch_instances(self):
            pass
            for i in range(len(self.channels)):
                pass
                self.channels[i]._fetch_instances()

            for i in range(len(self.excess)):
                pass



    class HvmHwPitChannel(KaitaiStruct):
        """One PIT counter, 16 octets.
        
        .. seealso::
           spec/hvm-context.md#platform-devices
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenHvmContext.HvmHwPitChannel, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.count = self._io.read_u4le()
            self.latched_count = self._io.read_u2le()
            self.count_latched = self._io.read_u1()
            self.status_latched = self._io.read_u1()
            self.status = self._io.read_u1()
            self.read_state = self._io.read_u1()
            self.write_state = self._io.read_u1()
            self.write_latch = self._io.read_u1()
            self.rw_mode = self._io.read_u1()
            self.mode = self._io.read_u1()
            self.bcd = self._io.read_u1()
            self.gate = self._io.read_u1()


        def _fetch_instances(self):
            pass


    class HvmHwPmtimer(KaitaiStruct):
        """PMTIMER (typecode 13): the ACPI power-management timer, 8 octets.
        
        .. seealso::
           spec/hvm-context.md#typecodes
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenHvmContext.HvmHwPmtimer, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.tmr_val = self._io.read_u4le()
            self.pm1a_sts = self._io.read_u2le()
            self.pm1a_en = self._io.read_u2le()
            self.excess = []
            i = 0
            while not self._io.is_eof():
                self.excess.append(self._io.read_u1())
                if not self.excess[i] >= 1:
                    raise kaitaistruct.ValidationLessThanError(1, self.excess[i], self._io, u"/types/hvm_hw_pmtimer/seq/3")
                if not self.excess[i] <= 0:
                    raise kaitaistruct.ValidationGreaterThanError(0, self.excess[i], self._io, u"/types/hvm_hw_pmtimer/seq/3")
                i += 1



        def _fetch_instances(self):
            pass
            for i in range(len(self.excess)):
                pass



    class HvmHwRtc(KaitaiStruct):
        """RTC (typecode 11): the CMOS real-time clock, 24 octets; Xen zero-
        extends a shorter entry (older ones had no rtc_offset).
        
        .. seealso::
           spec/hvm-context.md#typecodes
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenHvmContext.HvmHwRtc, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.cmos_data = self._io.read_bytes(14)
            if self._io.size() >= 15:
                pass
                self.cmos_index = self._io.read_u1()

            if self._io.size() >= 16:
                pass
                self.pad0 = self._io.read_u1()

            if self._io.size() >= 24:
                pass
                self.rtc_offset = self._io.read_s8le()

            if self._io.size() < 24:
                pass
                self.partial = self._io.read_bytes_full()

            if self._io.size() > 24:
                pass
                self.excess = []
                i = 0
                while not self._io.is_eof():
                    self.excess.append(self._io.read_u1())
                    if not self.excess[i] >= 1:
                        raise kaitaistruct.ValidationLessThanError(1, self.excess[i], self._io, u"/types/hvm_hw_rtc/seq/5")
                    if not self.excess[i] <= 0:
                        raise kaitaistruct.ValidationGreaterThanError(0, self.excess[i], self._io, u"/types/hvm_hw_rtc/seq/5")
                    i += 1




        def _fetch_instances(self):
            pass
            if self._io.size() >= 15:
                pass

            if self._io.size() >= 16:
                pass

            if self._io.size() >= 24:
                pass

            if self._io.size() < 24:
                pass

            if self._io.size() > 24:
                pass
                for i in range(len(self.excess)):
                    pass




    class HvmHwVioapic(KaitaiStruct):
        """IOAPIC (typecode 4): the single virtual IO-APIC with its 48 pins,
        400 octets.
        
        .. seealso::
           spec/hvm-context.md#typecodes
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenHvmContext.HvmHwVioapic, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.base_address = self._io.read_u8le()
            self.ioregsel = self._io.read_u4le()
            self.id = self._io.read_u4le()
            self.redirtbl = []
            for i in range(48):
                self.redirtbl.append(self._io.read_u8le())

            self.excess = []
            i = 0
            while not self._io.is_eof():
                self.excess.append(self._io.read_u1())
                if not self.excess[i] >= 1:
                    raise kaitaistruct.ValidationLessThanError(1, self.excess[i], self._io, u"/types/hvm_hw_vioapic/seq/4")
                if not self.excess[i] <= 0:
                    raise kaitaistruct.ValidationGreaterThanError(0, self.excess[i], self._io, u"/types/hvm_hw_vioapic/seq/4")
                i += 1



        def _fetch_instances(self):
            pass
            for i in range(len(self.redirtbl)):
                pass

            for i in range(len(self.excess)):
                pass



    class HvmHwVpic(KaitaiStruct):
        """PIC (typecode 3, instance 0 master, 1 slave): one 8259 interrupt
        controller, 8 octets.
        
        .. seealso::
           spec/hvm-context.md#platform-devices
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenHvmContext.HvmHwVpic, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.irr = self._io.read_u1()
            self.imr = self._io.read_u1()
            self.isr = self._io.read_u1()
            self.irq_base = self._io.read_u1()
            self.init_state = self._io.read_bits_int_le(4)
            self.priority_add = self._io.read_bits_int_le(4)
            self.readsel_isr = self._io.read_bits_int_le(1) != 0
            self.poll = self._io.read_bits_int_le(1) != 0
            self.auto_eoi = self._io.read_bits_int_le(1) != 0
            self.rotate_on_auto_eoi = self._io.read_bits_int_le(1) != 0
            self.special_fully_nested_mode = self._io.read_bits_int_le(1) != 0
            self.special_mask_mode = self._io.read_bits_int_le(1) != 0
            self.is_master = self._io.read_bits_int_le(1) != 0
            self.unused = self._io.read_bits_int_le(1) != 0
            self.elcr = self._io.read_u1()
            self.int_output = self._io.read_u1()
            self.excess = []
            i = 0
            while not self._io.is_eof():
                self.excess.append(self._io.read_u1())
                if not self.excess[i] >= 1:
                    raise kaitaistruct.ValidationLessThanError(1, self.excess[i], self._io, u"/types/hvm_hw_vpic/seq/16")
                if not self.excess[i] <= 0:
                    raise kaitaistruct.ValidationGreaterThanError(0, self.excess[i], self._io, u"/types/hvm_hw_vpic/seq/16")
                i += 1



        def _fetch_instances(self):
            pass
            for i in range(len(self.excess)):
                pass



    class HvmMsr(KaitaiStruct):
        """CPU_MSR (typecode 20, per vCPU): model-specific registers Xen saves
        beyond the CPU entry, 8 octets plus 16 per MSR (HVM-MSR-001).
        
        .. seealso::
           spec/hvm-context.md#cpu_msr
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenHvmContext.HvmMsr, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.num_msr = self._io.read_u4le()
            if not self.num_msr >= 1:
                raise kaitaistruct.ValidationLessThanError(1, self.num_msr, self._io, u"/types/hvm_msr/seq/0")
            self.pad = self._io.read_bytes(4)
            self.msr = []
            for i in range(self.num_msr):
                self.msr.append(XenHvmContext.HvmOneMsr(self._io, self, self._root))

            self.excess = []
            i = 0
            while not self._io.is_eof():
                self.excess.append(self._io.read_u1())
                if not self.excess[i] >= 1:
                    raise kaitaistruct.ValidationLessThanError(1, self.excess[i], self._io, u"/types/hvm_msr/seq/3")
                if not self.excess[i] <= 0:
                    raise kaitaistruct.ValidationGreaterThanError(0, self.excess[i], self._io, u"/types/hvm_msr/seq/3")
                i += 1



        def _fetch_instances(self):
            pass
            for i in range(len(self.msr)):
                pass
                self.msr[i]._fetch_instances()

            for i in range(len(self.excess)):
                pass



    class HvmOneMsr(KaitaiStruct):
        """One MSR, 16 octets.
        
        .. seealso::
           spec/hvm-context.md#cpu_msr
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenHvmContext.HvmOneMsr, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.index = self._io.read_u4le()
            self.rsvd = self._io.read_u4le()
            if not self.rsvd == 0:
                raise kaitaistruct.ValidationNotEqualError(0, self.rsvd, self._io, u"/types/hvm_one_msr/seq/1")
            self.val = self._io.read_u8le()


        def _fetch_instances(self):
            pass


    class HvmSaveHeader(KaitaiStruct):
        """HEADER (typecode 1): identifies the blob and the machine that saved
        it.
        
        .. seealso::
           spec/hvm-context.md#header
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenHvmContext.HvmSaveHeader, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.magic = self._io.read_u4le()
            if not self.magic == 1412960902:
                raise kaitaistruct.ValidationNotEqualError(1412960902, self.magic, self._io, u"/types/hvm_save_header/seq/0")
            self.version = self._io.read_u4le()
            if not self.version == 1:
                raise kaitaistruct.ValidationNotEqualError(1, self.version, self._io, u"/types/hvm_save_header/seq/1")
            self.changeset = self._io.read_u8le()
            self.cpuid = self._io.read_u4le()
            self.gtsc_khz = self._io.read_u4le()


        def _fetch_instances(self):
            pass


    class HvmTscAdjust(KaitaiStruct):
        """TSC_ADJUST (typecode 19, per vCPU): the IA32_TSC_ADJUST MSR, 8
        octets.
        
        .. seealso::
           spec/hvm-context.md#typecodes
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenHvmContext.HvmTscAdjust, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            self.tsc_adjust = self._io.read_u8le()
            self.excess = []
            i = 0
            while not self._io.is_eof():
                self.excess.append(self._io.read_u1())
                if not self.excess[i] >= 1:
                    raise kaitaistruct.ValidationLessThanError(1, self.excess[i], self._io, u"/types/hvm_tsc_adjust/seq/1")
                if not self.excess[i] <= 0:
                    raise kaitaistruct.ValidationGreaterThanError(0, self.excess[i], self._io, u"/types/hvm_tsc_adjust/seq/1")
                i += 1



        def _fetch_instances(self):
            pass
            for i in range(len(self.excess)):
                pass



    class HvmViridianDomainContext(KaitaiStruct):
        """VIRIDIAN_DOMAIN (typecode 15): Hyper-V enlightenment state of the
        domain, 32 octets; Xen zero-extends a shorter entry.
        
        .. seealso::
           spec/hvm-context.md#typecodes
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenHvmContext.HvmViridianDomainContext, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            if self._io.size() >= 8:
                pass
                self.hypercall_gpa = self._io.read_u8le()

            if self._io.size() >= 16:
                pass
                self.guest_os_id = self._io.read_u8le()

            if self._io.size() >= 24:
                pass
                self.time_ref_count = self._io.read_u8le()

            if self._io.size() >= 32:
                pass
                self.reference_tsc = self._io.read_u8le()

            if self._io.size() < 32:
                pass
                self.partial = self._io.read_bytes_full()

            if self._io.size() > 32:
                pass
                self.excess = []
                i = 0
                while not self._io.is_eof():
                    self.excess.append(self._io.read_u1())
                    if not self.excess[i] >= 1:
                        raise kaitaistruct.ValidationLessThanError(1, self.excess[i], self._io, u"/types/hvm_viridian_domain_context/seq/5")
                    if not self.excess[i] <= 0:
                        raise kaitaistruct.ValidationGreaterThanError(0, self.excess[i], self._io, u"/types/hvm_viridian_domain_context/seq/5")
                    i += 1




        def _fetch_instances(self):
            pass
            if self._io.size() >= 8:
                pass

            if self._io.size() >= 16:
                pass

            if self._io.size() >= 24:
                pass

            if self._io.size() >= 32:
                pass

            if self._io.size() < 32:
                pass

            if self._io.size() > 32:
                pass
                for i in range(len(self.excess)):
                    pass




    class HvmViridianVcpuContext(KaitaiStruct):
        """VIRIDIAN_VCPU (typecode 17, per vCPU): Hyper-V enlightenment state
        of one vCPU, 216 octets; Xen zero-extends a shorter entry (older
        ones stopped after the padding, at 16).
        
        .. seealso::
           spec/hvm-context.md#typecodes
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenHvmContext.HvmViridianVcpuContext, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            if self._io.size() >= 8:
                pass
                self.vp_assist_msr = self._io.read_u8le()

            if self._io.size() >= 9:
                pass
                self.apic_assist_pending = self._io.read_u1()

            if self._io.size() >= 16:
                pass
                self.pad = self._io.read_bytes(7)

            if self._io.size() >= 24:
                pass
                self.simp_msr = self._io.read_u8le()

            if self._io.size() >= 152:
                pass
                self.sint_msr = []
                for i in range(16):
                    self.sint_msr.append(self._io.read_u8le())


            if self._io.size() >= 184:
                pass
                self.stimer_config_msr = []
                for i in range(4):
                    self.stimer_config_msr.append(self._io.read_u8le())


            if self._io.size() >= 216:
                pass
                self.stimer_count_msr = []
                for i in range(4):
                    self.stimer_count_msr.append(self._io.read_u8le())


            if self._io.size() < 216:
                pass
                self.partial = self._io.read_bytes_full()

            if self._io.size() > 216:
                pass
                self.excess = []
                i = 0
                while not self._io.is_eof():
                    self.excess.append(self._io.read_u1())
                    if not self.excess[i] >= 1:
                        raise kaitaistruct.ValidationLessThanError(1, self.excess[i], self._io, u"/types/hvm_viridian_vcpu_context/seq/8")
                    if not self.excess[i] <= 0:
                        raise kaitaistruct.ValidationGreaterThanError(0, self.excess[i], self._io, u"/types/hvm_viridian_vcpu_context/seq/8")
                    i += 1




        def _fetch_instances(self):
            pass
            if self._io.size() >= 8:
                pass

            if self._io.size() >= 9:
                pass

            if self._io.size() >= 16:
                pass

            if self._io.size() >= 24:
                pass

            if self._io.size() >= 152:
                pass
                for i in range(len(self.sint_msr)):
                    pass


            if self._io.size() >= 184:
                pass
                for i in range(len(self.stimer_config_msr)):
                    pass


            if self._io.size() >= 216:
                pass
                for i in range(len(self.stimer_count_msr)):
                    pass


            if self._io.size() < 216:
                pass

            if self._io.size() > 216:
                pass
                for i in range(len(self.excess)):
                    pass




    class HvmVmceVcpu(KaitaiStruct):
        """VMCE_VCPU (typecode 18, per vCPU): virtual machine-check state, 32
        octets; Xen zero-extends a shorter entry.
        
        .. seealso::
           spec/hvm-context.md#typecodes
        """
        def __init__(self, _io, _parent=None, _root=None):
            super(XenHvmContext.HvmVmceVcpu, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._read()

        def _read(self):
            if self._io.size() >= 8:
                pass
                self.caps = self._io.read_u8le()

            if self._io.size() >= 16:
                pass
                self.mci_ctl2_bank0 = self._io.read_u8le()

            if self._io.size() >= 24:
                pass
                self.mci_ctl2_bank1 = self._io.read_u8le()

            if self._io.size() >= 32:
                pass
                self.mcg_ext_ctl = self._io.read_u8le()

            if self._io.size() < 32:
                pass
                self.partial = self._io.read_bytes_full()

            if self._io.size() > 32:
                pass
                self.excess = []
                i = 0
                while not self._io.is_eof():
                    self.excess.append(self._io.read_u1())
                    if not self.excess[i] >= 1:
                        raise kaitaistruct.ValidationLessThanError(1, self.excess[i], self._io, u"/types/hvm_vmce_vcpu/seq/5")
                    if not self.excess[i] <= 0:
                        raise kaitaistruct.ValidationGreaterThanError(0, self.excess[i], self._io, u"/types/hvm_vmce_vcpu/seq/5")
                    i += 1




        def _fetch_instances(self):
            pass
            if self._io.size() >= 8:
                pass

            if self._io.size() >= 16:
                pass

            if self._io.size() >= 24:
                pass

            if self._io.size() >= 32:
                pass

            if self._io.size() < 32:
                pass

            if self._io.size() > 32:
                pass
                for i in range(len(self.excess)):
                    pass





