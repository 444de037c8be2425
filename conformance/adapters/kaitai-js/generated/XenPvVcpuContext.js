// This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild

(function (root, factory) {
  if (typeof define === 'function' && define.amd) {
    define(['exports', 'kaitai-struct/KaitaiStream'], factory);
  } else if (typeof exports === 'object' && exports !== null && typeof exports.nodeType !== 'number') {
    factory(exports, require('kaitai-struct/KaitaiStream'));
  } else {
    factory(root.XenPvVcpuContext || (root.XenPvVcpuContext = {}), root.KaitaiStream);
  }
})(typeof self !== 'undefined' ? self : this, function (XenPvVcpuContext_, KaitaiStream) {
/**
 * The register state of one vCPU of an x86 paravirtualised guest, as the
 * hypervisor hands it to the toolstack and as an X86_PV_VCPU_BASIC record
 * carries it after its 8-octet vCPU header. The layout depends on the
 * guest's word size, which X86_PV_INFO's guest_width gives: 2800 octets
 * for a 32-bit guest (x86_32, PAE paging) and 5168 for a 64-bit one
 * (x86_64). A guest word ("unsigned long" in Xen's headers) is 4 or 8
 * octets accordingly; the byte order is the stream's.
 * 
 * In a saved image every frame number is a guest pfn, not a machine
 * frame: the saver translates `gdt_frames`, `ctrlreg[3]` (and a 64-bit
 * guest's `ctrlreg[1]`) and vCPU 0's start-info frame in `edx`/`rdx`,
 * and the restorer translates them back. `ctrlreg[3]` keeps the form of
 * a CR3 value: the pfn shifted left by 12, and for a 32-bit guest the
 * pfn's bits 20-31 rotated into bits 0-11 so that page tables above
 * 4 GiB can be named (`cr3_pfn` undoes this).
 * 
 * The libxc stream description cannot see X86_PV_INFO from a vCPU
 * record, so it picks the layout by the context's size (2800 or 5168
 * octets); that the size matches guest_width is rule XC-VCPU-003, and
 * the rules on the contents are PV-* in spec/pv-context.md.
 * @see spec/pv-context.md#layout
 * @see {@link https://xenbits.xen.org/gitweb/?p=xen.git;a=blob;f=xen/include/public/arch-x86/xen.h|Source}
 * @see {@link https://xenbits.xen.org/gitweb/?p=xen.git;a=blob;f=tools/libs/guest/xg_sr_restore_x86_pv.c|Source}
 */

var XenPvVcpuContext = (function() {
  function XenPvVcpuContext(_io, _parent, _root, isBe, guestWidth) {
    this._io = _io;
    this._parent = _parent;
    this._root = _root || this;
    this.isBe = isBe;
    this.guestWidth = guestWidth;

    this._read();
  }
  XenPvVcpuContext.prototype._read = function() {
    switch (this.isBe) {
    case true:
      this._is_le = false;
      break;
    case false:
      this._is_le = true;
      break;
    }

    if (this._is_le === true) {
      this._readLE();
    } else if (this._is_le === false) {
      this._readBE();
    } else {
      throw new KaitaiStream.UndecidedEndiannessError();
    }
  }
  XenPvVcpuContext.prototype._readLE = function() {
    switch (this.guestWidth) {
    case 4:
      this.context = new Context32(this._io, this, this._root, this._is_le);
      break;
    case 8:
      this.context = new Context64(this._io, this, this._root, this._is_le);
      break;
    }
  }
  XenPvVcpuContext.prototype._readBE = function() {
    switch (this.guestWidth) {
    case 4:
      this.context = new Context32(this._io, this, this._root, this._is_le);
      break;
    case 8:
      this.context = new Context64(this._io, this, this._root, this._is_le);
      break;
    }
  }

  /**
   * vcpu_guest_context of a 32-bit guest (2800 octets).
   * @see spec/pv-context.md#layout
   */

  var Context32 = XenPvVcpuContext.Context32 = (function() {
    function Context32(_io, _parent, _root, _is_le) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this._is_le = _is_le;

      this._read();
    }
    Context32.prototype._read = function() {

      if (this._is_le === true) {
        this._readLE();
      } else if (this._is_le === false) {
        this._readBE();
      } else {
        throw new KaitaiStream.UndecidedEndiannessError();
      }
    }
    Context32.prototype._readLE = function() {
      this.fpuCtxt = this._io.readBytes(512);
      this.flags = this._io.readU4le();
      this.userRegs = new UserRegs32(this._io, this, this._root, this._is_le);
      this.trapCtxt = [];
      for (var i = 0; i < 256; i++) {
        this.trapCtxt.push(new TrapInfo32(this._io, this, this._root, this._is_le));
      }
      this.ldtBase = this._io.readU4le();
      this.ldtEnts = this._io.readU4le();
      if (!(this.ldtEnts <= 8192)) {
        throw new KaitaiStream.ValidationGreaterThanError(8192, this.ldtEnts, this._io, "/types/context32/seq/5");
      }
      this.gdtFrames = [];
      for (var i = 0; i < 16; i++) {
        this.gdtFrames.push(this._io.readU4le());
      }
      this.gdtEnts = this._io.readU4le();
      if (!(this.gdtEnts <= 7168)) {
        throw new KaitaiStream.ValidationGreaterThanError(7168, this.gdtEnts, this._io, "/types/context32/seq/7");
      }
      this.kernelSs = this._io.readU4le();
      this.kernelSp = this._io.readU4le();
      this.ctrlreg = [];
      for (var i = 0; i < 8; i++) {
        this.ctrlreg.push(this._io.readU4le());
      }
      this.debugreg = [];
      for (var i = 0; i < 8; i++) {
        this.debugreg.push(this._io.readU4le());
      }
      this.eventCallbackCs = this._io.readU4le();
      this.eventCallbackEip = this._io.readU4le();
      this.failsafeCallbackCs = this._io.readU4le();
      this.failsafeCallbackEip = this._io.readU4le();
      this.vmAssist = this._io.readU4le();
    }
    Context32.prototype._readBE = function() {
      this.fpuCtxt = this._io.readBytes(512);
      this.flags = this._io.readU4be();
      this.userRegs = new UserRegs32(this._io, this, this._root, this._is_le);
      this.trapCtxt = [];
      for (var i = 0; i < 256; i++) {
        this.trapCtxt.push(new TrapInfo32(this._io, this, this._root, this._is_le));
      }
      this.ldtBase = this._io.readU4be();
      this.ldtEnts = this._io.readU4be();
      if (!(this.ldtEnts <= 8192)) {
        throw new KaitaiStream.ValidationGreaterThanError(8192, this.ldtEnts, this._io, "/types/context32/seq/5");
      }
      this.gdtFrames = [];
      for (var i = 0; i < 16; i++) {
        this.gdtFrames.push(this._io.readU4be());
      }
      this.gdtEnts = this._io.readU4be();
      if (!(this.gdtEnts <= 7168)) {
        throw new KaitaiStream.ValidationGreaterThanError(7168, this.gdtEnts, this._io, "/types/context32/seq/7");
      }
      this.kernelSs = this._io.readU4be();
      this.kernelSp = this._io.readU4be();
      this.ctrlreg = [];
      for (var i = 0; i < 8; i++) {
        this.ctrlreg.push(this._io.readU4be());
      }
      this.debugreg = [];
      for (var i = 0; i < 8; i++) {
        this.debugreg.push(this._io.readU4be());
      }
      this.eventCallbackCs = this._io.readU4be();
      this.eventCallbackEip = this._io.readU4be();
      this.failsafeCallbackCs = this._io.readU4be();
      this.failsafeCallbackEip = this._io.readU4be();
      this.vmAssist = this._io.readU4be();
    }

    /**
     * The pfn of the top-level page table (xen_cr3_to_pfn for x86_32):
     * bits 12-31 of CR3 are pfn bits 0-19, bits 0-11 are pfn bits 20-31.
     */
    Object.defineProperty(Context32.prototype, 'cr3Pfn', {
      get: function() {
        if (this._m_cr3Pfn !== undefined)
          return this._m_cr3Pfn;
        this._m_cr3Pfn = Math.floor(this.ctrlreg[3] / 4096) + KaitaiStream.mod(this.ctrlreg[3], 4096) * 1048576;
        return this._m_cr3Pfn;
      }
    });

    /**
     * How many leading entries of `gdt_frames` the GDT occupies.
     */
    Object.defineProperty(Context32.prototype, 'gdtFramesUsed', {
      get: function() {
        if (this._m_gdtFramesUsed !== undefined)
          return this._m_gdtFramesUsed;
        this._m_gdtFramesUsed = Math.floor((this.gdtEnts + 511) / 512);
        return this._m_gdtFramesUsed;
      }
    });

    /**
     * The FPU and SSE state in FXSAVE format, meaningful when flags bit 0 (i387_valid) is set.
     */

    /**
     * VGCF_* bits: 0 i387_valid, 2 in_kernel (the vCPU was in guest
     * kernel mode), 3 failsafe_disables_events, 4
     * syscall_disables_events, 5 online.
     */

    /**
     * The general-purpose registers, instruction pointer, flags and segment selectors.
     */

    /**
     * The virtual IDT, one entry per vector.
     */

    /**
     * Linear address of the guest's LDT; page aligned.
     */

    /**
     * Entries in the LDT (at most 8192, as the hypervisor requires).
     */

    /**
     * The pfns of the frames holding the GDT, one per 512 entries; the
     * frames past those `gdt_ents` needs are unused.
     */

    /**
     * Entries in the GDT. At most 7168 (FIRST_RESERVED_GDT_ENTRY): from
     * page 14 on the GDT belongs to the hypervisor.
     */

    /**
     * The stack segment the guest kernel runs on (the virtual TSS's SS1).
     */

    /**
     * The stack pointer the guest kernel starts from (the virtual TSS's SP1).
     */

    /**
     * CR0 to CR7 as the guest sees them. CR3 holds the pfn of the
     * top-level page table in CR3 form (see `cr3_pfn`).
     */

    /**
     * DR0 to DR7.
     */

    /**
     * Code segment of the event (upcall) callback.
     */

    /**
     * Entry point of the event (upcall) callback.
     */

    /**
     * Code segment of the failsafe callback.
     */

    /**
     * Entry point of the failsafe callback, entered when a segment reload fails.
     */

    /**
     * The VMASST_TYPE_* features the guest enabled, one bit each.
     */

    return Context32;
  })();

  /**
   * vcpu_guest_context of a 64-bit guest (5168 octets).
   * @see spec/pv-context.md#layout
   */

  var Context64 = XenPvVcpuContext.Context64 = (function() {
    function Context64(_io, _parent, _root, _is_le) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this._is_le = _is_le;

      this._read();
    }
    Context64.prototype._read = function() {

      if (this._is_le === true) {
        this._readLE();
      } else if (this._is_le === false) {
        this._readBE();
      } else {
        throw new KaitaiStream.UndecidedEndiannessError();
      }
    }
    Context64.prototype._readLE = function() {
      this.fpuCtxt = this._io.readBytes(512);
      this.flags = this._io.readU8le();
      this.userRegs = new UserRegs64(this._io, this, this._root, this._is_le);
      this.trapCtxt = [];
      for (var i = 0; i < 256; i++) {
        this.trapCtxt.push(new TrapInfo64(this._io, this, this._root, this._is_le));
      }
      this.ldtBase = this._io.readU8le();
      this.ldtEnts = this._io.readU8le();
      if (!(this.ldtEnts <= 8192)) {
        throw new KaitaiStream.ValidationGreaterThanError(8192, this.ldtEnts, this._io, "/types/context64/seq/5");
      }
      this.gdtFrames = [];
      for (var i = 0; i < 16; i++) {
        this.gdtFrames.push(this._io.readU8le());
      }
      this.gdtEnts = this._io.readU8le();
      if (!(this.gdtEnts <= 7168)) {
        throw new KaitaiStream.ValidationGreaterThanError(7168, this.gdtEnts, this._io, "/types/context64/seq/7");
      }
      this.kernelSs = this._io.readU8le();
      this.kernelSp = this._io.readU8le();
      this.ctrlreg = [];
      for (var i = 0; i < 8; i++) {
        this.ctrlreg.push(this._io.readU8le());
      }
      this.debugreg = [];
      for (var i = 0; i < 8; i++) {
        this.debugreg.push(this._io.readU8le());
      }
      this.eventCallbackEip = this._io.readU8le();
      this.failsafeCallbackEip = this._io.readU8le();
      this.syscallCallbackEip = this._io.readU8le();
      this.vmAssist = this._io.readU8le();
      this.fsBase = this._io.readU8le();
      this.gsBaseKernel = this._io.readU8le();
      this.gsBaseUser = this._io.readU8le();
    }
    Context64.prototype._readBE = function() {
      this.fpuCtxt = this._io.readBytes(512);
      this.flags = this._io.readU8be();
      this.userRegs = new UserRegs64(this._io, this, this._root, this._is_le);
      this.trapCtxt = [];
      for (var i = 0; i < 256; i++) {
        this.trapCtxt.push(new TrapInfo64(this._io, this, this._root, this._is_le));
      }
      this.ldtBase = this._io.readU8be();
      this.ldtEnts = this._io.readU8be();
      if (!(this.ldtEnts <= 8192)) {
        throw new KaitaiStream.ValidationGreaterThanError(8192, this.ldtEnts, this._io, "/types/context64/seq/5");
      }
      this.gdtFrames = [];
      for (var i = 0; i < 16; i++) {
        this.gdtFrames.push(this._io.readU8be());
      }
      this.gdtEnts = this._io.readU8be();
      if (!(this.gdtEnts <= 7168)) {
        throw new KaitaiStream.ValidationGreaterThanError(7168, this.gdtEnts, this._io, "/types/context64/seq/7");
      }
      this.kernelSs = this._io.readU8be();
      this.kernelSp = this._io.readU8be();
      this.ctrlreg = [];
      for (var i = 0; i < 8; i++) {
        this.ctrlreg.push(this._io.readU8be());
      }
      this.debugreg = [];
      for (var i = 0; i < 8; i++) {
        this.debugreg.push(this._io.readU8be());
      }
      this.eventCallbackEip = this._io.readU8be();
      this.failsafeCallbackEip = this._io.readU8be();
      this.syscallCallbackEip = this._io.readU8be();
      this.vmAssist = this._io.readU8be();
      this.fsBase = this._io.readU8be();
      this.gsBaseKernel = this._io.readU8be();
      this.gsBaseUser = this._io.readU8be();
    }

    /**
     * The pfn of the top-level (L4) page table (xen_cr3_to_pfn for x86_64).
     */
    Object.defineProperty(Context64.prototype, 'cr3Pfn', {
      get: function() {
        if (this._m_cr3Pfn !== undefined)
          return this._m_cr3Pfn;
        this._m_cr3Pfn = Math.floor(this.ctrlreg[3] / 4096);
        return this._m_cr3Pfn;
      }
    });

    /**
     * How many leading entries of `gdt_frames` the GDT occupies.
     */
    Object.defineProperty(Context64.prototype, 'gdtFramesUsed', {
      get: function() {
        if (this._m_gdtFramesUsed !== undefined)
          return this._m_gdtFramesUsed;
        this._m_gdtFramesUsed = Math.floor((this.gdtEnts + 511) / 512);
        return this._m_gdtFramesUsed;
      }
    });

    /**
     * The FPU and SSE state in FXSAVE format, meaningful when flags bit 0 (i387_valid) is set.
     */

    /**
     * VGCF_* bits: 0 i387_valid, 2 in_kernel (the vCPU was in guest
     * kernel mode), 3 failsafe_disables_events, 4
     * syscall_disables_events, 5 online, 8 in_syscall (entered by SYSCALL, leave by SYSRET).
     */

    /**
     * The general-purpose registers, instruction pointer, flags and segment selectors.
     */

    /**
     * The virtual IDT, one entry per vector.
     */

    /**
     * Linear address of the guest's LDT; page aligned.
     */

    /**
     * Entries in the LDT (at most 8192, as the hypervisor requires).
     */

    /**
     * The pfns of the frames holding the GDT, one per 512 entries; the
     * frames past those `gdt_ents` needs are unused.
     */

    /**
     * Entries in the GDT. At most 7168 (FIRST_RESERVED_GDT_ENTRY): from
     * page 14 on the GDT belongs to the hypervisor.
     */

    /**
     * The stack segment the guest kernel runs on (the virtual TSS's SS1).
     */

    /**
     * The stack pointer the guest kernel starts from (the virtual TSS's SP1).
     */

    /**
     * CR0 to CR7 as the guest sees them. CR3 holds the pfn of the
     * top-level page table in CR3 form (see `cr3_pfn`).
     * On x86_64, CR1 holds the user-mode top-level page table: its pfn
     * shifted left by 12 with bit 0 set, or zero when there is none.
     */

    /**
     * DR0 to DR7.
     */

    /**
     * Entry point of the event (upcall) callback.
     */

    /**
     * Entry point of the failsafe callback, entered when a segment reload fails.
     */

    /**
     * Entry point for SYSCALL from guest user mode.
     */

    /**
     * The VMASST_TYPE_* features the guest enabled, one bit each.
     */

    /**
     * Base address of FS.
     */

    /**
     * Base address of GS in guest kernel mode.
     */

    /**
     * Base address of GS in guest user mode.
     */

    return Context64;
  })();

  /**
   * One entry of the virtual IDT.
   * @see spec/pv-context.md#layout
   */

  var TrapInfo32 = XenPvVcpuContext.TrapInfo32 = (function() {
    function TrapInfo32(_io, _parent, _root, _is_le) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this._is_le = _is_le;

      this._read();
    }
    TrapInfo32.prototype._read = function() {

      if (this._is_le === true) {
        this._readLE();
      } else if (this._is_le === false) {
        this._readBE();
      } else {
        throw new KaitaiStream.UndecidedEndiannessError();
      }
    }
    TrapInfo32.prototype._readLE = function() {
      this.vector = this._io.readU1();
      this.flags = this._io.readU1();
      this.cs = this._io.readU2le();
      this.address = this._io.readU4le();
    }
    TrapInfo32.prototype._readBE = function() {
      this.vector = this._io.readU1();
      this.flags = this._io.readU1();
      this.cs = this._io.readU2be();
      this.address = this._io.readU4be();
    }

    /**
     * The exception or interrupt vector.
     */

    /**
     * Bits 0-1 the lowest privilege that may raise it with INT; bit 2 set masks events on entry, as an interrupt gate would.
     */

    /**
     * Code segment of the handler.
     */

    /**
     * Entry point of the handler; zero for no handler.
     */

    return TrapInfo32;
  })();

  /**
   * One entry of the virtual IDT.
   * @see spec/pv-context.md#layout
   */

  var TrapInfo64 = XenPvVcpuContext.TrapInfo64 = (function() {
    function TrapInfo64(_io, _parent, _root, _is_le) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this._is_le = _is_le;

      this._read();
    }
    TrapInfo64.prototype._read = function() {

      if (this._is_le === true) {
        this._readLE();
      } else if (this._is_le === false) {
        this._readBE();
      } else {
        throw new KaitaiStream.UndecidedEndiannessError();
      }
    }
    TrapInfo64.prototype._readLE = function() {
      this.vector = this._io.readU1();
      this.flags = this._io.readU1();
      this.cs = this._io.readU2le();
      this.pad0 = this._io.readBytes(4);
      this.address = this._io.readU8le();
    }
    TrapInfo64.prototype._readBE = function() {
      this.vector = this._io.readU1();
      this.flags = this._io.readU1();
      this.cs = this._io.readU2be();
      this.pad0 = this._io.readBytes(4);
      this.address = this._io.readU8be();
    }

    /**
     * The exception or interrupt vector.
     */

    /**
     * Bits 0-1 the lowest privilege that may raise it with INT; bit 2 set masks events on entry, as an interrupt gate would.
     */

    /**
     * Code segment of the handler.
     */

    /**
     * Alignment padding before the 64-bit address.
     */

    /**
     * Entry point of the handler; zero for no handler.
     */

    return TrapInfo64;
  })();

  /**
   * The user-visible registers of a 32-bit guest vCPU.
   * @see spec/pv-context.md#layout
   */

  var UserRegs32 = XenPvVcpuContext.UserRegs32 = (function() {
    function UserRegs32(_io, _parent, _root, _is_le) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this._is_le = _is_le;

      this._read();
    }
    UserRegs32.prototype._read = function() {

      if (this._is_le === true) {
        this._readLE();
      } else if (this._is_le === false) {
        this._readBE();
      } else {
        throw new KaitaiStream.UndecidedEndiannessError();
      }
    }
    UserRegs32.prototype._readLE = function() {
      this.ebx = this._io.readU4le();
      this.ecx = this._io.readU4le();
      this.edx = this._io.readU4le();
      this.esi = this._io.readU4le();
      this.edi = this._io.readU4le();
      this.ebp = this._io.readU4le();
      this.eax = this._io.readU4le();
      this.errorCode = this._io.readU2le();
      this.entryVector = this._io.readU2le();
      this.eip = this._io.readU4le();
      this.cs = this._io.readU2le();
      this.savedUpcallMask = this._io.readU1();
      this.pad0 = this._io.readBytes(1);
      this.eflags = this._io.readU4le();
      this.esp = this._io.readU4le();
      this.ss = this._io.readU2le();
      this.pad1 = this._io.readBytes(2);
      this.es = this._io.readU2le();
      this.pad2 = this._io.readBytes(2);
      this.ds = this._io.readU2le();
      this.pad3 = this._io.readBytes(2);
      this.fs = this._io.readU2le();
      this.pad4 = this._io.readBytes(2);
      this.gs = this._io.readU2le();
      this.pad5 = this._io.readBytes(2);
    }
    UserRegs32.prototype._readBE = function() {
      this.ebx = this._io.readU4be();
      this.ecx = this._io.readU4be();
      this.edx = this._io.readU4be();
      this.esi = this._io.readU4be();
      this.edi = this._io.readU4be();
      this.ebp = this._io.readU4be();
      this.eax = this._io.readU4be();
      this.errorCode = this._io.readU2be();
      this.entryVector = this._io.readU2be();
      this.eip = this._io.readU4be();
      this.cs = this._io.readU2be();
      this.savedUpcallMask = this._io.readU1();
      this.pad0 = this._io.readBytes(1);
      this.eflags = this._io.readU4be();
      this.esp = this._io.readU4be();
      this.ss = this._io.readU2be();
      this.pad1 = this._io.readBytes(2);
      this.es = this._io.readU2be();
      this.pad2 = this._io.readBytes(2);
      this.ds = this._io.readU2be();
      this.pad3 = this._io.readBytes(2);
      this.fs = this._io.readU2be();
      this.pad4 = this._io.readBytes(2);
      this.gs = this._io.readU2be();
      this.pad5 = this._io.readBytes(2);
    }

    /**
     * EBX.
     */

    /**
     * ECX.
     */

    /**
     * EDX; for vCPU 0 in a saved image, the pfn of the start-info page.
     */

    /**
     * ESI.
     */

    /**
     * EDI.
     */

    /**
     * EBP.
     */

    /**
     * EAX.
     */

    /**
     * Private to the hypervisor (error code of the last exception).
     */

    /**
     * Private to the hypervisor (vector of the last entry).
     */

    /**
     * Instruction pointer.
     */

    /**
     * Code segment selector.
     */

    /**
     * Event delivery mask saved at the last exception (EFLAGS.IF is its inverse).
     */

    /**
     * Padding.
     */

    /**
     * EFLAGS.
     */

    /**
     * Stack pointer.
     */

    /**
     * SS selector.
     */

    /**
     * Padding.
     */

    /**
     * ES selector.
     */

    /**
     * Padding.
     */

    /**
     * DS selector.
     */

    /**
     * Padding.
     */

    /**
     * FS selector.
     */

    /**
     * Padding.
     */

    /**
     * GS selector.
     */

    /**
     * Padding.
     */

    return UserRegs32;
  })();

  /**
   * The user-visible registers of a 64-bit guest vCPU.
   * @see spec/pv-context.md#layout
   */

  var UserRegs64 = XenPvVcpuContext.UserRegs64 = (function() {
    function UserRegs64(_io, _parent, _root, _is_le) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this._is_le = _is_le;

      this._read();
    }
    UserRegs64.prototype._read = function() {

      if (this._is_le === true) {
        this._readLE();
      } else if (this._is_le === false) {
        this._readBE();
      } else {
        throw new KaitaiStream.UndecidedEndiannessError();
      }
    }
    UserRegs64.prototype._readLE = function() {
      this.r15 = this._io.readU8le();
      this.r14 = this._io.readU8le();
      this.r13 = this._io.readU8le();
      this.r12 = this._io.readU8le();
      this.rbp = this._io.readU8le();
      this.rbx = this._io.readU8le();
      this.r11 = this._io.readU8le();
      this.r10 = this._io.readU8le();
      this.r9 = this._io.readU8le();
      this.r8 = this._io.readU8le();
      this.rax = this._io.readU8le();
      this.rcx = this._io.readU8le();
      this.rdx = this._io.readU8le();
      this.rsi = this._io.readU8le();
      this.rdi = this._io.readU8le();
      this.errorCode = this._io.readU4le();
      this.entryVector = this._io.readU4le();
      this.rip = this._io.readU8le();
      this.cs = this._io.readU2le();
      this.pad0 = this._io.readBytes(2);
      this.savedUpcallMask = this._io.readU1();
      this.pad1 = this._io.readBytes(3);
      this.rflags = this._io.readU8le();
      this.rsp = this._io.readU8le();
      this.ss = this._io.readU2le();
      this.pad2 = this._io.readBytes(6);
      this.es = this._io.readU2le();
      this.pad3 = this._io.readBytes(6);
      this.ds = this._io.readU2le();
      this.pad4 = this._io.readBytes(6);
      this.fs = this._io.readU2le();
      this.pad5 = this._io.readBytes(6);
      this.gs = this._io.readU2le();
      this.pad6 = this._io.readBytes(6);
    }
    UserRegs64.prototype._readBE = function() {
      this.r15 = this._io.readU8be();
      this.r14 = this._io.readU8be();
      this.r13 = this._io.readU8be();
      this.r12 = this._io.readU8be();
      this.rbp = this._io.readU8be();
      this.rbx = this._io.readU8be();
      this.r11 = this._io.readU8be();
      this.r10 = this._io.readU8be();
      this.r9 = this._io.readU8be();
      this.r8 = this._io.readU8be();
      this.rax = this._io.readU8be();
      this.rcx = this._io.readU8be();
      this.rdx = this._io.readU8be();
      this.rsi = this._io.readU8be();
      this.rdi = this._io.readU8be();
      this.errorCode = this._io.readU4be();
      this.entryVector = this._io.readU4be();
      this.rip = this._io.readU8be();
      this.cs = this._io.readU2be();
      this.pad0 = this._io.readBytes(2);
      this.savedUpcallMask = this._io.readU1();
      this.pad1 = this._io.readBytes(3);
      this.rflags = this._io.readU8be();
      this.rsp = this._io.readU8be();
      this.ss = this._io.readU2be();
      this.pad2 = this._io.readBytes(6);
      this.es = this._io.readU2be();
      this.pad3 = this._io.readBytes(6);
      this.ds = this._io.readU2be();
      this.pad4 = this._io.readBytes(6);
      this.fs = this._io.readU2be();
      this.pad5 = this._io.readBytes(6);
      this.gs = this._io.readU2be();
      this.pad6 = this._io.readBytes(6);
    }

    /**
     * R15.
     */

    /**
     * R14.
     */

    /**
     * R13.
     */

    /**
     * R12.
     */

    /**
     * RBP.
     */

    /**
     * RBX.
     */

    /**
     * R11.
     */

    /**
     * R10.
     */

    /**
     * R9.
     */

    /**
     * R8.
     */

    /**
     * RAX.
     */

    /**
     * RCX.
     */

    /**
     * RDX; for vCPU 0 in a saved image, the pfn of the start-info page.
     */

    /**
     * RSI.
     */

    /**
     * RDI.
     */

    /**
     * Private to the hypervisor (error code of the last exception).
     */

    /**
     * Private to the hypervisor (vector of the last entry).
     */

    /**
     * Instruction pointer.
     */

    /**
     * Code segment selector.
     */

    /**
     * Padding.
     */

    /**
     * Event delivery mask saved at the last exception (RFLAGS.IF is its inverse).
     */

    /**
     * Padding.
     */

    /**
     * RFLAGS.
     */

    /**
     * Stack pointer.
     */

    /**
     * SS selector.
     */

    /**
     * Padding.
     */

    /**
     * ES selector.
     */

    /**
     * Padding.
     */

    /**
     * DS selector.
     */

    /**
     * Padding.
     */

    /**
     * FS selector.
     */

    /**
     * Padding.
     */

    /**
     * GS selector.
     */

    /**
     * Padding.
     */

    return UserRegs64;
  })();

  /**
   * The context in the layout of the guest's width.
   */

  /**
   * Byte order of the stream that carries the context (true for big-endian).
   */

  /**
   * Octets in a guest word, from X86_PV_INFO (4 for x86_32, 8 for x86_64).
   */

  return XenPvVcpuContext;
})();
XenPvVcpuContext_.XenPvVcpuContext = XenPvVcpuContext;
});
