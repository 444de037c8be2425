// This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild

(function (root, factory) {
  if (typeof define === 'function' && define.amd) {
    define(['exports', 'kaitai-struct/KaitaiStream'], factory);
  } else if (typeof exports === 'object' && exports !== null && typeof exports.nodeType !== 'number') {
    factory(exports, require('kaitai-struct/KaitaiStream'));
  } else {
    factory(root.XenHvmContext || (root.XenHvmContext = {}), root.KaitaiStream);
  }
})(typeof self !== 'undefined' ? self : this, function (XenHvmContext_, KaitaiStream) {
/**
 * The state of an x86 HVM guest's virtual platform and vCPUs as the
 * hypervisor hands it to the toolstack: the body of a libxc HVM_CONTEXT
 * record, and the HVM context chunk of a legacy (Xen 4.5 and older) image.
 * It is a run of entries. Each entry is an 8-octet descriptor (typecode,
 * instance, payload length) and then the payload. The first entry is a
 * HEADER; an entry with typecode 0 (END) closes the blob. Per-vCPU
 * entries use the vCPU id as instance.
 * 
 * The blob is hypervisor state of a little-endian machine, and stays
 * little-endian whatever byte order the stream around it uses.
 * 
 * Xen's restore matches most payload lengths exactly against the
 * structure of the typecode; a few (CPU, LAPIC, RTC, VIRIDIAN_DOMAIN,
 * VIRIDIAN_VCPU, VMCE_VCPU) may be shorter, older layouts that Xen
 * zero-extends, and two (CPU_XSAVE, CPU_MSR) have a variable length.
 * Fields a shorter entry does not reach are absent here; the octets of a
 * field cut short are in `partial`. Rules HVM-*: spec/hvm-context.md.
 * @see spec/hvm-context.md#overview
 * @see {@link https://xenbits.xen.org/gitweb/?p=xen.git;a=blob;f=xen/include/public/arch-x86/hvm/save.h|Source}
 */

var XenHvmContext = (function() {
  XenHvmContext.Typecode = Object.freeze({
    END: 0,
    HEADER: 1,
    CPU: 2,
    PIC: 3,
    IOAPIC: 4,
    LAPIC: 5,
    LAPIC_REGS: 6,
    PCI_IRQ: 7,
    ISA_IRQ: 8,
    PCI_LINK: 9,
    PIT: 10,
    RTC: 11,
    HPET: 12,
    PMTIMER: 13,
    MTRR: 14,
    VIRIDIAN_DOMAIN: 15,
    CPU_XSAVE: 16,
    VIRIDIAN_VCPU: 17,
    VMCE_VCPU: 18,
    TSC_ADJUST: 19,
    CPU_MSR: 20,

    0: "END",
    1: "HEADER",
    2: "CPU",
    3: "PIC",
    4: "IOAPIC",
    5: "LAPIC",
    6: "LAPIC_REGS",
    7: "PCI_IRQ",
    8: "ISA_IRQ",
    9: "PCI_LINK",
    10: "PIT",
    11: "RTC",
    12: "HPET",
    13: "PMTIMER",
    14: "MTRR",
    15: "VIRIDIAN_DOMAIN",
    16: "CPU_XSAVE",
    17: "VIRIDIAN_VCPU",
    18: "VMCE_VCPU",
    19: "TSC_ADJUST",
    20: "CPU_MSR",
  });

  function XenHvmContext(_io, _parent, _root) {
    this._io = _io;
    this._parent = _parent;
    this._root = _root || this;

    this._read();
  }
  XenHvmContext.prototype._read = function() {
    this.header = new HeaderEntry(this._io, this, this._root);
    this.entries = [];
    var i = 0;
    do {
      var _ = new Entry(this._io, this, this._root);
      this.entries.push(_);
      i++;
    } while (!(_.isEnd));
    this.trailing = this._io.readBytesFull();
  }

  /**
   * One entry: descriptor and payload. The payload of a typecode this
   * description does not list is kept as raw octets.
   * @see spec/hvm-context.md#descriptor
   */

  var Entry = XenHvmContext.Entry = (function() {
    function Entry(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    Entry.prototype._read = function() {
      this.typecode = this._io.readU2le();
      this.instance = this._io.readU2le();
      this.lenPayload = this._io.readU4le();
      switch (this.typecode) {
      case XenHvmContext.Typecode.CPU:
        this._raw_payload = this._io.readBytes((this.typecode == XenHvmContext.Typecode.END ? 0 : this.lenPayload));
        var _io__raw_payload = new KaitaiStream(this._raw_payload);
        this.payload = new HvmHwCpu(_io__raw_payload, this, this._root);
        break;
      case XenHvmContext.Typecode.CPU_MSR:
        this._raw_payload = this._io.readBytes((this.typecode == XenHvmContext.Typecode.END ? 0 : this.lenPayload));
        var _io__raw_payload = new KaitaiStream(this._raw_payload);
        this.payload = new HvmMsr(_io__raw_payload, this, this._root);
        break;
      case XenHvmContext.Typecode.CPU_XSAVE:
        this._raw_payload = this._io.readBytes((this.typecode == XenHvmContext.Typecode.END ? 0 : this.lenPayload));
        var _io__raw_payload = new KaitaiStream(this._raw_payload);
        this.payload = new HvmHwCpuXsave(_io__raw_payload, this, this._root);
        break;
      case XenHvmContext.Typecode.HEADER:
        this._raw_payload = this._io.readBytes((this.typecode == XenHvmContext.Typecode.END ? 0 : this.lenPayload));
        var _io__raw_payload = new KaitaiStream(this._raw_payload);
        this.payload = new HvmSaveHeader(_io__raw_payload, this, this._root);
        break;
      case XenHvmContext.Typecode.HPET:
        this._raw_payload = this._io.readBytes((this.typecode == XenHvmContext.Typecode.END ? 0 : this.lenPayload));
        var _io__raw_payload = new KaitaiStream(this._raw_payload);
        this.payload = new HvmHwHpet(_io__raw_payload, this, this._root);
        break;
      case XenHvmContext.Typecode.IOAPIC:
        this._raw_payload = this._io.readBytes((this.typecode == XenHvmContext.Typecode.END ? 0 : this.lenPayload));
        var _io__raw_payload = new KaitaiStream(this._raw_payload);
        this.payload = new HvmHwVioapic(_io__raw_payload, this, this._root);
        break;
      case XenHvmContext.Typecode.ISA_IRQ:
        this._raw_payload = this._io.readBytes((this.typecode == XenHvmContext.Typecode.END ? 0 : this.lenPayload));
        var _io__raw_payload = new KaitaiStream(this._raw_payload);
        this.payload = new HvmHwIsaIrqs(_io__raw_payload, this, this._root);
        break;
      case XenHvmContext.Typecode.LAPIC:
        this._raw_payload = this._io.readBytes((this.typecode == XenHvmContext.Typecode.END ? 0 : this.lenPayload));
        var _io__raw_payload = new KaitaiStream(this._raw_payload);
        this.payload = new HvmHwLapic(_io__raw_payload, this, this._root);
        break;
      case XenHvmContext.Typecode.LAPIC_REGS:
        this._raw_payload = this._io.readBytes((this.typecode == XenHvmContext.Typecode.END ? 0 : this.lenPayload));
        var _io__raw_payload = new KaitaiStream(this._raw_payload);
        this.payload = new HvmHwLapicRegs(_io__raw_payload, this, this._root);
        break;
      case XenHvmContext.Typecode.MTRR:
        this._raw_payload = this._io.readBytes((this.typecode == XenHvmContext.Typecode.END ? 0 : this.lenPayload));
        var _io__raw_payload = new KaitaiStream(this._raw_payload);
        this.payload = new HvmHwMtrr(_io__raw_payload, this, this._root);
        break;
      case XenHvmContext.Typecode.PCI_IRQ:
        this._raw_payload = this._io.readBytes((this.typecode == XenHvmContext.Typecode.END ? 0 : this.lenPayload));
        var _io__raw_payload = new KaitaiStream(this._raw_payload);
        this.payload = new HvmHwPciIrqs(_io__raw_payload, this, this._root);
        break;
      case XenHvmContext.Typecode.PCI_LINK:
        this._raw_payload = this._io.readBytes((this.typecode == XenHvmContext.Typecode.END ? 0 : this.lenPayload));
        var _io__raw_payload = new KaitaiStream(this._raw_payload);
        this.payload = new HvmHwPciLink(_io__raw_payload, this, this._root);
        break;
      case XenHvmContext.Typecode.PIC:
        this._raw_payload = this._io.readBytes((this.typecode == XenHvmContext.Typecode.END ? 0 : this.lenPayload));
        var _io__raw_payload = new KaitaiStream(this._raw_payload);
        this.payload = new HvmHwVpic(_io__raw_payload, this, this._root);
        break;
      case XenHvmContext.Typecode.PIT:
        this._raw_payload = this._io.readBytes((this.typecode == XenHvmContext.Typecode.END ? 0 : this.lenPayload));
        var _io__raw_payload = new KaitaiStream(this._raw_payload);
        this.payload = new HvmHwPit(_io__raw_payload, this, this._root);
        break;
      case XenHvmContext.Typecode.PMTIMER:
        this._raw_payload = this._io.readBytes((this.typecode == XenHvmContext.Typecode.END ? 0 : this.lenPayload));
        var _io__raw_payload = new KaitaiStream(this._raw_payload);
        this.payload = new HvmHwPmtimer(_io__raw_payload, this, this._root);
        break;
      case XenHvmContext.Typecode.RTC:
        this._raw_payload = this._io.readBytes((this.typecode == XenHvmContext.Typecode.END ? 0 : this.lenPayload));
        var _io__raw_payload = new KaitaiStream(this._raw_payload);
        this.payload = new HvmHwRtc(_io__raw_payload, this, this._root);
        break;
      case XenHvmContext.Typecode.TSC_ADJUST:
        this._raw_payload = this._io.readBytes((this.typecode == XenHvmContext.Typecode.END ? 0 : this.lenPayload));
        var _io__raw_payload = new KaitaiStream(this._raw_payload);
        this.payload = new HvmTscAdjust(_io__raw_payload, this, this._root);
        break;
      case XenHvmContext.Typecode.VIRIDIAN_DOMAIN:
        this._raw_payload = this._io.readBytes((this.typecode == XenHvmContext.Typecode.END ? 0 : this.lenPayload));
        var _io__raw_payload = new KaitaiStream(this._raw_payload);
        this.payload = new HvmViridianDomainContext(_io__raw_payload, this, this._root);
        break;
      case XenHvmContext.Typecode.VIRIDIAN_VCPU:
        this._raw_payload = this._io.readBytes((this.typecode == XenHvmContext.Typecode.END ? 0 : this.lenPayload));
        var _io__raw_payload = new KaitaiStream(this._raw_payload);
        this.payload = new HvmViridianVcpuContext(_io__raw_payload, this, this._root);
        break;
      case XenHvmContext.Typecode.VMCE_VCPU:
        this._raw_payload = this._io.readBytes((this.typecode == XenHvmContext.Typecode.END ? 0 : this.lenPayload));
        var _io__raw_payload = new KaitaiStream(this._raw_payload);
        this.payload = new HvmVmceVcpu(_io__raw_payload, this, this._root);
        break;
      default:
        this.payload = this._io.readBytes((this.typecode == XenHvmContext.Typecode.END ? 0 : this.lenPayload));
        break;
      }
    }

    /**
     * True for the END entry that closes the blob.
     */
    Object.defineProperty(Entry.prototype, 'isEnd', {
      get: function() {
        if (this._m_isEnd !== undefined)
          return this._m_isEnd;
        this._m_isEnd = this.typecode == XenHvmContext.Typecode.END;
        return this._m_isEnd;
      }
    });

    /**
     * What the payload holds.
     */

    /**
     * Which one of its kind: the vCPU id for per-vCPU typecodes, the PIC
     * number (0 master, 1 slave) for PIC, 0 otherwise.
     */

    /**
     * Octets in the payload, the descriptor not included.
     */

    /**
     * The payload, decoded for the listed typecodes, raw octets for
     * unknown ones. END has none whatever its length says: a restorer
     * stops at END's typecode (HVM-FRAME-003), so any octets after its
     * descriptor are `trailing`.
     */

    return Entry;
  })();

  /**
   * The first entry: a descriptor with typecode 1 and length 24, and the
   * header it announces.
   * @see spec/hvm-context.md#header
   */

  var HeaderEntry = XenHvmContext.HeaderEntry = (function() {
    function HeaderEntry(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    HeaderEntry.prototype._read = function() {
      this.typecode = this._io.readU2le();
      if (!(this.typecode == 1)) {
        throw new KaitaiStream.ValidationNotEqualError(1, this.typecode, this._io, "/types/header_entry/seq/0");
      }
      this.instance = this._io.readU2le();
      this.lenPayload = this._io.readU4le();
      if (!(this.lenPayload == 24)) {
        throw new KaitaiStream.ValidationNotEqualError(24, this.lenPayload, this._io, "/types/header_entry/seq/2");
      }
      this.payload = new HvmSaveHeader(this._io, this, this._root);
    }

    /**
     * Typecode of HEADER (HVM-HDR-001).
     */

    /**
     * Instance number; Xen writes 0.
     */

    /**
     * Length of the header payload, exactly 24 octets (HVM-HDR-001).
     */

    /**
     * The header.
     */

    return HeaderEntry;
  })();

  /**
   * CPU (typecode 2, per vCPU): the architectural register state of one
   * vCPU. The current layout is 1032 octets. Xen zero-extends a shorter
   * entry (HVM-SIZE-002); an entry of exactly 1016 octets is the older
   * compat layout without msr_tsc_aux, flags and pad0, whose last three
   * fields sit 8 octets lower (see `compat`). Fields past the end of a
   * shorter entry are absent.
   * @see spec/hvm-context.md#cpu
   */

  var HvmHwCpu = XenHvmContext.HvmHwCpu = (function() {
    function HvmHwCpu(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    HvmHwCpu.prototype._read = function() {
      this.fpuRegs = this._io.readBytes(512);
      this.rax = this._io.readU8le();
      this.rbx = this._io.readU8le();
      this.rcx = this._io.readU8le();
      this.rdx = this._io.readU8le();
      this.rbp = this._io.readU8le();
      this.rsi = this._io.readU8le();
      this.rdi = this._io.readU8le();
      this.rsp = this._io.readU8le();
      this.r8 = this._io.readU8le();
      this.r9 = this._io.readU8le();
      this.r10 = this._io.readU8le();
      this.r11 = this._io.readU8le();
      this.r12 = this._io.readU8le();
      this.r13 = this._io.readU8le();
      this.r14 = this._io.readU8le();
      this.r15 = this._io.readU8le();
      this.rip = this._io.readU8le();
      this.rflags = this._io.readU8le();
      this.cr0 = this._io.readU8le();
      this.cr2 = this._io.readU8le();
      this.cr3 = this._io.readU8le();
      this.cr4 = this._io.readU8le();
      this.dr0 = this._io.readU8le();
      this.dr1 = this._io.readU8le();
      this.dr2 = this._io.readU8le();
      this.dr3 = this._io.readU8le();
      this.dr6 = this._io.readU8le();
      this.dr7 = this._io.readU8le();
      this.csSel = this._io.readU4le();
      this.dsSel = this._io.readU4le();
      this.esSel = this._io.readU4le();
      this.fsSel = this._io.readU4le();
      this.gsSel = this._io.readU4le();
      this.ssSel = this._io.readU4le();
      this.trSel = this._io.readU4le();
      this.ldtrSel = this._io.readU4le();
      this.csLimit = this._io.readU4le();
      this.dsLimit = this._io.readU4le();
      this.esLimit = this._io.readU4le();
      this.fsLimit = this._io.readU4le();
      this.gsLimit = this._io.readU4le();
      this.ssLimit = this._io.readU4le();
      this.trLimit = this._io.readU4le();
      this.ldtrLimit = this._io.readU4le();
      this.idtrLimit = this._io.readU4le();
      this.gdtrLimit = this._io.readU4le();
      this.csBase = this._io.readU8le();
      this.dsBase = this._io.readU8le();
      this.esBase = this._io.readU8le();
      this.fsBase = this._io.readU8le();
      this.gsBase = this._io.readU8le();
      this.ssBase = this._io.readU8le();
      this.trBase = this._io.readU8le();
      this.ldtrBase = this._io.readU8le();
      this.idtrBase = this._io.readU8le();
      this.gdtrBase = this._io.readU8le();
      this.csArbytes = this._io.readU4le();
      this.dsArbytes = this._io.readU4le();
      this.esArbytes = this._io.readU4le();
      this.fsArbytes = this._io.readU4le();
      this.gsArbytes = this._io.readU4le();
      this.ssArbytes = this._io.readU4le();
      this.trArbytes = this._io.readU4le();
      this.ldtrArbytes = this._io.readU4le();
      this.sysenterCs = this._io.readU8le();
      this.sysenterEsp = this._io.readU8le();
      this.sysenterEip = this._io.readU8le();
      this.shadowGs = this._io.readU8le();
      if (this._io.size >= 960) {
        this.msrFlags = this._io.readU8le();
      }
      if (this._io.size >= 968) {
        this.msrLstar = this._io.readU8le();
      }
      if (this._io.size >= 976) {
        this.msrStar = this._io.readU8le();
      }
      if (this._io.size >= 984) {
        this.msrCstar = this._io.readU8le();
      }
      if (this._io.size >= 992) {
        this.msrSyscallMask = this._io.readU8le();
      }
      if (this._io.size >= 1000) {
        this.msrEfer = this._io.readU8le();
      }
      if ( ((this._io.size >= 1008) && (this._io.size != 1016)) ) {
        this.msrTscAux = this._io.readU8le();
      }
      if ( ((this._io.size >= 1016) && (this._io.size != 1016)) ) {
        this.tsc = this._io.readU8le();
      }
      if ( ((this._io.size >= 1020) && (this._io.size != 1016)) ) {
        this.pendingEvent = this._io.readU4le();
      }
      if ( ((this._io.size >= 1024) && (this._io.size != 1016)) ) {
        this.errorCode = this._io.readU4le();
      }
      if ( ((this._io.size >= 1028) && (this._io.size != 1016)) ) {
        this.flags = this._io.readU4le();
      }
      if (this._io.size >= 1032) {
        this.pad0 = this._io.readU4le();
        if (!(this.pad0 == 0)) {
          throw new KaitaiStream.ValidationNotEqualError(0, this.pad0, this._io, "/types/hvm_hw_cpu/seq/80");
        }
      }
      if (this._io.size == 1016) {
        this.compat = new HvmHwCpuCompatTail(this._io, this, this._root);
      }
      if ( ((this._io.size < 1032) && (this._io.size != 1016)) ) {
        this.partial = this._io.readBytesFull();
      }
      if (this._io.size > 1032) {
        this.excess = [];
        var i = 0;
        while (!this._io.isEof()) {
          this.excess.push(this._io.readU1());
          if (!(this.excess[i] >= 1)) {
            throw new KaitaiStream.ValidationLessThanError(1, this.excess[i], this._io, "/types/hvm_hw_cpu/seq/83");
          }
          if (!(this.excess[i] <= 0)) {
            throw new KaitaiStream.ValidationGreaterThanError(0, this.excess[i], this._io, "/types/hvm_hw_cpu/seq/83");
          }
          i++;
        }
      }
    }

    /**
     * True when error_code goes with the pending event.
     */
    Object.defineProperty(HvmHwCpu.prototype, 'pendingErrorValid', {
      get: function() {
        if (this._m_pendingErrorValid !== undefined)
          return this._m_pendingErrorValid;
        if ( ((this._io.size >= 1020) && (this._io.size != 1016)) ) {
          this._m_pendingErrorValid = (this.pendingEvent >>> 11 & 1) != 0;
        }
        return this._m_pendingErrorValid;
      }
    });

    /**
     * Type of the pending event (external interrupt, NMI, exception...).
     */
    Object.defineProperty(HvmHwCpu.prototype, 'pendingType', {
      get: function() {
        if (this._m_pendingType !== undefined)
          return this._m_pendingType;
        if ( ((this._io.size >= 1020) && (this._io.size != 1016)) ) {
          this._m_pendingType = this.pendingEvent >>> 8 & 7;
        }
        return this._m_pendingType;
      }
    });

    /**
     * True when an event is pending.
     */
    Object.defineProperty(HvmHwCpu.prototype, 'pendingValid', {
      get: function() {
        if (this._m_pendingValid !== undefined)
          return this._m_pendingValid;
        if ( ((this._io.size >= 1020) && (this._io.size != 1016)) ) {
          this._m_pendingValid = this.pendingEvent >>> 31 != 0;
        }
        return this._m_pendingValid;
      }
    });

    /**
     * Vector of the pending event.
     */
    Object.defineProperty(HvmHwCpu.prototype, 'pendingVector', {
      get: function() {
        if (this._m_pendingVector !== undefined)
          return this._m_pendingVector;
        if ( ((this._io.size >= 1020) && (this._io.size != 1016)) ) {
          this._m_pendingVector = this.pendingEvent & 255;
        }
        return this._m_pendingVector;
      }
    });

    /**
     * The FXSAVE image of the x87/SSE state (512 octets).
     */

    /**
     * General-purpose register RAX.
     */

    /**
     * General-purpose register RBX.
     */

    /**
     * General-purpose register RCX.
     */

    /**
     * General-purpose register RDX.
     */

    /**
     * General-purpose register RBP.
     */

    /**
     * General-purpose register RSI.
     */

    /**
     * General-purpose register RDI.
     */

    /**
     * General-purpose register RSP.
     */

    /**
     * General-purpose register R8.
     */

    /**
     * General-purpose register R9.
     */

    /**
     * General-purpose register R10.
     */

    /**
     * General-purpose register R11.
     */

    /**
     * General-purpose register R12.
     */

    /**
     * General-purpose register R13.
     */

    /**
     * General-purpose register R14.
     */

    /**
     * General-purpose register R15.
     */

    /**
     * Instruction pointer.
     */

    /**
     * Flags register.
     */

    /**
     * Control register CR0.
     */

    /**
     * Control register CR2.
     */

    /**
     * Control register CR3.
     */

    /**
     * Control register CR4.
     */

    /**
     * Debug register DR0.
     */

    /**
     * Debug register DR1.
     */

    /**
     * Debug register DR2.
     */

    /**
     * Debug register DR3.
     */

    /**
     * Debug register DR6.
     */

    /**
     * Debug register DR7.
     */

    /**
     * CS selector.
     */

    /**
     * DS selector.
     */

    /**
     * ES selector.
     */

    /**
     * FS selector.
     */

    /**
     * GS selector.
     */

    /**
     * SS selector.
     */

    /**
     * TR selector.
     */

    /**
     * LDTR selector.
     */

    /**
     * CS limit.
     */

    /**
     * DS limit.
     */

    /**
     * ES limit.
     */

    /**
     * FS limit.
     */

    /**
     * GS limit.
     */

    /**
     * SS limit.
     */

    /**
     * TR limit.
     */

    /**
     * LDTR limit.
     */

    /**
     * IDTR limit.
     */

    /**
     * GDTR limit.
     */

    /**
     * CS base address.
     */

    /**
     * DS base address.
     */

    /**
     * ES base address.
     */

    /**
     * FS base address.
     */

    /**
     * GS base address.
     */

    /**
     * SS base address.
     */

    /**
     * TR base address.
     */

    /**
     * LDTR base address.
     */

    /**
     * IDTR base address.
     */

    /**
     * GDTR base address.
     */

    /**
     * CS attributes, packed: type, S, DPL, P in bits 0-7; AVL, L, D/B, G
     * in bits 8-11.
     */

    /**
     * DS attributes, packed: type, S, DPL, P in bits 0-7; AVL, L, D/B, G
     * in bits 8-11.
     */

    /**
     * ES attributes, packed: type, S, DPL, P in bits 0-7; AVL, L, D/B, G
     * in bits 8-11.
     */

    /**
     * FS attributes, packed: type, S, DPL, P in bits 0-7; AVL, L, D/B, G
     * in bits 8-11.
     */

    /**
     * GS attributes, packed: type, S, DPL, P in bits 0-7; AVL, L, D/B, G
     * in bits 8-11.
     */

    /**
     * SS attributes, packed: type, S, DPL, P in bits 0-7; AVL, L, D/B, G
     * in bits 8-11.
     */

    /**
     * TR attributes, packed: type, S, DPL, P in bits 0-7; AVL, L, D/B, G
     * in bits 8-11.
     */

    /**
     * LDTR attributes, packed: type, S, DPL, P in bits 0-7; AVL, L, D/B, G
     * in bits 8-11.
     */

    /**
     * SYSENTER_CS MSR.
     */

    /**
     * SYSENTER_ESP MSR.
     */

    /**
     * SYSENTER_EIP MSR.
     */

    /**
     * The GS base SWAPGS exchanges (KERNEL_GS_BASE MSR).
     */

    /**
     * Obsolete; ignored on restore.
     */

    /**
     * LSTAR MSR.
     */

    /**
     * STAR MSR.
     */

    /**
     * CSTAR MSR.
     */

    /**
     * SYSCALL flag mask (FMASK) MSR.
     */

    /**
     * EFER MSR.
     */

    /**
     * TSC_AUX MSR (RDTSCP's value).
     */

    /**
     * The guest's TSC at the time of saving.
     */

    /**
     * An event to inject on resume: vector in bits 0-7, type in bits 8-10,
     * error code valid in bit 11, valid in bit 31.
     */

    /**
     * Error code of the pending event.
     */

    /**
     * Bit 0 (XEN_X86_FPU_INITIALISED): fpu_regs holds live state.
     */

    /**
     * Padding, must be zero (HVM-CPU-001).
     */

    /**
     * The last three fields of the 1016-octet compat layout.
     */

    /**
     * The octets of a field that a shorter entry cuts short (none when it
     * ends between fields).
     */

    /**
     * Never present: an octet after the 1032 octets of the structure fails
     * validation (every value is refused), so the entry length must not
     * exceed the structure (HVM-SIZE-001, HVM-SIZE-002).
     */

    return HvmHwCpu;
  })();

  /**
   * The fields of struct hvm_hw_cpu_compat after msr_efer: the compat
   * layout has no msr_tsc_aux, so these sit 8 octets lower than in the
   * current layout.
   * @see spec/hvm-context.md#cpu
   */

  var HvmHwCpuCompatTail = XenHvmContext.HvmHwCpuCompatTail = (function() {
    function HvmHwCpuCompatTail(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    HvmHwCpuCompatTail.prototype._read = function() {
      this.tsc = this._io.readU8le();
      this.pendingEvent = this._io.readU4le();
      this.errorCode = this._io.readU4le();
    }

    /**
     * The guest's TSC at the time of saving.
     */

    /**
     * An event to inject on resume (as in hvm_hw_cpu).
     */

    /**
     * Error code of the pending event.
     */

    return HvmHwCpuCompatTail;
  })();

  /**
   * CPU_XSAVE (typecode 16, per vCPU): the extended state of one vCPU in
   * the standard (uncompacted) XSAVE format; its length depends on the
   * features in xcr0_accum, at least 600 octets (HVM-XSAVE-001).
   * @see spec/hvm-context.md#cpu_xsave
   */

  var HvmHwCpuXsave = XenHvmContext.HvmHwCpuXsave = (function() {
    function HvmHwCpuXsave(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    HvmHwCpuXsave.prototype._read = function() {
      this.xfeatureMask = this._io.readU8le();
      this.xcr0 = this._io.readU8le();
      this.xcr0Accum = this._io.readU8le();
      this.fpuSse = this._io.readBytes(512);
      this.xstateBv = this._io.readU8le();
      this.xcompBv = this._io.readU8le();
      if (!(this.xcompBv == 0)) {
        throw new KaitaiStream.ValidationNotEqualError(0, this.xcompBv, this._io, "/types/hvm_hw_cpu_xsave/seq/5");
      }
      this.reserved = [];
      for (var i = 0; i < 6; i++) {
        this.reserved.push(this._io.readU8le());
        if (!(this.reserved[i] == 0)) {
          throw new KaitaiStream.ValidationNotEqualError(0, this.reserved[i], this._io, "/types/hvm_hw_cpu_xsave/seq/6");
        }
      }
      this.extended = this._io.readBytesFull();
    }

    /**
     * The saving host's feature mask; ignored on restore.
     */

    /**
     * The vCPU's XCR0.
     */

    /**
     * Every feature the vCPU has enabled in XCR0 so far.
     */

    /**
     * The legacy x87/SSE region of the XSAVE area.
     */

    /**
     * The XSAVE header's XSTATE_BV: which components hold state.
     */

    /**
     * The XSAVE header's XCOMP_BV; zero, as Xen accepts only the standard
     * format (HVM-XSAVE-002).
     */

    /**
     * The rest of the 64-octet XSAVE header, must be zero (HVM-XSAVE-002).
     */

    /**
     * The extended components (AVX and later) at their standard offsets.
     */

    return HvmHwCpuXsave;
  })();

  /**
   * HPET (typecode 12): the high precision event timer's register block
   * and the comparator periods, 1048 octets.
   * @see spec/hvm-context.md#typecodes
   */

  var HvmHwHpet = XenHvmContext.HvmHwHpet = (function() {
    function HvmHwHpet(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    HvmHwHpet.prototype._read = function() {
      this.capability = this._io.readU8le();
      this.res0 = this._io.readU8le();
      this.config = this._io.readU8le();
      this.res1 = this._io.readU8le();
      this.isr = this._io.readU8le();
      this.res2 = [];
      for (var i = 0; i < 25; i++) {
        this.res2.push(this._io.readU8le());
      }
      this.mc64 = this._io.readU8le();
      this.res3 = this._io.readU8le();
      this.timers = [];
      for (var i = 0; i < 3; i++) {
        this.timers.push(new HvmHwHpetTimer(this._io, this, this._root));
      }
      this.res5 = [];
      for (var i = 0; i < 84; i++) {
        this.res5.push(this._io.readU8le());
      }
      this.period = [];
      for (var i = 0; i < 3; i++) {
        this.period.push(this._io.readU8le());
      }
      this.excess = [];
      var i = 0;
      while (!this._io.isEof()) {
        this.excess.push(this._io.readU1());
        if (!(this.excess[i] >= 1)) {
          throw new KaitaiStream.ValidationLessThanError(1, this.excess[i], this._io, "/types/hvm_hw_hpet/seq/11");
        }
        if (!(this.excess[i] <= 0)) {
          throw new KaitaiStream.ValidationGreaterThanError(0, this.excess[i], this._io, "/types/hvm_hw_hpet/seq/11");
        }
        i++;
      }
    }

    /**
     * General capabilities and ID register.
     */

    /**
     * Reserved register.
     */

    /**
     * General configuration register.
     */

    /**
     * Reserved register.
     */

    /**
     * General interrupt status register.
     */

    /**
     * Reserved registers.
     */

    /**
     * Main counter.
     */

    /**
     * Reserved register.
     */

    /**
     * The three timers' registers.
     */

    /**
     * Registers of timers 3 to 23, reserved.
     */

    /**
     * The last value written to each comparator.
     */

    /**
     * Never present: an octet after the structure fails validation (every
     * value is refused), so the entry length must not exceed the structure
     * (HVM-SIZE-001, HVM-SIZE-002).
     */

    return HvmHwHpet;
  })();

  /**
   * The registers of one HPET timer, 32 octets.
   * @see spec/hvm-context.md#typecodes
   */

  var HvmHwHpetTimer = XenHvmContext.HvmHwHpetTimer = (function() {
    function HvmHwHpetTimer(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    HvmHwHpetTimer.prototype._read = function() {
      this.config = this._io.readU8le();
      this.cmp = this._io.readU8le();
      this.fsb = this._io.readU8le();
      this.res4 = this._io.readU8le();
    }

    /**
     * Configuration and capabilities register.
     */

    /**
     * Comparator register.
     */

    /**
     * FSB interrupt route (not supported).
     */

    /**
     * Reserved register.
     */

    return HvmHwHpetTimer;
  })();

  /**
   * ISA_IRQ (typecode 8): the level of each ISA IRQ wire, 8 octets.
   * @see spec/hvm-context.md#typecodes
   */

  var HvmHwIsaIrqs = XenHvmContext.HvmHwIsaIrqs = (function() {
    function HvmHwIsaIrqs(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    HvmHwIsaIrqs.prototype._read = function() {
      this.pad = this._io.readU8le();
      this.excess = [];
      var i = 0;
      while (!this._io.isEof()) {
        this.excess.push(this._io.readU1());
        if (!(this.excess[i] >= 1)) {
          throw new KaitaiStream.ValidationLessThanError(1, this.excess[i], this._io, "/types/hvm_hw_isa_irqs/seq/1");
        }
        if (!(this.excess[i] <= 0)) {
          throw new KaitaiStream.ValidationGreaterThanError(0, this.excess[i], this._io, "/types/hvm_hw_isa_irqs/seq/1");
        }
        i++;
      }
    }

    /**
     * A bitmap with one bit per ISA IRQ (bits 0-15 used).
     */

    /**
     * Never present: an octet after the structure fails validation (every
     * value is refused), so the entry length must not exceed the structure
     * (HVM-SIZE-001, HVM-SIZE-002).
     */

    return HvmHwIsaIrqs;
  })();

  /**
   * LAPIC (typecode 5, per vCPU): local APIC state outside the register
   * page. 32 octets (28 of fields and 4 of tail padding); Xen zero-
   * extends a shorter entry.
   * @see spec/hvm-context.md#typecodes
   */

  var HvmHwLapic = XenHvmContext.HvmHwLapic = (function() {
    function HvmHwLapic(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    HvmHwLapic.prototype._read = function() {
      if (this._io.size >= 8) {
        this.apicBaseMsr = this._io.readU8le();
      }
      if (this._io.size >= 12) {
        this.disabled = this._io.readU4le();
      }
      if (this._io.size >= 16) {
        this.timerDivisor = this._io.readU4le();
      }
      if (this._io.size >= 24) {
        this.tdtMsr = this._io.readU8le();
      }
      if (this._io.size >= 28) {
        this.pendingEsr = this._io.readU4le();
      }
      if (this._io.size >= 32) {
        this.pad = this._io.readBytes(4);
      }
      if (this._io.size < 32) {
        this.partial = this._io.readBytesFull();
      }
      if (this._io.size > 32) {
        this.excess = [];
        var i = 0;
        while (!this._io.isEof()) {
          this.excess.push(this._io.readU1());
          if (!(this.excess[i] >= 1)) {
            throw new KaitaiStream.ValidationLessThanError(1, this.excess[i], this._io, "/types/hvm_hw_lapic/seq/7");
          }
          if (!(this.excess[i] <= 0)) {
            throw new KaitaiStream.ValidationGreaterThanError(0, this.excess[i], this._io, "/types/hvm_hw_lapic/seq/7");
          }
          i++;
        }
      }
    }

    /**
     * APIC_BASE MSR.
     */

    /**
     * Why the local APIC is disabled (VLAPIC_*_DISABLED bits).
     */

    /**
     * Timer divide value.
     */

    /**
     * TSC deadline MSR.
     */

    /**
     * Error status bits waiting to be latched.
     */

    /**
     * Tail padding of the structure.
     */

    /**
     * The octets of a field that a shorter entry cuts short.
     */

    /**
     * Never present: an octet after the 32 octets of the structure fails
     * validation (every value is refused), so the entry length must not
     * exceed the structure (HVM-SIZE-001, HVM-SIZE-002).
     */

    return HvmHwLapic;
  })();

  /**
   * LAPIC_REGS (typecode 6, per vCPU): the local APIC's 1 KiB register
   * page.
   * @see spec/hvm-context.md#typecodes
   */

  var HvmHwLapicRegs = XenHvmContext.HvmHwLapicRegs = (function() {
    function HvmHwLapicRegs(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    HvmHwLapicRegs.prototype._read = function() {
      this.data = this._io.readBytes(1024);
      this.excess = [];
      var i = 0;
      while (!this._io.isEof()) {
        this.excess.push(this._io.readU1());
        if (!(this.excess[i] >= 1)) {
          throw new KaitaiStream.ValidationLessThanError(1, this.excess[i], this._io, "/types/hvm_hw_lapic_regs/seq/1");
        }
        if (!(this.excess[i] <= 0)) {
          throw new KaitaiStream.ValidationGreaterThanError(0, this.excess[i], this._io, "/types/hvm_hw_lapic_regs/seq/1");
        }
        i++;
      }
    }

    /**
     * The register page as the guest sees it through MMIO.
     */

    /**
     * Never present: an octet after the structure fails validation (every
     * value is refused), so the entry length must not exceed the structure
     * (HVM-SIZE-001, HVM-SIZE-002).
     */

    return HvmHwLapicRegs;
  })();

  /**
   * MTRR (typecode 14, per vCPU): PAT and memory type range registers,
   * 240 octets.
   * @see spec/hvm-context.md#typecodes
   */

  var HvmHwMtrr = XenHvmContext.HvmHwMtrr = (function() {
    function HvmHwMtrr(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    HvmHwMtrr.prototype._read = function() {
      this.msrPatCr = this._io.readU8le();
      this.msrMtrrVar = [];
      for (var i = 0; i < 16; i++) {
        this.msrMtrrVar.push(this._io.readU8le());
      }
      this.msrMtrrFixed = [];
      for (var i = 0; i < 11; i++) {
        this.msrMtrrFixed.push(this._io.readU8le());
      }
      this.msrMtrrCap = this._io.readU8le();
      this.msrMtrrDefType = this._io.readU8le();
      this.excess = [];
      var i = 0;
      while (!this._io.isEof()) {
        this.excess.push(this._io.readU1());
        if (!(this.excess[i] >= 1)) {
          throw new KaitaiStream.ValidationLessThanError(1, this.excess[i], this._io, "/types/hvm_hw_mtrr/seq/5");
        }
        if (!(this.excess[i] <= 0)) {
          throw new KaitaiStream.ValidationGreaterThanError(0, this.excess[i], this._io, "/types/hvm_hw_mtrr/seq/5");
        }
        i++;
      }
    }

    /**
     * PAT MSR.
     */

    /**
     * The eight variable ranges, each a PHYSBASE then a PHYSMASK MSR.
     */

    /**
     * The eleven fixed-range MSRs.
     */

    /**
     * MTRRcap MSR.
     */

    /**
     * MTRRdefType MSR.
     */

    /**
     * Never present: an octet after the structure fails validation (every
     * value is refused), so the entry length must not exceed the structure
     * (HVM-SIZE-001, HVM-SIZE-002).
     */

    return HvmHwMtrr;
  })();

  /**
   * PCI_IRQ (typecode 7): the level of each PCI INTx wire, 16 octets.
   * @see spec/hvm-context.md#typecodes
   */

  var HvmHwPciIrqs = XenHvmContext.HvmHwPciIrqs = (function() {
    function HvmHwPciIrqs(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    HvmHwPciIrqs.prototype._read = function() {
      this.pad = [];
      for (var i = 0; i < 2; i++) {
        this.pad.push(this._io.readU8le());
      }
      this.excess = [];
      var i = 0;
      while (!this._io.isEof()) {
        this.excess.push(this._io.readU1());
        if (!(this.excess[i] >= 1)) {
          throw new KaitaiStream.ValidationLessThanError(1, this.excess[i], this._io, "/types/hvm_hw_pci_irqs/seq/1");
        }
        if (!(this.excess[i] <= 0)) {
          throw new KaitaiStream.ValidationGreaterThanError(0, this.excess[i], this._io, "/types/hvm_hw_pci_irqs/seq/1");
        }
        i++;
      }
    }

    /**
     * A 128-bit bitmap, bit device * 4 + INTx, as two 64-bit words.
     */

    /**
     * Never present: an octet after the structure fails validation (every
     * value is refused), so the entry length must not exceed the structure
     * (HVM-SIZE-001, HVM-SIZE-002).
     */

    return HvmHwPciIrqs;
  })();

  /**
   * PCI_LINK (typecode 9): the routing of the four PCI-ISA links, 8
   * octets.
   * @see spec/hvm-context.md#platform-devices
   */

  var HvmHwPciLink = XenHvmContext.HvmHwPciLink = (function() {
    function HvmHwPciLink(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    HvmHwPciLink.prototype._read = function() {
      this.route = [];
      for (var i = 0; i < 4; i++) {
        this.route.push(this._io.readU1());
        if (!(this.route[i] <= 15)) {
          throw new KaitaiStream.ValidationGreaterThanError(15, this.route[i], this._io, "/types/hvm_hw_pci_link/seq/0");
        }
      }
      this.pad0 = [];
      for (var i = 0; i < 4; i++) {
        this.pad0.push(this._io.readU1());
        if (!(this.pad0[i] == 0)) {
          throw new KaitaiStream.ValidationNotEqualError(0, this.pad0[i], this._io, "/types/hvm_hw_pci_link/seq/1");
        }
      }
      this.excess = [];
      var i = 0;
      while (!this._io.isEof()) {
        this.excess.push(this._io.readU1());
        if (!(this.excess[i] >= 1)) {
          throw new KaitaiStream.ValidationLessThanError(1, this.excess[i], this._io, "/types/hvm_hw_pci_link/seq/2");
        }
        if (!(this.excess[i] <= 0)) {
          throw new KaitaiStream.ValidationGreaterThanError(0, this.excess[i], this._io, "/types/hvm_hw_pci_link/seq/2");
        }
        i++;
      }
    }

    /**
     * The ISA IRQ (0-15) each link is routed to (HVM-LINK-001).
     */

    /**
     * Padding, must be zero (HVM-LINK-002).
     */

    /**
     * Never present: an octet after the structure fails validation (every
     * value is refused), so the entry length must not exceed the structure
     * (HVM-SIZE-001, HVM-SIZE-002).
     */

    return HvmHwPciLink;
  })();

  /**
   * PIT (typecode 10): the 8254 programmable interval timer, 56 octets.
   * @see spec/hvm-context.md#platform-devices
   */

  var HvmHwPit = XenHvmContext.HvmHwPit = (function() {
    function HvmHwPit(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    HvmHwPit.prototype._read = function() {
      this.channels = [];
      for (var i = 0; i < 3; i++) {
        this.channels.push(new HvmHwPitChannel(this._io, this, this._root));
      }
      this.speakerDataOn = this._io.readU4le();
      if (!(this.speakerDataOn <= 1)) {
        throw new KaitaiStream.ValidationGreaterThanError(1, this.speakerDataOn, this._io, "/types/hvm_hw_pit/seq/1");
      }
      this.pad0 = this._io.readU4le();
      if (!(this.pad0 == 0)) {
        throw new KaitaiStream.ValidationNotEqualError(0, this.pad0, this._io, "/types/hvm_hw_pit/seq/2");
      }
      this.excess = [];
      var i = 0;
      while (!this._io.isEof()) {
        this.excess.push(this._io.readU1());
        if (!(this.excess[i] >= 1)) {
          throw new KaitaiStream.ValidationLessThanError(1, this.excess[i], this._io, "/types/hvm_hw_pit/seq/3");
        }
        if (!(this.excess[i] <= 0)) {
          throw new KaitaiStream.ValidationGreaterThanError(0, this.excess[i], this._io, "/types/hvm_hw_pit/seq/3");
        }
        i++;
      }
    }

    /**
     * The three counters.
     */

    /**
     * Speaker data gate, 0 or 1 (HVM-PIT-001).
     */

    /**
     * Padding, must be zero (HVM-PIT-001).
     */

    /**
     * Never present: an octet after the structure fails validation (every
     * value is refused), so the entry length must not exceed the structure
     * (HVM-SIZE-001, HVM-SIZE-002).
     */

    return HvmHwPit;
  })();

  /**
   * One PIT counter, 16 octets.
   * @see spec/hvm-context.md#platform-devices
   */

  var HvmHwPitChannel = XenHvmContext.HvmHwPitChannel = (function() {
    function HvmHwPitChannel(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    HvmHwPitChannel.prototype._read = function() {
      this.count = this._io.readU4le();
      this.latchedCount = this._io.readU2le();
      this.countLatched = this._io.readU1();
      this.statusLatched = this._io.readU1();
      this.status = this._io.readU1();
      this.readState = this._io.readU1();
      this.writeState = this._io.readU1();
      this.writeLatch = this._io.readU1();
      this.rwMode = this._io.readU1();
      this.mode = this._io.readU1();
      this.bcd = this._io.readU1();
      this.gate = this._io.readU1();
    }

    /**
     * Initial count (up to 65536).
     */

    /**
     * Count latched by a latch command.
     */

    /**
     * Which half of the count is latched.
     */

    /**
     * Nonzero when the status is latched.
     */

    /**
     * The latched status octet.
     */

    /**
     * Read state machine.
     */

    /**
     * Write state machine.
     */

    /**
     * First octet of a two-octet write.
     */

    /**
     * Access mode (LSB, MSB, word).
     */

    /**
     * Counter mode.
     */

    /**
     * BCD counting (not supported).
     */

    /**
     * Gate input.
     */

    return HvmHwPitChannel;
  })();

  /**
   * PMTIMER (typecode 13): the ACPI power-management timer, 8 octets.
   * @see spec/hvm-context.md#typecodes
   */

  var HvmHwPmtimer = XenHvmContext.HvmHwPmtimer = (function() {
    function HvmHwPmtimer(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    HvmHwPmtimer.prototype._read = function() {
      this.tmrVal = this._io.readU4le();
      this.pm1aSts = this._io.readU2le();
      this.pm1aEn = this._io.readU2le();
      this.excess = [];
      var i = 0;
      while (!this._io.isEof()) {
        this.excess.push(this._io.readU1());
        if (!(this.excess[i] >= 1)) {
          throw new KaitaiStream.ValidationLessThanError(1, this.excess[i], this._io, "/types/hvm_hw_pmtimer/seq/3");
        }
        if (!(this.excess[i] <= 0)) {
          throw new KaitaiStream.ValidationGreaterThanError(0, this.excess[i], this._io, "/types/hvm_hw_pmtimer/seq/3");
        }
        i++;
      }
    }

    /**
     * PM_TMR_BLK.TMR_VAL, the free-running counter.
     */

    /**
     * PM1a_STS status register.
     */

    /**
     * PM1a_EN enable register.
     */

    /**
     * Never present: an octet after the structure fails validation (every
     * value is refused), so the entry length must not exceed the structure
     * (HVM-SIZE-001, HVM-SIZE-002).
     */

    return HvmHwPmtimer;
  })();

  /**
   * RTC (typecode 11): the CMOS real-time clock, 24 octets; Xen zero-
   * extends a shorter entry (older ones had no rtc_offset).
   * @see spec/hvm-context.md#typecodes
   */

  var HvmHwRtc = XenHvmContext.HvmHwRtc = (function() {
    function HvmHwRtc(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    HvmHwRtc.prototype._read = function() {
      this.cmosData = this._io.readBytes(14);
      if (this._io.size >= 15) {
        this.cmosIndex = this._io.readU1();
      }
      if (this._io.size >= 16) {
        this.pad0 = this._io.readU1();
      }
      if (this._io.size >= 24) {
        this.rtcOffset = this._io.readS8le();
      }
      if (this._io.size < 24) {
        this.partial = this._io.readBytesFull();
      }
      if (this._io.size > 24) {
        this.excess = [];
        var i = 0;
        while (!this._io.isEof()) {
          this.excess.push(this._io.readU1());
          if (!(this.excess[i] >= 1)) {
            throw new KaitaiStream.ValidationLessThanError(1, this.excess[i], this._io, "/types/hvm_hw_rtc/seq/5");
          }
          if (!(this.excess[i] <= 0)) {
            throw new KaitaiStream.ValidationGreaterThanError(0, this.excess[i], this._io, "/types/hvm_hw_rtc/seq/5");
          }
          i++;
        }
      }
    }

    /**
     * The 14 clock and status registers of the CMOS.
     */

    /**
     * The index register.
     */

    /**
     * Padding.
     */

    /**
     * Offset of the guest's clock from host time, in seconds.
     */

    /**
     * The octets of a field that a shorter entry cuts short.
     */

    /**
     * Never present: an octet after the 24 octets of the structure fails
     * validation (every value is refused), so the entry length must not
     * exceed the structure (HVM-SIZE-001, HVM-SIZE-002).
     */

    return HvmHwRtc;
  })();

  /**
   * IOAPIC (typecode 4): the single virtual IO-APIC with its 48 pins,
   * 400 octets.
   * @see spec/hvm-context.md#typecodes
   */

  var HvmHwVioapic = XenHvmContext.HvmHwVioapic = (function() {
    function HvmHwVioapic(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    HvmHwVioapic.prototype._read = function() {
      this.baseAddress = this._io.readU8le();
      this.ioregsel = this._io.readU4le();
      this.id = this._io.readU4le();
      this.redirtbl = [];
      for (var i = 0; i < 48; i++) {
        this.redirtbl.push(this._io.readU8le());
      }
      this.excess = [];
      var i = 0;
      while (!this._io.isEof()) {
        this.excess.push(this._io.readU1());
        if (!(this.excess[i] >= 1)) {
          throw new KaitaiStream.ValidationLessThanError(1, this.excess[i], this._io, "/types/hvm_hw_vioapic/seq/4");
        }
        if (!(this.excess[i] <= 0)) {
          throw new KaitaiStream.ValidationGreaterThanError(0, this.excess[i], this._io, "/types/hvm_hw_vioapic/seq/4");
        }
        i++;
      }
    }

    /**
     * Guest-physical address of the IO-APIC registers.
     */

    /**
     * The register select (index) register.
     */

    /**
     * IO-APIC identification.
     */

    /**
     * The redirection table, one 64-bit entry per pin: vector, delivery
     * mode, destination mode, status, polarity, remote IRR, trigger mode,
     * mask, destination.
     */

    /**
     * Never present: an octet after the structure fails validation (every
     * value is refused), so the entry length must not exceed the structure
     * (HVM-SIZE-001, HVM-SIZE-002).
     */

    return HvmHwVioapic;
  })();

  /**
   * PIC (typecode 3, instance 0 master, 1 slave): one 8259 interrupt
   * controller, 8 octets.
   * @see spec/hvm-context.md#platform-devices
   */

  var HvmHwVpic = XenHvmContext.HvmHwVpic = (function() {
    function HvmHwVpic(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    HvmHwVpic.prototype._read = function() {
      this.irr = this._io.readU1();
      this.imr = this._io.readU1();
      this.isr = this._io.readU1();
      this.irqBase = this._io.readU1();
      this.initState = this._io.readBitsIntLe(4);
      this.priorityAdd = this._io.readBitsIntLe(4);
      this.readselIsr = this._io.readBitsIntLe(1) != 0;
      this.poll = this._io.readBitsIntLe(1) != 0;
      this.autoEoi = this._io.readBitsIntLe(1) != 0;
      this.rotateOnAutoEoi = this._io.readBitsIntLe(1) != 0;
      this.specialFullyNestedMode = this._io.readBitsIntLe(1) != 0;
      this.specialMaskMode = this._io.readBitsIntLe(1) != 0;
      this.isMaster = this._io.readBitsIntLe(1) != 0;
      this.unused = this._io.readBitsIntLe(1) != 0;
      this._io.alignToByte();
      this.elcr = this._io.readU1();
      this.intOutput = this._io.readU1();
      this.excess = [];
      var i = 0;
      while (!this._io.isEof()) {
        this.excess.push(this._io.readU1());
        if (!(this.excess[i] >= 1)) {
          throw new KaitaiStream.ValidationLessThanError(1, this.excess[i], this._io, "/types/hvm_hw_vpic/seq/16");
        }
        if (!(this.excess[i] <= 0)) {
          throw new KaitaiStream.ValidationGreaterThanError(0, this.excess[i], this._io, "/types/hvm_hw_vpic/seq/16");
        }
        i++;
      }
    }

    /**
     * Interrupt request register.
     */

    /**
     * Interrupt mask register.
     */

    /**
     * In-service register.
     */

    /**
     * Vector of line 0 (line x raises irq_base + x).
     */

    /**
     * Progress through the ICW2-ICW4 initialisation words (0 when none is
     * under way).
     */

    /**
     * The line with the highest priority.
     */

    /**
     * Reads at A=0 return the ISR rather than the IRR.
     */

    /**
     * The next read is a poll.
     */

    /**
     * Automatic end of interrupt.
     */

    /**
     * Rotate priorities on automatic EOI.
     */

    /**
     * Special fully nested mode.
     */

    /**
     * Special mask mode.
     */

    /**
     * Set for the master PIC (instance 0).
     */

    /**
     * The eighth bit of the mode octet, not used.
     */

    /**
     * Edge/level trigger selection, one bit per line.
     */

    /**
     * State of the INT output line.
     */

    /**
     * Never present: an octet after the structure fails validation (every
     * value is refused), so the entry length must not exceed the structure
     * (HVM-SIZE-001, HVM-SIZE-002).
     */

    return HvmHwVpic;
  })();

  /**
   * CPU_MSR (typecode 20, per vCPU): model-specific registers Xen saves
   * beyond the CPU entry, 8 octets plus 16 per MSR (HVM-MSR-001).
   * @see spec/hvm-context.md#cpu_msr
   */

  var HvmMsr = XenHvmContext.HvmMsr = (function() {
    function HvmMsr(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    HvmMsr.prototype._read = function() {
      this.numMsr = this._io.readU4le();
      if (!(this.numMsr >= 1)) {
        throw new KaitaiStream.ValidationLessThanError(1, this.numMsr, this._io, "/types/hvm_msr/seq/0");
      }
      this.pad = this._io.readBytes(4);
      this.msr = [];
      for (var i = 0; i < this.numMsr; i++) {
        this.msr.push(new HvmOneMsr(this._io, this, this._root));
      }
      this.excess = [];
      var i = 0;
      while (!this._io.isEof()) {
        this.excess.push(this._io.readU1());
        if (!(this.excess[i] >= 1)) {
          throw new KaitaiStream.ValidationLessThanError(1, this.excess[i], this._io, "/types/hvm_msr/seq/3");
        }
        if (!(this.excess[i] <= 0)) {
          throw new KaitaiStream.ValidationGreaterThanError(0, this.excess[i], this._io, "/types/hvm_msr/seq/3");
        }
        i++;
      }
    }

    /**
     * Number of MSRs, at least one (HVM-MSR-001).
     */

    /**
     * Alignment of the array to 8 octets.
     */

    /**
     * The MSRs.
     */

    /**
     * Never present: an octet after the last MSR fails validation (every
     * value is refused), so the entry length must not exceed the structure
     * (HVM-SIZE-001, HVM-SIZE-002).
     */

    return HvmMsr;
  })();

  /**
   * One MSR, 16 octets.
   * @see spec/hvm-context.md#cpu_msr
   */

  var HvmOneMsr = XenHvmContext.HvmOneMsr = (function() {
    function HvmOneMsr(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    HvmOneMsr.prototype._read = function() {
      this.index = this._io.readU4le();
      this.rsvd = this._io.readU4le();
      if (!(this.rsvd == 0)) {
        throw new KaitaiStream.ValidationNotEqualError(0, this.rsvd, this._io, "/types/hvm_one_msr/seq/1");
      }
      this.val = this._io.readU8le();
    }

    /**
     * The MSR number.
     */

    /**
     * Reserved, must be zero (HVM-MSR-002).
     */

    /**
     * The MSR's value.
     */

    return HvmOneMsr;
  })();

  /**
   * HEADER (typecode 1): identifies the blob and the machine that saved
   * it.
   * @see spec/hvm-context.md#header
   */

  var HvmSaveHeader = XenHvmContext.HvmSaveHeader = (function() {
    function HvmSaveHeader(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    HvmSaveHeader.prototype._read = function() {
      this.magic = this._io.readU4le();
      if (!(this.magic == 1412960902)) {
        throw new KaitaiStream.ValidationNotEqualError(1412960902, this.magic, this._io, "/types/hvm_save_header/seq/0");
      }
      this.version = this._io.readU4le();
      if (!(this.version == 1)) {
        throw new KaitaiStream.ValidationNotEqualError(1, this.version, this._io, "/types/hvm_save_header/seq/1");
      }
      this.changeset = this._io.readU8le();
      this.cpuid = this._io.readU4le();
      this.gtscKhz = this._io.readU4le();
    }

    /**
     * HVM_FILE_MAGIC (HVM-HDR-002).
     */

    /**
     * HVM_FILE_VERSION, the only version there is (HVM-HDR-003).
     */

    /**
     * Changeset of the Xen that saved the guest; all ones when unknown.
     */

    /**
     * CPUID leaf 1 EAX (family, model, stepping) of the saving host.
     */

    /**
     * The guest's TSC frequency in kHz; 0 keeps the restoring host's.
     */

    return HvmSaveHeader;
  })();

  /**
   * TSC_ADJUST (typecode 19, per vCPU): the IA32_TSC_ADJUST MSR, 8
   * octets.
   * @see spec/hvm-context.md#typecodes
   */

  var HvmTscAdjust = XenHvmContext.HvmTscAdjust = (function() {
    function HvmTscAdjust(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    HvmTscAdjust.prototype._read = function() {
      this.tscAdjust = this._io.readU8le();
      this.excess = [];
      var i = 0;
      while (!this._io.isEof()) {
        this.excess.push(this._io.readU1());
        if (!(this.excess[i] >= 1)) {
          throw new KaitaiStream.ValidationLessThanError(1, this.excess[i], this._io, "/types/hvm_tsc_adjust/seq/1");
        }
        if (!(this.excess[i] <= 0)) {
          throw new KaitaiStream.ValidationGreaterThanError(0, this.excess[i], this._io, "/types/hvm_tsc_adjust/seq/1");
        }
        i++;
      }
    }

    /**
     * The MSR's value.
     */

    /**
     * Never present: an octet after the structure fails validation (every
     * value is refused), so the entry length must not exceed the structure
     * (HVM-SIZE-001, HVM-SIZE-002).
     */

    return HvmTscAdjust;
  })();

  /**
   * VIRIDIAN_DOMAIN (typecode 15): Hyper-V enlightenment state of the
   * domain, 32 octets; Xen zero-extends a shorter entry.
   * @see spec/hvm-context.md#typecodes
   */

  var HvmViridianDomainContext = XenHvmContext.HvmViridianDomainContext = (function() {
    function HvmViridianDomainContext(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    HvmViridianDomainContext.prototype._read = function() {
      if (this._io.size >= 8) {
        this.hypercallGpa = this._io.readU8le();
      }
      if (this._io.size >= 16) {
        this.guestOsId = this._io.readU8le();
      }
      if (this._io.size >= 24) {
        this.timeRefCount = this._io.readU8le();
      }
      if (this._io.size >= 32) {
        this.referenceTsc = this._io.readU8le();
      }
      if (this._io.size < 32) {
        this.partial = this._io.readBytesFull();
      }
      if (this._io.size > 32) {
        this.excess = [];
        var i = 0;
        while (!this._io.isEof()) {
          this.excess.push(this._io.readU1());
          if (!(this.excess[i] >= 1)) {
            throw new KaitaiStream.ValidationLessThanError(1, this.excess[i], this._io, "/types/hvm_viridian_domain_context/seq/5");
          }
          if (!(this.excess[i] <= 0)) {
            throw new KaitaiStream.ValidationGreaterThanError(0, this.excess[i], this._io, "/types/hvm_viridian_domain_context/seq/5");
          }
          i++;
        }
      }
    }

    /**
     * HV_X64_MSR_HYPERCALL.
     */

    /**
     * HV_X64_MSR_GUEST_OS_ID.
     */

    /**
     * Partition reference counter.
     */

    /**
     * HV_X64_MSR_REFERENCE_TSC.
     */

    /**
     * The octets of a field that a shorter entry cuts short.
     */

    /**
     * Never present: an octet after the 32 octets of the structure fails
     * validation (every value is refused), so the entry length must not
     * exceed the structure (HVM-SIZE-001, HVM-SIZE-002).
     */

    return HvmViridianDomainContext;
  })();

  /**
   * VIRIDIAN_VCPU (typecode 17, per vCPU): Hyper-V enlightenment state
   * of one vCPU, 216 octets; Xen zero-extends a shorter entry (older
   * ones stopped after the padding, at 16).
   * @see spec/hvm-context.md#typecodes
   */

  var HvmViridianVcpuContext = XenHvmContext.HvmViridianVcpuContext = (function() {
    function HvmViridianVcpuContext(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    HvmViridianVcpuContext.prototype._read = function() {
      if (this._io.size >= 8) {
        this.vpAssistMsr = this._io.readU8le();
      }
      if (this._io.size >= 9) {
        this.apicAssistPending = this._io.readU1();
      }
      if (this._io.size >= 16) {
        this.pad = this._io.readBytes(7);
      }
      if (this._io.size >= 24) {
        this.simpMsr = this._io.readU8le();
      }
      if (this._io.size >= 152) {
        this.sintMsr = [];
        for (var i = 0; i < 16; i++) {
          this.sintMsr.push(this._io.readU8le());
        }
      }
      if (this._io.size >= 184) {
        this.stimerConfigMsr = [];
        for (var i = 0; i < 4; i++) {
          this.stimerConfigMsr.push(this._io.readU8le());
        }
      }
      if (this._io.size >= 216) {
        this.stimerCountMsr = [];
        for (var i = 0; i < 4; i++) {
          this.stimerCountMsr.push(this._io.readU8le());
        }
      }
      if (this._io.size < 216) {
        this.partial = this._io.readBytesFull();
      }
      if (this._io.size > 216) {
        this.excess = [];
        var i = 0;
        while (!this._io.isEof()) {
          this.excess.push(this._io.readU1());
          if (!(this.excess[i] >= 1)) {
            throw new KaitaiStream.ValidationLessThanError(1, this.excess[i], this._io, "/types/hvm_viridian_vcpu_context/seq/8");
          }
          if (!(this.excess[i] <= 0)) {
            throw new KaitaiStream.ValidationGreaterThanError(0, this.excess[i], this._io, "/types/hvm_viridian_vcpu_context/seq/8");
          }
          i++;
        }
      }
    }

    /**
     * HV_X64_MSR_VP_ASSIST_PAGE.
     */

    /**
     * An APIC assist is outstanding.
     */

    /**
     * Padding.
     */

    /**
     * HV_X64_MSR_SIMP.
     */

    /**
     * The sixteen SINTx MSRs.
     */

    /**
     * The four synthetic timers' config MSRs.
     */

    /**
     * The four synthetic timers' count MSRs.
     */

    /**
     * The octets a shorter entry holds beyond its last whole field.
     */

    /**
     * Never present: an octet after the 216 octets of the structure fails
     * validation (every value is refused), so the entry length must not
     * exceed the structure (HVM-SIZE-001, HVM-SIZE-002).
     */

    return HvmViridianVcpuContext;
  })();

  /**
   * VMCE_VCPU (typecode 18, per vCPU): virtual machine-check state, 32
   * octets; Xen zero-extends a shorter entry.
   * @see spec/hvm-context.md#typecodes
   */

  var HvmVmceVcpu = XenHvmContext.HvmVmceVcpu = (function() {
    function HvmVmceVcpu(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    HvmVmceVcpu.prototype._read = function() {
      if (this._io.size >= 8) {
        this.caps = this._io.readU8le();
      }
      if (this._io.size >= 16) {
        this.mciCtl2Bank0 = this._io.readU8le();
      }
      if (this._io.size >= 24) {
        this.mciCtl2Bank1 = this._io.readU8le();
      }
      if (this._io.size >= 32) {
        this.mcgExtCtl = this._io.readU8le();
      }
      if (this._io.size < 32) {
        this.partial = this._io.readBytesFull();
      }
      if (this._io.size > 32) {
        this.excess = [];
        var i = 0;
        while (!this._io.isEof()) {
          this.excess.push(this._io.readU1());
          if (!(this.excess[i] >= 1)) {
            throw new KaitaiStream.ValidationLessThanError(1, this.excess[i], this._io, "/types/hvm_vmce_vcpu/seq/5");
          }
          if (!(this.excess[i] <= 0)) {
            throw new KaitaiStream.ValidationGreaterThanError(0, this.excess[i], this._io, "/types/hvm_vmce_vcpu/seq/5");
          }
          i++;
        }
      }
    }

    /**
     * MCG_CAP MSR.
     */

    /**
     * MCi_CTL2 of bank 0.
     */

    /**
     * MCi_CTL2 of bank 1.
     */

    /**
     * MCG_EXT_CTL MSR.
     */

    /**
     * The octets of a field that a shorter entry cuts short.
     */

    /**
     * Never present: an octet after the 32 octets of the structure fails
     * validation (every value is refused), so the entry length must not
     * exceed the structure (HVM-SIZE-001, HVM-SIZE-002).
     */

    return HvmVmceVcpu;
  })();

  /**
   * The HEADER entry, which must come first (HVM-HDR-001).
   */

  /**
   * The remaining entries, up to and including the END entry; a blob that
   * runs out before END is refused (HVM-FRAME-002).
   */

  /**
   * Octets after END, which a restorer ignores; there should be none
   * (HVM-FRAME-004).
   */

  return XenHvmContext;
})();
XenHvmContext_.XenHvmContext = XenHvmContext;
});
