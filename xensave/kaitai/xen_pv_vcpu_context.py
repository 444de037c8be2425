# This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild
# type: ignore

import kaitaistruct
from kaitaistruct import KaitaiStruct, KaitaiStream, BytesIO


if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    raise Exception("Incompatible Kaitai Struct Python API: 0.11 or later is required, but you have %s" % (kaitaistruct.__version__))

class XenPvVcpuContext(KaitaiStruct):
    """The register state of one vCPU of an x86 paravirtualised guest, as the
    hypervisor hands it to the toolstack and as an X86_PV_VCPU_BASIC record
    carries it after its 8-octet vCPU header. The layout depends on the
    guest's word size, which X86_PV_INFO's guest_width gives: 2800 octets
    for a 32-bit guest (x86_32, PAE paging) and 5168 for a 64-bit one
    (x86_64). A guest word ("unsigned long" in Xen's headers) is 4 or 8
    octets accordingly; the byte order is the stream's.
    
    In a saved image every frame number is a guest pfn, not a machine
    frame: the saver translates `gdt_frames`, `ctrlreg[3]` (and a 64-bit
    guest's `ctrlreg[1]`) and vCPU 0's start-info frame in `edx`/`rdx`,
    and the restorer translates them back. `ctrlreg[3]` keeps the form of
    a CR3 value: the pfn shifted left by 12, and for a 32-bit guest the
    pfn's bits 20-31 rotated into bits 0-11 so that page tables above
    4 GiB can be named (`cr3_pfn` undoes this).
    
    The libxc stream description cannot see X86_PV_INFO from a vCPU
    record, so it picks the layout by the context's size (2800 or 5168
    octets); that the size matches guest_width is rule XC-VCPU-003, and
    the rules on the contents are PV-* in spec/pv-context.md.
    
    .. seealso::
       spec/pv-context.md#layout
    
    
    .. seealso::
       Source - https://xenbits.xen.org/gitweb/?p=xen.git;a=blob;f=xen/include/public/arch-x86/xen.h
    
    
    .. seealso::
       Source - https://xenbits.xen.org/gitweb/?p=xen.git;a=blob;f=tools/libs/guest/xg_sr_restore_x86_pv.c
    """
    def __init__(self, is_be, guest_width, _io, _parent=None, _root=None):
        super(XenPvVcpuContext, self).__init__(_io)
        self._parent = _parent
        self._root = _root or self
        self.is_be = is_be
        self.guest_width = guest_width
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
            raise kaitaistruct.UndecidedEndiannessError("/")
        elif self._is_le == True:
            self._read_le()
        elif self._is_le == False:
            self._read_be()

    def _read_le(self):
        _on = self.guest_width
        if _on == 4:
            pass
            self.context = XenPvVcpuContext.Context32(self._io, self, self._root, self._is_le)
        elif _on == 8:
            pass
            self.context = XenPvVcpuContext.Context64(self._io, self, self._root, self._is_le)

    def _read_be(self):
        _on = self.guest_width
        if _on == 4:
            pass
            self.context = XenPvVcpuContext.Context32(self._io, self, self._root, self._is_le)
        elif _on == 8:
            pass
            self.context = XenPvVcpuContext.Context64(self._io, self, self._root, self._is_le)


    def _fetch_instances(self):
        pass
        _on = self.guest_width
        if _on == 4:
            pass
            self.context._fetch_instances()
        elif _on == 8:
            pass
            self.context._fetch_instances()

    class Context32(KaitaiStruct):
        """vcpu_guest_context of a 32-bit guest (2800 octets).
        
        .. seealso::
           spec/pv-context.md#layout
        """
        def __init__(self, _io, _parent=None, _root=None, _is_le=None):
            super(XenPvVcpuContext.Context32, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._is_le = _is_le
            self._read()

        def _read(self):
            if not hasattr(self, '_is_le'):
                raise kaitaistruct.UndecidedEndiannessError("/types/context32")
            elif self._is_le == True:
                self._read_le()
            elif self._is_le == False:
                self._read_be()

        def _read_le(self):
            self.fpu_ctxt = self._io.read_bytes(512)
            self.flags = self._io.read_u4le()
            self.user_regs = XenPvVcpuContext.UserRegs32(self._io, self, self._root, self._is_le)
            self.trap_ctxt = []
            for i in range(256):
                self.trap_ctxt.append(XenPvVcpuContext.TrapInfo32(self._io, self, self._root, self._is_le))

            self.ldt_base = self._io.read_u4le()
            self.ldt_ents = self._io.read_u4le()
            if not self.ldt_ents <= 8192:
                raise kaitaistruct.ValidationGreaterThanError(8192, self.ldt_ents, self._io, u"/types/context32/seq/5")
            self.gdt_frames = []
            for i in range(16):
                self.gdt_frames.append(self._io.read_u4le())

            self.gdt_ents = self._io.read_u4le()
            if not self.gdt_ents <= 7168:
                raise kaitaistruct.ValidationGreaterThanError(7168, self.gdt_ents, self._io, u"/types/context32/seq/7")
            self.kernel_ss = self._io.read_u4le()
            self.kernel_sp = self._io.read_u4le()
            self.ctrlreg = []
            for i in range(8):
                self.ctrlreg.append(self._io.read_u4le())

            self.debugreg = []
            for i in range(8):
                self.debugreg.append(self._io.read_u4le())

            self.event_callback_cs = self._io.read_u4le()
            self.event_callback_eip = self._io.read_u4le()
            self.failsafe_callback_cs = self._io.read_u4le()
            self.failsafe_callback_eip = self._io.read_u4le()
            self.vm_assist = self._io.read_u4le()

        def _read_be(self):
            self.fpu_ctxt = self._io.read_bytes(512)
            self.flags = self._io.read_u4be()
            self.user_regs = XenPvVcpuContext.UserRegs32(self._io, self, self._root, self._is_le)
            self.trap_ctxt = []
            for i in range(256):
                self.trap_ctxt.append(XenPvVcpuContext.TrapInfo32(self._io, self, self._root, self._is_le))

            self.ldt_base = self._io.read_u4be()
            self.ldt_ents = self._io.read_u4be()
            if not self.ldt_ents <= 8192:
                raise kaitaistruct.ValidationGreaterThanError(8192, self.ldt_ents, self._io, u"/types/context32/seq/5")
            self.gdt_frames = []
            for i in range(16):
                self.gdt_frames.append(self._io.read_u4be())

            self.gdt_ents = self._io.read_u4be()
            if not self.gdt_ents <= 7168:
                raise kaitaistruct.ValidationGreaterThanError(7168, self.gdt_ents, self._io, u"/types/context32/seq/7")
            self.kernel_ss = self._io.read_u4be()
            self.kernel_sp = self._io.read_u4be()
            self.ctrlreg = []
            for i in range(8):
                self.ctrlreg.append(self._io.read_u4be())

            self.debugreg = []
            for i in range(8):
                self.debugreg.append(self._io.read_u4be())

            self.event_callback_cs = self._io.read_u4be()
            self.event_callback_eip = self._io.read_u4be()
            self.failsafe_callback_cs = self._io.read_u4be()
            self.failsafe_callback_eip = self._io.read_u4be()
            self.vm_assist = self._io.read_u4be()


        def _fetch_instances(self):
            pass
            self.user_regs._fetch_instances()
            for i in range(len(self.trap_ctxt)):
                pass
                self.trap_ctxt[i]._fetch_instances()

            for i in range(len(self.gdt_frames)):
                pass

            for i in range(len(self.ctrlreg)):
                pass

            for i in range(len(self.debugreg)):
                pass


        @property
        def cr3_pfn(self):
            """The pfn of the top-level page table (xen_cr3_to_pfn for x86_32):
            bits 12-31 of CR3 are pfn bits 0-19, bits 0-11 are pfn bits 20-31.
            """
            if hasattr(self, '_m_cr3_pfn'):
                return self._m_cr3_pfn

            self._m_cr3_pfn = self.ctrlreg[3] // 4096 + (self.ctrlreg[3] % 4096) * 1048576
            return getattr(self, '_m_cr3_pfn', None)

        @property
        def gdt_frames_used(self):
            """How many leading entries of `gdt_frames` the GDT occupies."""
            if hasattr(self, '_m_gdt_frames_used'):
                return self._m_gdt_frames_used

            self._m_gdt_frames_used = (self.gdt_ents + 511) // 512
            return getattr(self, '_m_gdt_frames_used', None)


    class Context64(KaitaiStruct):
        """vcpu_guest_context of a 64-bit guest (5168 octets).
        
        .. seealso::
           spec/pv-context.md#layout
        """
        def __init__(self, _io, _parent=None, _root=None, _is_le=None):
            super(XenPvVcpuContext.Context64, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._is_le = _is_le
            self._read()

        def _read(self):
            if not hasattr(self, '_is_le'):
                raise kaitaistruct.UndecidedEndiannessError("/types/context64")
            elif self._is_le == True:
                self._read_le()
            elif self._is_le == False:
                self._read_be()

        def _read_le(self):
            self.fpu_ctxt = self._io.read_bytes(512)
            self.flags = self._io.read_u8le()
            self.user_regs = XenPvVcpuContext.UserRegs64(self._io, self, self._root, self._is_le)
            self.trap_ctxt = []
            for i in range(256):
                self.trap_ctxt.append(XenPvVcpuContext.TrapInfo64(self._io, self, self._root, self._is_le))

            self.ldt_base = self._io.read_u8le()
            self.ldt_ents = self._io.read_u8le()
            if not self.ldt_ents <= 8192:
                raise kaitaistruct.ValidationGreaterThanError(8192, self.ldt_ents, self._io, u"/types/context64/seq/5")
            self.gdt_frames = []
            for i in range(16):
                self.gdt_frames.append(self._io.read_u8le())

            self.gdt_ents = self._io.read_u8le()
            if not self.gdt_ents <= 7168:
                raise kaitaistruct.ValidationGreaterThanError(7168, self.gdt_ents, self._io, u"/types/context64/seq/7")
            self.kernel_ss = self._io.read_u8le()
            self.kernel_sp = self._io.read_u8le()
            self.ctrlreg = []
            for i in range(8):
                self.ctrlreg.append(self._io.read_u8le())

            self.debugreg = []
            for i in range(8):
                self.debugreg.append(self._io.read_u8le())

            self.event_callback_eip = self._io.read_u8le()
            self.failsafe_callback_eip = self._io.read_u8le()
            self.syscall_callback_eip = self._io.read_u8le()
            self.vm_assist = self._io.read_u8le()
            self.fs_base = self._io.read_u8le()
            self.gs_base_kernel = self._io.read_u8le()
            self.gs_base_user = self._io.read_u8le()

        def _read_be(self):
            self.fpu_ctxt = self._io.read_bytes(512)
            self.flags = self._io.read_u8be()
            self.user_regs = XenPvVcpuContext.UserRegs64(self._io, self, self._root, self._is_le)
            self.trap_ctxt = []
            for i in range(256):
                self.trap_ctxt.append(XenPvVcpuContext.TrapInfo64(self._io, self, self._root, self._is_le))

            self.ldt_base = self._io.read_u8be()
            self.ldt_ents = self._io.read_u8be()
            if not self.ldt_ents <= 8192:
                raise kaitaistruct.ValidationGreaterThanError(8192, self.ldt_ents, self._io, u"/types/context64/seq/5")
            self.gdt_frames = []
            for i in range(16):
                self.gdt_frames.append(self._io.read_u8be())

            self.gdt_ents = self._io.read_u8be()
            if not self.gdt_ents <= 7168:
                raise kaitaistruct.ValidationGreaterThanError(7168, self.gdt_ents, self._io, u"/types/context64/seq/7")
            self.kernel_ss = self._io.read_u8be()
            self.kernel_sp = self._io.read_u8be()
            self.ctrlreg = []
            for i in range(8):
                self.ctrlreg.append(self._io.read_u8be())

            self.debugreg = []
            for i in range(8):
                self.debugreg.append(self._io.read_u8be())

            self.event_callback_eip = self._io.read_u8be()
            self.failsafe_callback_eip = self._io.read_u8be()
            self.syscall_callback_eip = self._io.read_u8be()
            self.vm_assist = self._io.read_u8be()
            self.fs_base = self._io.read_u8be()
            self.gs_base_kernel = self._io.read_u8be()
            self.gs_base_user = self._io.read_u8be()


        def _fetch_instances(self):
            pass
            self.user_regs._fetch_instances()
            for i in range(len(self.trap_ctxt)):
                pass
                self.trap_ctxt[i]._fetch_instances()

            for i in range(len(self.gdt_frames)):
                pass

            for i in range(len(self.ctrlreg)):
                pass

            for i in range(len(self.debugreg)):
                pass


        @property
        def cr3_pfn(self):
            """The pfn of the top-level (L4) page table (xen_cr3_to_pfn for x86_64)."""
            if hasattr(self, '_m_cr3_pfn'):
                return self._m_cr3_pfn

            self._m_cr3_pfn = self.ctrlreg[3] // 4096
            return getattr(self, '_m_cr3_pfn', None)

        @property
        def gdt_frames_used(self):
            """How many leading entries of `gdt_frames` the GDT occupies."""
            if hasattr(self, '_m_gdt_frames_used'):
                return self._m_gdt_frames_used

            self._m_gdt_frames_used = (self.gdt_ents + 511) // 512
            return getattr(self, '_m_gdt_frames_used', None)


    class TrapInfo32(KaitaiStruct):
        """One entry of the virtual IDT.
        
        .. seealso::
           spec/pv-context.md#layout
        """
        def __init__(self, _io, _parent=None, _root=None, _is_le=None):
            super(XenPvVcpuContext.TrapInfo32, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._is_le = _is_le
            self._read()

        def _read(self):
            if not hasattr(self, '_is_le'):
                raise kaitaistruct.UndecidedEndiannessError("/types/trap_info32")
            elif self._is_le == True:
                self._read_le()
            elif self._is_le == False:
                self._read_be()

        def _read_le(self):
            self.vector = self._io.read_u1()
            self.flags = self._io.read_u1()
            self.cs = self._io.read_u2le()
            self.address = self._io.read_u4le()

        def _read_be(self):
            self.vector = self._io.read_u1()
            self.flags = self._io.read_u1()
            self.cs = self._io.read_u2be()
            self.address = self._io.read_u4be()


        def _fetch_instances(self):
            pass


    class TrapInfo64(KaitaiStruct):
        """One entry of the virtual IDT.
        
        .. seealso::
           spec/pv-context.md#layout
        """
        def __init__(self, _io, _parent=None, _root=None, _is_le=None):
            super(XenPvVcpuContext.TrapInfo64, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._is_le = _is_le
            self._read()

        def _read(self):
            if not hasattr(self, '_is_le'):
                raise kaitaistruct.UndecidedEndiannessError("/types/trap_info64")
            elif self._is_le == True:
                self._read_le()
            elif self._is_le == False:
                self._read_be()

        def _read_le(self):
            self.vector = self._io.read_u1()
            self.flags = self._io.read_u1()
            self.cs = self._io.read_u2le()
            self.pad0 = self._io.read_bytes(4)
            self.address = self._io.read_u8le()

        def _read_be(self):
            self.vector = self._io.read_u1()
            self.flags = self._io.read_u1()
            self.cs = self._io.read_u2be()
            self.pad0 = self._io.read_bytes(4)
            self.address = self._io.read_u8be()


        def _fetch_instances(self):
            pass


    class UserRegs32(KaitaiStruct):
        """The user-visible registers of a 32-bit guest vCPU.
        
        .. seealso::
           spec/pv-context.md#layout
        """
        def __init__(self, _io, _parent=None, _root=None, _is_le=None):
            super(XenPvVcpuContext.UserRegs32, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._is_le = _is_le
            self._read()

        def _read(self):
            if not hasattr(self, '_is_le'):
                raise kaitaistruct.UndecidedEndiannessError("/types/user_regs32")
            elif self._is_le == True:
                self._read_le()
            elif self._is_le == False:
                self._read_be()

        def _read_le(self):
            self.ebx = self._io.read_u4le()
            self.ecx = self._io.read_u4le()
            self.edx = self._io.read_u4le()
            self.esi = self._io.read_u4le()
            self.edi = self._io.read_u4le()
            self.ebp = self._io.read_u4le()
            self.eax = self._io.read_u4le()
            self.error_code = self._io.read_u2le()
            self.entry_vector = self._io.read_u2le()
            self.eip = self._io.read_u4le()
            self.cs = self._io.read_u2le()
            self.saved_upcall_mask = self._io.read_u1()
            self.pad0 = self._io.read_bytes(1)
            self.eflags = self._io.read_u4le()
            self.esp = self._io.read_u4le()
            self.ss = self._io.read_u2le()
            self.pad1 = self._io.read_bytes(2)
            self.es = self._io.read_u2le()
            self.pad2 = self._io.read_bytes(2)
            self.ds = self._io.read_u2le()
            self.pad3 = self._io.read_bytes(2)
            self.fs = self._io.read_u2le()
            self.pad4 = self._io.read_bytes(2)
            self.gs = self._io.read_u2le()
            self.pad5 = self._io.read_bytes(2)

        def _read_be(self):
            self.ebx = self._io.read_u4be()
            self.ecx = self._io.read_u4be()
            self.edx = self._io.read_u4be()
            self.esi = self._io.read_u4be()
            self.edi = self._io.read_u4be()
            self.ebp = self._io.read_u4be()
            self.eax = self._io.read_u4be()
            self.error_code = self._io.read_u2be()
            self.entry_vector = self._io.read_u2be()
            self.eip = self._io.read_u4be()
            self.cs = self._io.read_u2be()
            self.saved_upcall_mask = self._io.read_u1()
            self.pad0 = self._io.read_bytes(1)
            self.eflags = self._io.read_u4be()
            self.esp = self._io.read_u4be()
            self.ss = self._io.read_u2be()
            self.pad1 = self._io.read_bytes(2)
            self.es = self._io.read_u2be()
            self.pad2 = self._io.read_bytes(2)
            self.ds = self._io.read_u2be()
            self.pad3 = self._io.read_bytes(2)
            self.fs = self._io.read_u2be()
            self.pad4 = self._io.read_bytes(2)
            self.gs = self._io.read_u2be()
            self.pad5 = self._io.read_bytes(2)


        def _fetch_instances(self):
            pass


    class UserRegs64(KaitaiStruct):
        """The user-visible registers of a 64-bit guest vCPU.
        
        .. seealso::
           spec/pv-context.md#layout
        """
        def __init__(self, _io, _parent=None, _root=None, _is_le=None):
            super(XenPvVcpuContext.UserRegs64, self).__init__(_io)
            self._parent = _parent
            self._root = _root
            self._is_le = _is_le
            self._read()

        def _read(self):
            if not hasattr(self, '_is_le'):
                raise kaitaistruct.UndecidedEndiannessError("/types/user_regs64")
            elif self._is_le == True:
                self._read_le()
            elif self._is_le == False:
                self._read_be()

        def _read_le(self):
            self.r15 = self._io.read_u8le()
            self.r14 = self._io.read_u8le()
            self.r13 = self._io.read_u8le()
            self.r12 = self._io.read_u8le()
            self.rbp = self._io.read_u8le()
            self.rbx = self._io.read_u8le()
            self.r11 = self._io.read_u8le()
            self.r10 = self._io.read_u8le()
            self.r9 = self._io.read_u8le()
            self.r8 = self._io.read_u8le()
            self.rax = self._io.read_u8le()
            self.rcx = self._io.read_u8le()
            self.rdx = self._io.read_u8le()
            self.rsi = self._io.read_u8le()
            self.rdi = self._io.read_u8le()
            self.error_code = self._io.read_u4le()
            self.entry_vector = self._io.read_u4le()
            self.rip = self._io.read_u8le()
            self.cs = self._io.read_u2le()
            self.pad0 = self._io.read_bytes(2)
            self.saved_upcall_mask = self._io.read_u1()
            self.pad1 = self._io.read_bytes(3)
            self.rflags = self._io.read_u8le()
            self.rsp = self._io.read_u8le()
            self.ss = self._io.read_u2le()
            self.pad2 = self._io.read_bytes(6)
            self.es = self._io.read_u2le()
            self.pad3 = self._io.read_bytes(6)
            self.ds = self._io.read_u2le()
            self.pad4 = self._io.read_bytes(6)
            self.fs = self._io.read_u2le()
            self.pad5 = self._io.read_bytes(6)
            self.gs = self._io.read_u2le()
            self.pad6 = self._io.read_bytes(6)

        def _read_be(self):
            self.r15 = self._io.read_u8be()
            self.r14 = self._io.read_u8be()
            self.r13 = self._io.read_u8be()
            self.r12 = self._io.read_u8be()
            self.rbp = self._io.read_u8be()
            self.rbx = self._io.read_u8be()
            self.r11 = self._io.read_u8be()
            self.r10 = self._io.read_u8be()
            self.r9 = self._io.read_u8be()
            self.r8 = self._io.read_u8be()
            self.rax = self._io.read_u8be()
            self.rcx = self._io.read_u8be()
            self.rdx = self._io.read_u8be()
            self.rsi = self._io.read_u8be()
            self.rdi = self._io.read_u8be()
            self.error_code = self._io.read_u4be()
            self.entry_vector = self._io.read_u4be()
            self.rip = self._io.read_u8be()
            self.cs = self._io.read_u2be()
            self.pad0 = self._io.read_bytes(2)
            self.saved_upcall_mask = self._io.read_u1()
            self.pad1 = self._io.read_bytes(3)
            self.rflags = self._io.read_u8be()
            self.rsp = self._io.read_u8be()
            self.ss = self._io.read_u2be()
            self.pad2 = self._io.read_bytes(6)
            self.es = self._io.read_u2be()
            self.pad3 = self._io.read_bytes(6)
            self.ds = self._io.read_u2be()
            self.pad4 = self._io.read_bytes(6)
            self.fs = self._io.read_u2be()
            self.pad5 = self._io.read_bytes(6)
            self.gs = self._io.read_u2be()
            self.pad6 = self._io.read_bytes(6)


        def _fetch_instances(self):
            pass



