// This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild

(function (root, factory) {
  if (typeof define === 'function' && define.amd) {
    define(['exports', 'kaitai-struct/KaitaiStream', './XenHvmContext', './XenPvVcpuContext'], factory);
  } else if (typeof exports === 'object' && exports !== null && typeof exports.nodeType !== 'number') {
    factory(exports, require('kaitai-struct/KaitaiStream'), require('./XenHvmContext'), require('./XenPvVcpuContext'));
  } else {
    factory(root.XenLibxcStream || (root.XenLibxcStream = {}), root.KaitaiStream, root.XenHvmContext || (root.XenHvmContext = {}), root.XenPvVcpuContext || (root.XenPvVcpuContext = {}));
  }
})(typeof self !== 'undefined' ? self : this, function (XenLibxcStream_, KaitaiStream, XenHvmContext_, XenPvVcpuContext_) {
/**
 * The lowest layer of a Xen domain save image: the memory, vCPU and
 * platform state of one guest, written by libxenguest (historically
 * "libxc"). It opens with a fixed 24-octet image header, always
 * big-endian, then a 16-octet domain header and a run of records. The
 * domain header and every record use the byte order named by bit 0 of the
 * image header's options (little-endian on every x86 host).
 * 
 * A record is a 32-bit type, a 32-bit body length, the body, and zero
 * padding up to the next multiple of 8 octets. Bit 31 of the type marks a
 * record a restorer may skip; a type this description does not know is
 * kept as raw octets whether or not that bit is set. The records run up
 * to an END record. Inside a libxl stream a checkpointed (Remus/COLO)
 * image splits the records into sections: each section but the last stops
 * at a CHECKPOINT record, the libxl layer then has its say, and the
 * following section carries records only, with no headers again (see
 * `embedded_stream` and `stream_section`).
 * 
 * Byte strings and 64-bit values are read whole. The one place where the
 * layout packs fields into a 64-bit value, the PFN entries of PAGE_DATA,
 * is read as a 32-bit half and bit fields of at most 20 bits, so that no
 * target language needs 64-bit arithmetic.
 * 
 * Specification: spec/libxc-stream.md (rules XC-*); the doc-ref of each
 * type names its section there.
 * @see spec/libxc-stream.md#overview
 * @see {@link https://xenbits.xen.org/docs/unstable/specs/libxc-migration-stream.html|Source}
 */

var XenLibxcStream = (function() {
  XenLibxcStream.DomainType = Object.freeze({
    X86_PV: 1,
    X86_HVM: 2,

    1: "X86_PV",
    2: "X86_HVM",
  });

  XenLibxcStream.HvmParam = Object.freeze({
    CALLBACK_IRQ: 0,
    STORE_PFN: 1,
    STORE_EVTCHN: 2,
    PAE_ENABLED: 4,
    IOREQ_PFN: 5,
    BUFIOREQ_PFN: 6,
    VIRIDIAN: 9,
    TIMER_MODE: 10,
    HPET_ENABLED: 11,
    IDENT_PT: 12,
    DM_DOMAIN: 13,
    ACPI_S_STATE: 14,
    VM86_TSS: 15,
    VPT_ALIGN: 16,
    CONSOLE_PFN: 17,
    CONSOLE_EVTCHN: 18,
    ACPI_IOPORTS_LOCATION: 19,
    MEMORY_EVENT_CR0: 20,
    MEMORY_EVENT_CR3: 21,
    MEMORY_EVENT_CR4: 22,
    MEMORY_EVENT_INT3: 23,
    NESTEDHVM: 24,
    MEMORY_EVENT_SINGLE_STEP: 25,
    BUFIOREQ_EVTCHN: 26,
    PAGING_RING_PFN: 27,
    MONITOR_RING_PFN: 28,
    SHARING_RING_PFN: 29,
    MEMORY_EVENT_MSR: 30,
    TRIPLE_FAULT_REASON: 31,
    IOREQ_SERVER_PFN: 32,
    NR_IOREQ_SERVER_PAGES: 33,
    VM_GENERATION_ID_ADDR: 34,
    ALTP2M: 35,
    X87_FIP_WIDTH: 36,
    VM86_TSS_SIZED: 37,
    MCA_CAP: 38,

    0: "CALLBACK_IRQ",
    1: "STORE_PFN",
    2: "STORE_EVTCHN",
    4: "PAE_ENABLED",
    5: "IOREQ_PFN",
    6: "BUFIOREQ_PFN",
    9: "VIRIDIAN",
    10: "TIMER_MODE",
    11: "HPET_ENABLED",
    12: "IDENT_PT",
    13: "DM_DOMAIN",
    14: "ACPI_S_STATE",
    15: "VM86_TSS",
    16: "VPT_ALIGN",
    17: "CONSOLE_PFN",
    18: "CONSOLE_EVTCHN",
    19: "ACPI_IOPORTS_LOCATION",
    20: "MEMORY_EVENT_CR0",
    21: "MEMORY_EVENT_CR3",
    22: "MEMORY_EVENT_CR4",
    23: "MEMORY_EVENT_INT3",
    24: "NESTEDHVM",
    25: "MEMORY_EVENT_SINGLE_STEP",
    26: "BUFIOREQ_EVTCHN",
    27: "PAGING_RING_PFN",
    28: "MONITOR_RING_PFN",
    29: "SHARING_RING_PFN",
    30: "MEMORY_EVENT_MSR",
    31: "TRIPLE_FAULT_REASON",
    32: "IOREQ_SERVER_PFN",
    33: "NR_IOREQ_SERVER_PAGES",
    34: "VM_GENERATION_ID_ADDR",
    35: "ALTP2M",
    36: "X87_FIP_WIDTH",
    37: "VM86_TSS_SIZED",
    38: "MCA_CAP",
  });

  XenLibxcStream.PageType = Object.freeze({
    NOTAB: 0,
    L1TAB: 1,
    L2TAB: 2,
    L3TAB: 3,
    L4TAB: 4,
    L1TAB_PIN: 9,
    L2TAB_PIN: 10,
    L3TAB_PIN: 11,
    L4TAB_PIN: 12,
    BROKEN: 13,
    XALLOC: 14,
    XTAB: 15,

    0: "NOTAB",
    1: "L1TAB",
    2: "L2TAB",
    3: "L3TAB",
    4: "L4TAB",
    9: "L1TAB_PIN",
    10: "L2TAB_PIN",
    11: "L3TAB_PIN",
    12: "L4TAB_PIN",
    13: "BROKEN",
    14: "XALLOC",
    15: "XTAB",
  });

  XenLibxcStream.RecType = Object.freeze({
    END: 0,
    PAGE_DATA: 1,
    X86_PV_INFO: 2,
    X86_PV_P2M_FRAMES: 3,
    X86_PV_VCPU_BASIC: 4,
    X86_PV_VCPU_EXTENDED: 5,
    X86_PV_VCPU_XSAVE: 6,
    SHARED_INFO: 7,
    X86_TSC_INFO: 8,
    HVM_CONTEXT: 9,
    HVM_PARAMS: 10,
    TOOLSTACK: 11,
    X86_PV_VCPU_MSRS: 12,
    VERIFY: 13,
    CHECKPOINT: 14,
    CHECKPOINT_DIRTY_PFN_LIST: 15,
    STATIC_DATA_END: 16,
    X86_CPUID_POLICY: 17,
    X86_MSR_POLICY: 18,

    0: "END",
    1: "PAGE_DATA",
    2: "X86_PV_INFO",
    3: "X86_PV_P2M_FRAMES",
    4: "X86_PV_VCPU_BASIC",
    5: "X86_PV_VCPU_EXTENDED",
    6: "X86_PV_VCPU_XSAVE",
    7: "SHARED_INFO",
    8: "X86_TSC_INFO",
    9: "HVM_CONTEXT",
    10: "HVM_PARAMS",
    11: "TOOLSTACK",
    12: "X86_PV_VCPU_MSRS",
    13: "VERIFY",
    14: "CHECKPOINT",
    15: "CHECKPOINT_DIRTY_PFN_LIST",
    16: "STATIC_DATA_END",
    17: "X86_CPUID_POLICY",
    18: "X86_MSR_POLICY",
  });

  XenLibxcStream.TscMode = Object.freeze({
    DEFAULT: 0,
    ALWAYS_EMULATE: 1,
    NEVER_EMULATE: 2,
    PVRDTSCP: 3,

    0: "DEFAULT",
    1: "ALWAYS_EMULATE",
    2: "NEVER_EMULATE",
    3: "PVRDTSCP",
  });

  function XenLibxcStream(_io, _parent, _root) {
    this._io = _io;
    this._parent = _parent;
    this._root = _root || this;

    this._read();
  }
  XenLibxcStream.prototype._read = function() {
    this.imageHeader = new Ihdr(this._io, this, this._root);
    this.section = new StreamSection(this._io, this, this._root, this.imageHeader.isBigEndian, true, 0, false);
  }

  /**
   * A libxc stream as it appears inside a libxl stream right after the
   * LIBXC_CONTEXT record: both headers, then records up to END or up to
   * the first CHECKPOINT, whichever comes first.
   * @see spec/nesting.md#libxl-stream-and-libxc-stream
   */

  var EmbeddedStream = XenLibxcStream.EmbeddedStream = (function() {
    function EmbeddedStream(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    EmbeddedStream.prototype._read = function() {
      this.imageHeader = new Ihdr(this._io, this, this._root);
      this.section = new StreamSection(this._io, this, this._root, this.imageHeader.isBigEndian, true, 0, true);
    }

    /**
     * Identifies the stream, its format version and its byte order.
     */

    /**
     * The domain header and the first section of records.
     */

    return EmbeddedStream;
  })();

  /**
   * The image header (Xen's struct xc_sr_ihdr): fixed 24 octets,
   * big-endian whatever the options say. Tools tell this format from the
   * legacy one by the marker: a legacy image always has a zero bit
   * somewhere in its first 8 octets. (Named after Xen's structure, not
   * after the field `image_header` that holds it: a type named like a
   * field of the same type clashes in C#.)
   * @see spec/libxc-stream.md#image-header
   */

  var Ihdr = XenLibxcStream.Ihdr = (function() {
    function Ihdr(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    Ihdr.prototype._read = function() {
      this.marker = this._io.readBytes(8);
      if (!((KaitaiStream.byteArrayCompare(this.marker, new Uint8Array([255, 255, 255, 255, 255, 255, 255, 255])) == 0))) {
        throw new KaitaiStream.ValidationNotEqualError(new Uint8Array([255, 255, 255, 255, 255, 255, 255, 255]), this.marker, this._io, "/types/ihdr/seq/0");
      }
      this.magic = this._io.readU4be();
      if (!(this.magic == 1480937030)) {
        throw new KaitaiStream.ValidationNotEqualError(1480937030, this.magic, this._io, "/types/ihdr/seq/1");
      }
      this.version = this._io.readU4be();
      if (!( ((this.version == 2) || (this.version == 3)) )) {
        throw new KaitaiStream.ValidationNotAnyOfError(this.version, this._io, "/types/ihdr/seq/2");
      }
      this.options = this._io.readU2be();
      if (!(this.options <= 1)) {
        throw new KaitaiStream.ValidationGreaterThanError(1, this.options, this._io, "/types/ihdr/seq/3");
      }
      this.reserved1 = this._io.readU2be();
      if (!(this.reserved1 == 0)) {
        throw new KaitaiStream.ValidationNotEqualError(0, this.reserved1, this._io, "/types/ihdr/seq/4");
      }
      this.reserved2 = this._io.readU4be();
      if (!(this.reserved2 == 0)) {
        throw new KaitaiStream.ValidationNotEqualError(0, this.reserved2, this._io, "/types/ihdr/seq/5");
      }
    }

    /**
     * True when the domain header and the records are big-endian.
     */
    Object.defineProperty(Ihdr.prototype, 'isBigEndian', {
      get: function() {
        if (this._m_isBigEndian !== undefined)
          return this._m_isBigEndian;
        this._m_isBigEndian = (this.options & 1) != 0;
        return this._m_isBigEndian;
      }
    });

    /**
     * Eight octets of 0xff; no legacy image can start this way.
     */

    /**
     * The format identifier, the ASCII letters "XENF" read as a big-endian number.
     */

    /**
     * Revision of the format the stream follows. In version 3,
     * STATIC_DATA_END must come before the first record that carries
     * guest memory or register state; a reader of version 2 assumes it
     * where that first record is.
     */

    /**
     * Bit 0 gives the byte order of everything after this header
     * (0 little-endian, 1 big-endian). Bits 1 to 15 are reserved and
     * must be zero.
     */

    /**
     * Reserved, must be zero.
     */

    /**
     * Reserved, must be zero.
     */

    return Ihdr;
  })();

  /**
   * The part of the stream in the byte order the image header names: the
   * domain header and records up to END, or one section of a
   * checkpointed stream. Every type nested here inherits that byte
   * order. (Held by the field `section`; a type may not share its name
   * in C#.)
   * @see spec/libxc-stream.md#records
   */

  var StreamSection = XenLibxcStream.StreamSection = (function() {
    function StreamSection(_io, _parent, _root, isBe, hasDomainHeader, resumedPageShift, stopAtCheckpoint) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this.isBe = isBe;
      this.hasDomainHeader = hasDomainHeader;
      this.resumedPageShift = resumedPageShift;
      this.stopAtCheckpoint = stopAtCheckpoint;

      this._read();
    }
    StreamSection.prototype._read = function() {
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
    StreamSection.prototype._readLE = function() {
      if (this.hasDomainHeader) {
        this.domainHeader = new Dhdr(this._io, this, this._root, this._is_le);
      }
      this.records = [];
      var i = 0;
      do {
        var _ = new Record(this._io, this, this._root, this._is_le, this.isBe, this.pageSize, this._io.pos);
        this.records.push(_);
        i++;
      } while (!( ((_.isEnd) || ( ((_.isCheckpoint) && ( ((this.stopAtCheckpoint) || (this._io.isEof())) )) )) ));
    }
    StreamSection.prototype._readBE = function() {
      if (this.hasDomainHeader) {
        this.domainHeader = new Dhdr(this._io, this, this._root, this._is_le);
      }
      this.records = [];
      var i = 0;
      do {
        var _ = new Record(this._io, this, this._root, this._is_le, this.isBe, this.pageSize, this._io.pos);
        this.records.push(_);
        i++;
      } while (!( ((_.isEnd) || ( ((_.isCheckpoint) && ( ((this.stopAtCheckpoint) || (this._io.isEof())) )) )) ));
    }

    /**
     * PFNs the secondary of a COLO pair dirtied, sent back to the primary
     * over the back channel; in no particular order.
     * @see spec/libxc-stream.md#checkpoint_dirty_pfn_list
     */

    var CheckpointDirtyPfnList = StreamSection.CheckpointDirtyPfnList = (function() {
      function CheckpointDirtyPfnList(_io, _parent, _root, _is_le) {
        this._io = _io;
        this._parent = _parent;
        this._root = _root;
        this._is_le = _is_le;

        this._read();
      }
      CheckpointDirtyPfnList.prototype._read = function() {

        if (this._is_le === true) {
          this._readLE();
        } else if (this._is_le === false) {
          this._readBE();
        } else {
          throw new KaitaiStream.UndecidedEndiannessError();
        }
      }
      CheckpointDirtyPfnList.prototype._readLE = function() {
        this.pfns = [];
        var i = 0;
        while (!this._io.isEof()) {
          this.pfns.push(this._io.readU8le());
          i++;
        }
      }
      CheckpointDirtyPfnList.prototype._readBE = function() {
        this.pfns = [];
        var i = 0;
        while (!this._io.isEof()) {
          this.pfns.push(this._io.readU8be());
          i++;
        }
      }

      /**
       * The PFNs, one 64-bit value each, filling the body.
       */

      return CheckpointDirtyPfnList;
    })();

    /**
     * One CPUID leaf and the four registers it reports.
     * @see spec/libxc-stream.md#x86_cpuid_policy-and-x86_msr_policy
     */

    var CpuidLeaf = StreamSection.CpuidLeaf = (function() {
      function CpuidLeaf(_io, _parent, _root, _is_le) {
        this._io = _io;
        this._parent = _parent;
        this._root = _root;
        this._is_le = _is_le;

        this._read();
      }
      CpuidLeaf.prototype._read = function() {

        if (this._is_le === true) {
          this._readLE();
        } else if (this._is_le === false) {
          this._readBE();
        } else {
          throw new KaitaiStream.UndecidedEndiannessError();
        }
      }
      CpuidLeaf.prototype._readLE = function() {
        this.leaf = this._io.readU4le();
        this.subleaf = this._io.readU4le();
        this.a = this._io.readU4le();
        this.b = this._io.readU4le();
        this.c = this._io.readU4le();
        this.d = this._io.readU4le();
      }
      CpuidLeaf.prototype._readBE = function() {
        this.leaf = this._io.readU4be();
        this.subleaf = this._io.readU4be();
        this.a = this._io.readU4be();
        this.b = this._io.readU4be();
        this.c = this._io.readU4be();
        this.d = this._io.readU4be();
      }

      /**
       * The value of EAX the leaf answers.
       */

      /**
       * The value of ECX the leaf answers; 0xffffffff when the leaf has no subleaves.
       */

      /**
       * Value reported in EAX.
       */

      /**
       * Value reported in EBX.
       */

      /**
       * Value reported in ECX.
       */

      /**
       * Value reported in EDX.
       */

      return CpuidLeaf;
    })();

    /**
     * The domain header (Xen's struct xc_sr_dhdr): what kind of guest
     * the stream holds, its page size and the Xen release that wrote
     * it. Uses the stream's byte order. (Held by the field
     * `domain_header`; a type may not share its name in C#.)
     * @see spec/libxc-stream.md#domain-header
     */

    var Dhdr = StreamSection.Dhdr = (function() {
      function Dhdr(_io, _parent, _root, _is_le) {
        this._io = _io;
        this._parent = _parent;
        this._root = _root;
        this._is_le = _is_le;

        this._read();
      }
      Dhdr.prototype._read = function() {

        if (this._is_le === true) {
          this._readLE();
        } else if (this._is_le === false) {
          this._readBE();
        } else {
          throw new KaitaiStream.UndecidedEndiannessError();
        }
      }
      Dhdr.prototype._readLE = function() {
        this.guestType = this._io.readU4le();
        if (!Object.prototype.hasOwnProperty.call(XenLibxcStream.DomainType, this.guestType)) {
          throw new KaitaiStream.ValidationNotInEnumError(this.guestType, this._io, "/types/stream_section/types/dhdr/seq/0");
        }
        this.pageShift = this._io.readU2le();
        if (!(this.pageShift <= 31)) {
          throw new KaitaiStream.ValidationGreaterThanError(31, this.pageShift, this._io, "/types/stream_section/types/dhdr/seq/1");
        }
        this.reserved = this._io.readU2le();
        if (!(this.reserved == 0)) {
          throw new KaitaiStream.ValidationNotEqualError(0, this.reserved, this._io, "/types/stream_section/types/dhdr/seq/2");
        }
        this.xenMajor = this._io.readU4le();
        this.xenMinor = this._io.readU4le();
      }
      Dhdr.prototype._readBE = function() {
        this.guestType = this._io.readU4be();
        if (!Object.prototype.hasOwnProperty.call(XenLibxcStream.DomainType, this.guestType)) {
          throw new KaitaiStream.ValidationNotInEnumError(this.guestType, this._io, "/types/stream_section/types/dhdr/seq/0");
        }
        this.pageShift = this._io.readU2be();
        if (!(this.pageShift <= 31)) {
          throw new KaitaiStream.ValidationGreaterThanError(31, this.pageShift, this._io, "/types/stream_section/types/dhdr/seq/1");
        }
        this.reserved = this._io.readU2be();
        if (!(this.reserved == 0)) {
          throw new KaitaiStream.ValidationNotEqualError(0, this.reserved, this._io, "/types/stream_section/types/dhdr/seq/2");
        }
        this.xenMajor = this._io.readU4be();
        this.xenMinor = this._io.readU4be();
      }

      /**
       * Kind of guest; 0 and values above 2 are reserved.
       */

      /**
       * The guest page size as a power of two (12 for the 4 KiB pages of
       * every x86 guest). Xen derives the page size as a 32-bit quantity,
       * so a shift of 32 or more describes no page at all.
       */

      /**
       * Reserved, must be zero.
       */

      /**
       * Major version of the Xen that saved the guest; 0 when the stream
       * was produced by converting a legacy image.
       */

      /**
       * Minor version of the Xen that saved the guest; for a converted
       * legacy image, the version of the conversion tool.
       */

      return Dhdr;
    })();

    /**
     * One HVM parameter. (Not named `hvm_param`: that is the enum of
     * parameter indices, and several targets, C++, C# and Java among
     * them, put types and enums in one namespace.)
     * @see spec/libxc-stream.md#hvm_params
     */

    var HvmParamEntry = StreamSection.HvmParamEntry = (function() {
      function HvmParamEntry(_io, _parent, _root, _is_le) {
        this._io = _io;
        this._parent = _parent;
        this._root = _root;
        this._is_le = _is_le;

        this._read();
      }
      HvmParamEntry.prototype._read = function() {

        if (this._is_le === true) {
          this._readLE();
        } else if (this._is_le === false) {
          this._readBE();
        } else {
          throw new KaitaiStream.UndecidedEndiannessError();
        }
      }
      HvmParamEntry.prototype._readLE = function() {
        this.index = this._io.readU8le();
        this.value = this._io.readU8le();
      }
      HvmParamEntry.prototype._readBE = function() {
        this.index = this._io.readU8be();
        this.value = this._io.readU8be();
      }

      /**
       * Which parameter.
       */

      /**
       * Its value.
       */

      return HvmParamEntry;
    })();

    /**
     * HVM parameters, each an index and a 64-bit value as HVMOP_set_param takes them.
     * @see spec/libxc-stream.md#hvm_params
     */

    var HvmParams = StreamSection.HvmParams = (function() {
      function HvmParams(_io, _parent, _root, _is_le) {
        this._io = _io;
        this._parent = _parent;
        this._root = _root;
        this._is_le = _is_le;

        this._read();
      }
      HvmParams.prototype._read = function() {

        if (this._is_le === true) {
          this._readLE();
        } else if (this._is_le === false) {
          this._readBE();
        } else {
          throw new KaitaiStream.UndecidedEndiannessError();
        }
      }
      HvmParams.prototype._readLE = function() {
        this.numParams = this._io.readU4le();
        this.reserved = this._io.readU4le();
        if (!(this.reserved == 0)) {
          throw new KaitaiStream.ValidationNotEqualError(0, this.reserved, this._io, "/types/stream_section/types/hvm_params/seq/1");
        }
        this.params = [];
        for (var i = 0; i < this.numParams; i++) {
          this.params.push(new HvmParamEntry(this._io, this, this._root, this._is_le));
        }
      }
      HvmParams.prototype._readBE = function() {
        this.numParams = this._io.readU4be();
        this.reserved = this._io.readU4be();
        if (!(this.reserved == 0)) {
          throw new KaitaiStream.ValidationNotEqualError(0, this.reserved, this._io, "/types/stream_section/types/hvm_params/seq/1");
        }
        this.params = [];
        for (var i = 0; i < this.numParams; i++) {
          this.params.push(new HvmParamEntry(this._io, this, this._root, this._is_le));
        }
      }

      /**
       * Number of parameters that follow.
       */

      /**
       * Reserved, must be zero.
       */

      /**
       * The parameters.
       */

      return HvmParams;
    })();

    /**
     * One model-specific register of the policy and its value.
     * @see spec/libxc-stream.md#x86_cpuid_policy-and-x86_msr_policy
     */

    var MsrEntry = StreamSection.MsrEntry = (function() {
      function MsrEntry(_io, _parent, _root, _is_le) {
        this._io = _io;
        this._parent = _parent;
        this._root = _root;
        this._is_le = _is_le;

        this._read();
      }
      MsrEntry.prototype._read = function() {

        if (this._is_le === true) {
          this._readLE();
        } else if (this._is_le === false) {
          this._readBE();
        } else {
          throw new KaitaiStream.UndecidedEndiannessError();
        }
      }
      MsrEntry.prototype._readLE = function() {
        this.index = this._io.readU4le();
        this.flags = this._io.readU4le();
        if (!(this.flags == 0)) {
          throw new KaitaiStream.ValidationNotEqualError(0, this.flags, this._io, "/types/stream_section/types/msr_entry/seq/1");
        }
        this.value = this._io.readU8le();
      }
      MsrEntry.prototype._readBE = function() {
        this.index = this._io.readU4be();
        this.flags = this._io.readU4be();
        if (!(this.flags == 0)) {
          throw new KaitaiStream.ValidationNotEqualError(0, this.flags, this._io, "/types/stream_section/types/msr_entry/seq/1");
        }
        this.value = this._io.readU8be();
      }

      /**
       * The MSR number.
       */

      /**
       * Reserved, must be zero.
       */

      /**
       * The MSR's value.
       */

      return MsrEntry;
    })();

    /**
     * Guest memory: a list of PFNs with their page types, then the
     * contents of every listed page whose type carries data, in list
     * order. Pages typed BROKEN, XALLOC or XTAB have no contents here.
     * @see spec/libxc-stream.md#page_data
     */

    var PageData = StreamSection.PageData = (function() {
      function PageData(_io, _parent, _root, _is_le, isBe, pageSize) {
        this._io = _io;
        this._parent = _parent;
        this._root = _root;
        this._is_le = _is_le;
        this.isBe = isBe;
        this.pageSize = pageSize;

        this._read();
      }
      PageData.prototype._read = function() {

        if (this._is_le === true) {
          this._readLE();
        } else if (this._is_le === false) {
          this._readBE();
        } else {
          throw new KaitaiStream.UndecidedEndiannessError();
        }
      }
      PageData.prototype._readLE = function() {
        this.numPfns = this._io.readU4le();
        this.reserved = this._io.readU4le();
        if (!(this.reserved == 0)) {
          throw new KaitaiStream.ValidationNotEqualError(0, this.reserved, this._io, "/types/stream_section/types/page_data/seq/1");
        }
        this.pfns = [];
        for (var i = 0; i < this.numPfns; i++) {
          this.pfns.push(new PfnEntry(this._io, this, this._root, this._is_le, this.isBe));
        }
        this.pages = [];
        for (var i = 0; i < this.pfns.length; i++) {
          this.pages.push(new PageSlot(this._io, this, this._root, this._is_le, this.pfns[i].hasData, this.pageSize));
        }
      }
      PageData.prototype._readBE = function() {
        this.numPfns = this._io.readU4be();
        this.reserved = this._io.readU4be();
        if (!(this.reserved == 0)) {
          throw new KaitaiStream.ValidationNotEqualError(0, this.reserved, this._io, "/types/stream_section/types/page_data/seq/1");
        }
        this.pfns = [];
        for (var i = 0; i < this.numPfns; i++) {
          this.pfns.push(new PfnEntry(this._io, this, this._root, this._is_le, this.isBe));
        }
        this.pages = [];
        for (var i = 0; i < this.pfns.length; i++) {
          this.pages.push(new PageSlot(this._io, this, this._root, this._is_le, this.pfns[i].hasData, this.pageSize));
        }
      }

      /**
       * Number of PFN entries; Xen requires at least one.
       */

      /**
       * Reserved, must be zero.
       */

      /**
       * One 64-bit entry per page, each a PFN and its page type.
       */

      /**
       * One slot per PFN entry, in the same order; a slot holds a page of
       * contents exactly when its entry's type carries data.
       */

      /**
       * Byte order of the stream, which orders the halves of each PFN entry.
       */

      /**
       * Octets in one page.
       */

      return PageData;
    })();

    /**
     * The place of one PFN entry in the run of page contents.
     * @see spec/libxc-stream.md#page_data
     */

    var PageSlot = StreamSection.PageSlot = (function() {
      function PageSlot(_io, _parent, _root, _is_le, hasData, lenPage) {
        this._io = _io;
        this._parent = _parent;
        this._root = _root;
        this._is_le = _is_le;
        this.hasData = hasData;
        this.lenPage = lenPage;

        this._read();
      }
      PageSlot.prototype._read = function() {

        if (this._is_le === true) {
          this._readLE();
        } else if (this._is_le === false) {
          this._readBE();
        } else {
          throw new KaitaiStream.UndecidedEndiannessError();
        }
      }
      PageSlot.prototype._readLE = function() {
        if (this.hasData) {
          this.page = this._io.readBytes(this.lenPage);
        }
      }
      PageSlot.prototype._readBE = function() {
        if (this.hasData) {
          this.page = this._io.readBytes(this.lenPage);
        }
      }

      /**
       * The page's contents, present only for types that carry data.
       */

      /**
       * True when the matching entry's page type carries contents.
       */

      /**
       * Octets in one page.
       */

      return PageSlot;
    })();

    /**
     * A 64-bit PAGE_DATA entry: bits 0-51 are the PFN, bits 52-59 are
     * reserved and must be zero, bits 60-63 are the page type (a
     * XEN_DOMCTL_PFINFO_* value shifted right by 28). So that no target
     * needs 64-bit arithmetic it is read as its low 32-bit half and the
     * three fields of its high half, in the order the stream's byte
     * order puts them; the fields of the other byte order are absent.
     * @see spec/libxc-stream.md#page_data
     */

    var PfnEntry = StreamSection.PfnEntry = (function() {
      function PfnEntry(_io, _parent, _root, _is_le, isBe) {
        this._io = _io;
        this._parent = _parent;
        this._root = _root;
        this._is_le = _is_le;
        this.isBe = isBe;

        this._read();
      }
      PfnEntry.prototype._read = function() {

        if (this._is_le === true) {
          this._readLE();
        } else if (this._is_le === false) {
          this._readBE();
        } else {
          throw new KaitaiStream.UndecidedEndiannessError();
        }
      }
      PfnEntry.prototype._readLE = function() {
        if (!(this.isBe)) {
          this.pfnLowLe = this._io.readU4le();
        }
        if (!(this.isBe)) {
          this.pfnHighLe = this._io.readBitsIntLe(20);
        }
        if (!(this.isBe)) {
          this.reservedLe = this._io.readBitsIntLe(8);
          if (!(this.reservedLe == 0)) {
            throw new KaitaiStream.ValidationNotEqualError(0, this.reservedLe, this._io, "/types/stream_section/types/pfn_entry/seq/2");
          }
        }
        if (!(this.isBe)) {
          this.pageTypeLe = this._io.readBitsIntLe(4);
          if (!Object.prototype.hasOwnProperty.call(XenLibxcStream.PageType, this.pageTypeLe)) {
            throw new KaitaiStream.ValidationNotInEnumError(this.pageTypeLe, this._io, "/types/stream_section/types/pfn_entry/seq/3");
          }
        }
        if (this.isBe) {
          this.pageTypeBe = this._io.readBitsIntBe(4);
          if (!Object.prototype.hasOwnProperty.call(XenLibxcStream.PageType, this.pageTypeBe)) {
            throw new KaitaiStream.ValidationNotInEnumError(this.pageTypeBe, this._io, "/types/stream_section/types/pfn_entry/seq/4");
          }
        }
        if (this.isBe) {
          this.reservedBe = this._io.readBitsIntBe(8);
          if (!(this.reservedBe == 0)) {
            throw new KaitaiStream.ValidationNotEqualError(0, this.reservedBe, this._io, "/types/stream_section/types/pfn_entry/seq/5");
          }
        }
        if (this.isBe) {
          this.pfnHighBe = this._io.readBitsIntBe(20);
        }
        this._io.alignToByte();
        if (this.isBe) {
          this.pfnLowBe = this._io.readU4be();
        }
      }
      PfnEntry.prototype._readBE = function() {
        if (!(this.isBe)) {
          this.pfnLowLe = this._io.readU4le();
        }
        if (!(this.isBe)) {
          this.pfnHighLe = this._io.readBitsIntLe(20);
        }
        if (!(this.isBe)) {
          this.reservedLe = this._io.readBitsIntLe(8);
          if (!(this.reservedLe == 0)) {
            throw new KaitaiStream.ValidationNotEqualError(0, this.reservedLe, this._io, "/types/stream_section/types/pfn_entry/seq/2");
          }
        }
        if (!(this.isBe)) {
          this.pageTypeLe = this._io.readBitsIntLe(4);
          if (!Object.prototype.hasOwnProperty.call(XenLibxcStream.PageType, this.pageTypeLe)) {
            throw new KaitaiStream.ValidationNotInEnumError(this.pageTypeLe, this._io, "/types/stream_section/types/pfn_entry/seq/3");
          }
        }
        if (this.isBe) {
          this.pageTypeBe = this._io.readBitsIntBe(4);
          if (!Object.prototype.hasOwnProperty.call(XenLibxcStream.PageType, this.pageTypeBe)) {
            throw new KaitaiStream.ValidationNotInEnumError(this.pageTypeBe, this._io, "/types/stream_section/types/pfn_entry/seq/4");
          }
        }
        if (this.isBe) {
          this.reservedBe = this._io.readBitsIntBe(8);
          if (!(this.reservedBe == 0)) {
            throw new KaitaiStream.ValidationNotEqualError(0, this.reservedBe, this._io, "/types/stream_section/types/pfn_entry/seq/5");
          }
        }
        if (this.isBe) {
          this.pfnHighBe = this._io.readBitsIntBe(20);
        }
        this._io.alignToByte();
        if (this.isBe) {
          this.pfnLowBe = this._io.readU4be();
        }
      }

      /**
       * True when a page of contents follows for this entry (types below BROKEN).
       */
      Object.defineProperty(PfnEntry.prototype, 'hasData', {
        get: function() {
          if (this._m_hasData !== undefined)
            return this._m_hasData;
          this._m_hasData = this.pageType < 13;
          return this._m_hasData;
        }
      });

      /**
       * The page type, bits 60-63 of the entry.
       */
      Object.defineProperty(PfnEntry.prototype, 'pageType', {
        get: function() {
          if (this._m_pageType !== undefined)
            return this._m_pageType;
          this._m_pageType = (this.isBe ? this.pageTypeBe : this.pageTypeLe);
          return this._m_pageType;
        }
      });

      /**
       * Bits 32-51 of the PFN, as a number below 2^20.
       */
      Object.defineProperty(PfnEntry.prototype, 'pfnHigh', {
        get: function() {
          if (this._m_pfnHigh !== undefined)
            return this._m_pfnHigh;
          this._m_pfnHigh = (this.isBe ? this.pfnHighBe : this.pfnHighLe);
          return this._m_pfnHigh;
        }
      });

      /**
       * Bits 0-31 of the PFN.
       */
      Object.defineProperty(PfnEntry.prototype, 'pfnLow', {
        get: function() {
          if (this._m_pfnLow !== undefined)
            return this._m_pfnLow;
          this._m_pfnLow = (this.isBe ? this.pfnLowBe : this.pfnLowLe);
          return this._m_pfnLow;
        }
      });

      /**
       * PFN bits 0-31 (little-endian stream, stored first).
       */

      /**
       * PFN bits 32-51 (little-endian stream).
       */

      /**
       * Bits 52-59, reserved, must be zero (little-endian stream).
       */

      /**
       * Bits 60-63, the page type (little-endian stream); 5 to 8 are reserved.
       */

      /**
       * Bits 60-63, the page type (big-endian stream, stored first); 5 to 8 are reserved.
       */

      /**
       * Bits 52-59, reserved, must be zero (big-endian stream).
       */

      /**
       * PFN bits 32-51 (big-endian stream).
       */

      /**
       * PFN bits 0-31 (big-endian stream, stored last).
       */

      /**
       * True when the stream is big-endian, so the high half comes first.
       */

      return PfnEntry;
    })();

    /**
     * One record: type, body length, body, then zero padding to an 8-octet
     * boundary. A body of a type not listed here, or of a type whose body
     * this description leaves opaque, is kept as raw octets.
     * @see spec/libxc-stream.md#framing
     */

    var Record = StreamSection.Record = (function() {
      function Record(_io, _parent, _root, _is_le, isBe, pageSize, ofsRecord) {
        this._io = _io;
        this._parent = _parent;
        this._root = _root;
        this._is_le = _is_le;
        this.isBe = isBe;
        this.pageSize = pageSize;
        this.ofsRecord = ofsRecord;

        this._read();
      }
      Record.prototype._read = function() {

        if (this._is_le === true) {
          this._readLE();
        } else if (this._is_le === false) {
          this._readBE();
        } else {
          throw new KaitaiStream.UndecidedEndiannessError();
        }
      }
      Record.prototype._readLE = function() {
        this.recType = this._io.readU4le();
        this.lenBody = this._io.readU4le();
        switch (this.recType) {
        case XenLibxcStream.RecType.CHECKPOINT_DIRTY_PFN_LIST:
          this._raw_body = this._io.readBytes(this.lenBody);
          var _io__raw_body = new KaitaiStream(this._raw_body);
          this.body = new CheckpointDirtyPfnList(_io__raw_body, this, this._root, this._is_le);
          break;
        case XenLibxcStream.RecType.HVM_CONTEXT:
          this._raw_body = this._io.readBytes(this.lenBody);
          var _io__raw_body = new KaitaiStream(this._raw_body);
          this.body = new XenHvmContext_.XenHvmContext(_io__raw_body, null, null);
          break;
        case XenLibxcStream.RecType.HVM_PARAMS:
          this._raw_body = this._io.readBytes(this.lenBody);
          var _io__raw_body = new KaitaiStream(this._raw_body);
          this.body = new HvmParams(_io__raw_body, this, this._root, this._is_le);
          break;
        case XenLibxcStream.RecType.PAGE_DATA:
          this._raw_body = this._io.readBytes(this.lenBody);
          var _io__raw_body = new KaitaiStream(this._raw_body);
          this.body = new PageData(_io__raw_body, this, this._root, this._is_le, this.isBe, this.pageSize);
          break;
        case XenLibxcStream.RecType.X86_CPUID_POLICY:
          this._raw_body = this._io.readBytes(this.lenBody);
          var _io__raw_body = new KaitaiStream(this._raw_body);
          this.body = new X86CpuidPolicy(_io__raw_body, this, this._root, this._is_le);
          break;
        case XenLibxcStream.RecType.X86_MSR_POLICY:
          this._raw_body = this._io.readBytes(this.lenBody);
          var _io__raw_body = new KaitaiStream(this._raw_body);
          this.body = new X86MsrPolicy(_io__raw_body, this, this._root, this._is_le);
          break;
        case XenLibxcStream.RecType.X86_PV_INFO:
          this._raw_body = this._io.readBytes(this.lenBody);
          var _io__raw_body = new KaitaiStream(this._raw_body);
          this.body = new X86PvInfo(_io__raw_body, this, this._root, this._is_le);
          break;
        case XenLibxcStream.RecType.X86_PV_P2M_FRAMES:
          this._raw_body = this._io.readBytes(this.lenBody);
          var _io__raw_body = new KaitaiStream(this._raw_body);
          this.body = new X86PvP2mFrames(_io__raw_body, this, this._root, this._is_le);
          break;
        case XenLibxcStream.RecType.X86_PV_VCPU_BASIC:
          this._raw_body = this._io.readBytes(this.lenBody);
          var _io__raw_body = new KaitaiStream(this._raw_body);
          this.body = new X86PvVcpuContext(_io__raw_body, this, this._root, this._is_le, this.isBe, true);
          break;
        case XenLibxcStream.RecType.X86_PV_VCPU_EXTENDED:
          this._raw_body = this._io.readBytes(this.lenBody);
          var _io__raw_body = new KaitaiStream(this._raw_body);
          this.body = new X86PvVcpuContext(_io__raw_body, this, this._root, this._is_le, this.isBe, false);
          break;
        case XenLibxcStream.RecType.X86_PV_VCPU_MSRS:
          this._raw_body = this._io.readBytes(this.lenBody);
          var _io__raw_body = new KaitaiStream(this._raw_body);
          this.body = new X86PvVcpuContext(_io__raw_body, this, this._root, this._is_le, this.isBe, false);
          break;
        case XenLibxcStream.RecType.X86_PV_VCPU_XSAVE:
          this._raw_body = this._io.readBytes(this.lenBody);
          var _io__raw_body = new KaitaiStream(this._raw_body);
          this.body = new X86PvVcpuContext(_io__raw_body, this, this._root, this._is_le, this.isBe, false);
          break;
        case XenLibxcStream.RecType.X86_TSC_INFO:
          this._raw_body = this._io.readBytes(this.lenBody);
          var _io__raw_body = new KaitaiStream(this._raw_body);
          this.body = new X86TscInfo(_io__raw_body, this, this._root, this._is_le);
          break;
        default:
          this.body = this._io.readBytes(this.lenBody);
          break;
        }
        this.padding = [];
        for (var i = 0; i < KaitaiStream.mod(8 - KaitaiStream.mod(this.lenBody, 8), 8); i++) {
          this.padding.push(this._io.readU1());
          if (!(this.padding[i] == 0)) {
            throw new KaitaiStream.ValidationNotEqualError(0, this.padding[i], this._io, "/types/stream_section/types/record/seq/3");
          }
        }
      }
      Record.prototype._readBE = function() {
        this.recType = this._io.readU4be();
        this.lenBody = this._io.readU4be();
        switch (this.recType) {
        case XenLibxcStream.RecType.CHECKPOINT_DIRTY_PFN_LIST:
          this._raw_body = this._io.readBytes(this.lenBody);
          var _io__raw_body = new KaitaiStream(this._raw_body);
          this.body = new CheckpointDirtyPfnList(_io__raw_body, this, this._root, this._is_le);
          break;
        case XenLibxcStream.RecType.HVM_CONTEXT:
          this._raw_body = this._io.readBytes(this.lenBody);
          var _io__raw_body = new KaitaiStream(this._raw_body);
          this.body = new XenHvmContext_.XenHvmContext(_io__raw_body, null, null);
          break;
        case XenLibxcStream.RecType.HVM_PARAMS:
          this._raw_body = this._io.readBytes(this.lenBody);
          var _io__raw_body = new KaitaiStream(this._raw_body);
          this.body = new HvmParams(_io__raw_body, this, this._root, this._is_le);
          break;
        case XenLibxcStream.RecType.PAGE_DATA:
          this._raw_body = this._io.readBytes(this.lenBody);
          var _io__raw_body = new KaitaiStream(this._raw_body);
          this.body = new PageData(_io__raw_body, this, this._root, this._is_le, this.isBe, this.pageSize);
          break;
        case XenLibxcStream.RecType.X86_CPUID_POLICY:
          this._raw_body = this._io.readBytes(this.lenBody);
          var _io__raw_body = new KaitaiStream(this._raw_body);
          this.body = new X86CpuidPolicy(_io__raw_body, this, this._root, this._is_le);
          break;
        case XenLibxcStream.RecType.X86_MSR_POLICY:
          this._raw_body = this._io.readBytes(this.lenBody);
          var _io__raw_body = new KaitaiStream(this._raw_body);
          this.body = new X86MsrPolicy(_io__raw_body, this, this._root, this._is_le);
          break;
        case XenLibxcStream.RecType.X86_PV_INFO:
          this._raw_body = this._io.readBytes(this.lenBody);
          var _io__raw_body = new KaitaiStream(this._raw_body);
          this.body = new X86PvInfo(_io__raw_body, this, this._root, this._is_le);
          break;
        case XenLibxcStream.RecType.X86_PV_P2M_FRAMES:
          this._raw_body = this._io.readBytes(this.lenBody);
          var _io__raw_body = new KaitaiStream(this._raw_body);
          this.body = new X86PvP2mFrames(_io__raw_body, this, this._root, this._is_le);
          break;
        case XenLibxcStream.RecType.X86_PV_VCPU_BASIC:
          this._raw_body = this._io.readBytes(this.lenBody);
          var _io__raw_body = new KaitaiStream(this._raw_body);
          this.body = new X86PvVcpuContext(_io__raw_body, this, this._root, this._is_le, this.isBe, true);
          break;
        case XenLibxcStream.RecType.X86_PV_VCPU_EXTENDED:
          this._raw_body = this._io.readBytes(this.lenBody);
          var _io__raw_body = new KaitaiStream(this._raw_body);
          this.body = new X86PvVcpuContext(_io__raw_body, this, this._root, this._is_le, this.isBe, false);
          break;
        case XenLibxcStream.RecType.X86_PV_VCPU_MSRS:
          this._raw_body = this._io.readBytes(this.lenBody);
          var _io__raw_body = new KaitaiStream(this._raw_body);
          this.body = new X86PvVcpuContext(_io__raw_body, this, this._root, this._is_le, this.isBe, false);
          break;
        case XenLibxcStream.RecType.X86_PV_VCPU_XSAVE:
          this._raw_body = this._io.readBytes(this.lenBody);
          var _io__raw_body = new KaitaiStream(this._raw_body);
          this.body = new X86PvVcpuContext(_io__raw_body, this, this._root, this._is_le, this.isBe, false);
          break;
        case XenLibxcStream.RecType.X86_TSC_INFO:
          this._raw_body = this._io.readBytes(this.lenBody);
          var _io__raw_body = new KaitaiStream(this._raw_body);
          this.body = new X86TscInfo(_io__raw_body, this, this._root, this._is_le);
          break;
        default:
          this.body = this._io.readBytes(this.lenBody);
          break;
        }
        this.padding = [];
        for (var i = 0; i < KaitaiStream.mod(8 - KaitaiStream.mod(this.lenBody, 8), 8); i++) {
          this.padding.push(this._io.readU1());
          if (!(this.padding[i] == 0)) {
            throw new KaitaiStream.ValidationNotEqualError(0, this.padding[i], this._io, "/types/stream_section/types/record/seq/3");
          }
        }
      }

      /**
       * True for ALIGN_PAD (type 0xfffffff0), xensave's optional padding
       * record, not one of Xen's types: its zero body puts the contents
       * of the PAGE_DATA record that follows on a 4096-octet boundary of
       * the file, and Xen's restorer skips it as it skips any optional
       * record. It is not in the `rec_type` enum because C# cannot hold
       * an enum value of 2^31 or more, and the type is tested in two
       * halves because JavaScript cannot hold such a literal in an
       * expression.
       * @see spec/libxc-stream.md#align-pad
       */
      Object.defineProperty(Record.prototype, 'isAlignPad', {
        get: function() {
          if (this._m_isAlignPad !== undefined)
            return this._m_isAlignPad;
          this._m_isAlignPad =  ((this.recTypeRaw >>> 16 == 65535) && ((this.recTypeRaw & 65535) == 65520)) ;
          return this._m_isAlignPad;
        }
      });

      /**
       * True for a CHECKPOINT record.
       */
      Object.defineProperty(Record.prototype, 'isCheckpoint', {
        get: function() {
          if (this._m_isCheckpoint !== undefined)
            return this._m_isCheckpoint;
          this._m_isCheckpoint = this.recType == XenLibxcStream.RecType.CHECKPOINT;
          return this._m_isCheckpoint;
        }
      });

      /**
       * True for the END record that closes the stream.
       */
      Object.defineProperty(Record.prototype, 'isEnd', {
        get: function() {
          if (this._m_isEnd !== undefined)
            return this._m_isEnd;
          this._m_isEnd = this.recType == XenLibxcStream.RecType.END;
          return this._m_isEnd;
        }
      });

      /**
       * True when bit 31 of the type is set, so a restorer may ignore the
       * record. (A shift rather than a comparison with 0x7fffffff: the
       * Rust target compares 32-bit values as signed.)
       */
      Object.defineProperty(Record.prototype, 'isOptional', {
        get: function() {
          if (this._m_isOptional !== undefined)
            return this._m_isOptional;
          this._m_isOptional = this.recTypeRaw >>> 31 != 0;
          return this._m_isOptional;
        }
      });

      /**
       * The type word read again, as a plain unsigned number. `rec_type`
       * cannot give bit 31 in every target: an optional type is never
       * in the enum, and C++ and C# then hold it as a negative number,
       * Java not at all (null).
       */
      Object.defineProperty(Record.prototype, 'recTypeRaw', {
        get: function() {
          if (this._m_recTypeRaw !== undefined)
            return this._m_recTypeRaw;
          var _pos = this._io.pos;
          this._io.seek(this.ofsRecord);
          if (this._is_le) {
            this._m_recTypeRaw = this._io.readU4le();
          } else {
            this._m_recTypeRaw = this._io.readU4be();
          }
          this._io.seek(_pos);
          return this._m_recTypeRaw;
        }
      });

      /**
       * What the body holds. Bit 31 set marks an optional record; other
       * values not in the enum are reserved for future mandatory records.
       */

      /**
       * Octets in the body, padding not included.
       */

      /**
       * The record's contents, decoded for the types listed (HVM_CONTEXT
       * by xen_hvm_context.ksy, little-endian whatever the stream's byte
       * order); raw octets for SHARED_INFO, TOOLSTACK, the empty
       * signalling records, ALIGN_PAD's zero padding (`is_align_pad`)
       * and every unknown type.
       */

      /**
       * Zero octets that bring the record to a multiple of 8 octets.
       */

      /**
       * Byte order of the stream, needed to order the halves of 64-bit PFN entries.
       */

      /**
       * Octets in one page of the stream, needed for PAGE_DATA.
       */

      /**
       * Where the record starts in the stream (the section passes
       * `_io.pos`), so that `rec_type_raw` can read the type again.
       */

      return Record;
    })();

    /**
     * The guest's CPUID policy as a list of leaves.
     * @see spec/libxc-stream.md#x86_cpuid_policy-and-x86_msr_policy
     */

    var X86CpuidPolicy = StreamSection.X86CpuidPolicy = (function() {
      function X86CpuidPolicy(_io, _parent, _root, _is_le) {
        this._io = _io;
        this._parent = _parent;
        this._root = _root;
        this._is_le = _is_le;

        this._read();
      }
      X86CpuidPolicy.prototype._read = function() {

        if (this._is_le === true) {
          this._readLE();
        } else if (this._is_le === false) {
          this._readBE();
        } else {
          throw new KaitaiStream.UndecidedEndiannessError();
        }
      }
      X86CpuidPolicy.prototype._readLE = function() {
        this.leaves = [];
        var i = 0;
        while (!this._io.isEof()) {
          this.leaves.push(new CpuidLeaf(this._io, this, this._root, this._is_le));
          i++;
        }
      }
      X86CpuidPolicy.prototype._readBE = function() {
        this.leaves = [];
        var i = 0;
        while (!this._io.isEof()) {
          this.leaves.push(new CpuidLeaf(this._io, this, this._root, this._is_le));
          i++;
        }
      }

      /**
       * The leaves, 24 octets each, filling the body.
       */

      return X86CpuidPolicy;
    })();

    /**
     * The guest's MSR policy as a list of entries.
     * @see spec/libxc-stream.md#x86_cpuid_policy-and-x86_msr_policy
     */

    var X86MsrPolicy = StreamSection.X86MsrPolicy = (function() {
      function X86MsrPolicy(_io, _parent, _root, _is_le) {
        this._io = _io;
        this._parent = _parent;
        this._root = _root;
        this._is_le = _is_le;

        this._read();
      }
      X86MsrPolicy.prototype._read = function() {

        if (this._is_le === true) {
          this._readLE();
        } else if (this._is_le === false) {
          this._readBE();
        } else {
          throw new KaitaiStream.UndecidedEndiannessError();
        }
      }
      X86MsrPolicy.prototype._readLE = function() {
        this.entries = [];
        var i = 0;
        while (!this._io.isEof()) {
          this.entries.push(new MsrEntry(this._io, this, this._root, this._is_le));
          i++;
        }
      }
      X86MsrPolicy.prototype._readBE = function() {
        this.entries = [];
        var i = 0;
        while (!this._io.isEof()) {
          this.entries.push(new MsrEntry(this._io, this, this._root, this._is_le));
          i++;
        }
      }

      /**
       * The entries, 16 octets each, filling the body.
       */

      return X86MsrPolicy;
    })();

    /**
     * Width and paging depth of an x86 PV guest; must precede the records that depend on them.
     * @see spec/libxc-stream.md#x86_pv_info
     */

    var X86PvInfo = StreamSection.X86PvInfo = (function() {
      function X86PvInfo(_io, _parent, _root, _is_le) {
        this._io = _io;
        this._parent = _parent;
        this._root = _root;
        this._is_le = _is_le;

        this._read();
      }
      X86PvInfo.prototype._read = function() {

        if (this._is_le === true) {
          this._readLE();
        } else if (this._is_le === false) {
          this._readBE();
        } else {
          throw new KaitaiStream.UndecidedEndiannessError();
        }
      }
      X86PvInfo.prototype._readLE = function() {
        this.guestWidth = this._io.readU1();
        if (!( ((this.guestWidth == 4) || (this.guestWidth == 8)) )) {
          throw new KaitaiStream.ValidationNotAnyOfError(this.guestWidth, this._io, "/types/stream_section/types/x86_pv_info/seq/0");
        }
        this.ptLevels = this._io.readU1();
        if (!( ((this.ptLevels == 3) || (this.ptLevels == 4)) )) {
          throw new KaitaiStream.ValidationNotAnyOfError(this.ptLevels, this._io, "/types/stream_section/types/x86_pv_info/seq/1");
        }
        this.reserved = this._io.readBytes(6);
        if (!((KaitaiStream.byteArrayCompare(this.reserved, new Uint8Array([0, 0, 0, 0, 0, 0])) == 0))) {
          throw new KaitaiStream.ValidationNotEqualError(new Uint8Array([0, 0, 0, 0, 0, 0]), this.reserved, this._io, "/types/stream_section/types/x86_pv_info/seq/2");
        }
      }
      X86PvInfo.prototype._readBE = function() {
        this.guestWidth = this._io.readU1();
        if (!( ((this.guestWidth == 4) || (this.guestWidth == 8)) )) {
          throw new KaitaiStream.ValidationNotAnyOfError(this.guestWidth, this._io, "/types/stream_section/types/x86_pv_info/seq/0");
        }
        this.ptLevels = this._io.readU1();
        if (!( ((this.ptLevels == 3) || (this.ptLevels == 4)) )) {
          throw new KaitaiStream.ValidationNotAnyOfError(this.ptLevels, this._io, "/types/stream_section/types/x86_pv_info/seq/1");
        }
        this.reserved = this._io.readBytes(6);
        if (!((KaitaiStream.byteArrayCompare(this.reserved, new Uint8Array([0, 0, 0, 0, 0, 0])) == 0))) {
          throw new KaitaiStream.ValidationNotEqualError(new Uint8Array([0, 0, 0, 0, 0, 0]), this.reserved, this._io, "/types/stream_section/types/x86_pv_info/seq/2");
        }
      }

      /**
       * Octets in a guest word (4 for a 32-bit guest, 8 for a 64-bit one).
       */

      /**
       * Levels of page table the guest uses (3 for 32-bit PAE, 4 for 64-bit).
       */

      /**
       * Reserved, six zero octets.
       */

      return X86PvInfo;
    })();

    /**
     * Where an x86 PV guest keeps its physical-to-machine table: the
     * frames holding the table entries for a range of PFNs.
     * @see spec/libxc-stream.md#x86_pv_p2m_frames
     */

    var X86PvP2mFrames = StreamSection.X86PvP2mFrames = (function() {
      function X86PvP2mFrames(_io, _parent, _root, _is_le) {
        this._io = _io;
        this._parent = _parent;
        this._root = _root;
        this._is_le = _is_le;

        this._read();
      }
      X86PvP2mFrames.prototype._read = function() {

        if (this._is_le === true) {
          this._readLE();
        } else if (this._is_le === false) {
          this._readBE();
        } else {
          throw new KaitaiStream.UndecidedEndiannessError();
        }
      }
      X86PvP2mFrames.prototype._readLE = function() {
        this.p2mStartPfn = this._io.readU4le();
        this.p2mEndPfn = this._io.readU4le();
        this.p2mPfns = [];
        var i = 0;
        while (!this._io.isEof()) {
          this.p2mPfns.push(this._io.readU8le());
          i++;
        }
      }
      X86PvP2mFrames.prototype._readBE = function() {
        this.p2mStartPfn = this._io.readU4be();
        this.p2mEndPfn = this._io.readU4be();
        this.p2mPfns = [];
        var i = 0;
        while (!this._io.isEof()) {
          this.p2mPfns.push(this._io.readU8be());
          i++;
        }
      }

      /**
       * First PFN whose table entry the listed frames cover.
       */

      /**
       * Last PFN (inclusive) whose table entry the listed frames cover.
       */

      /**
       * The PFNs of the frames that hold the table, in order, filling the rest of the body.
       */

      return X86PvP2mFrames;
    })();

    /**
     * Shared layout of the four x86 PV vCPU records (BASIC, EXTENDED,
     * XSAVE, MSRS): the vCPU it belongs to and a block of state as the
     * matching domctl hypercall exchanges it. BASIC's block is decoded
     * (xen_pv_vcpu_context.ksy); the others are kept as octets.
     * @see spec/libxc-stream.md#x86_pv_vcpu_basic-_extended-_xsave-_msrs
     */

    var X86PvVcpuContext = StreamSection.X86PvVcpuContext = (function() {
      function X86PvVcpuContext(_io, _parent, _root, _is_le, isBe, isBasic) {
        this._io = _io;
        this._parent = _parent;
        this._root = _root;
        this._is_le = _is_le;
        this.isBe = isBe;
        this.isBasic = isBasic;

        this._read();
      }
      X86PvVcpuContext.prototype._read = function() {

        if (this._is_le === true) {
          this._readLE();
        } else if (this._is_le === false) {
          this._readBE();
        } else {
          throw new KaitaiStream.UndecidedEndiannessError();
        }
      }
      X86PvVcpuContext.prototype._readLE = function() {
        this.vcpuId = this._io.readU4le();
        this.reserved = this._io.readU4le();
        if (!(this.reserved == 0)) {
          throw new KaitaiStream.ValidationNotEqualError(0, this.reserved, this._io, "/types/stream_section/types/x86_pv_vcpu_context/seq/1");
        }
        switch ((this.isBasic ? this._io.size - 8 : 0)) {
        case 2800:
          this._raw_context = this._io.readBytesFull();
          var _io__raw_context = new KaitaiStream(this._raw_context);
          this.context = new XenPvVcpuContext_.XenPvVcpuContext(_io__raw_context, null, null, this.isBe, 4);
          break;
        case 5168:
          this._raw_context = this._io.readBytesFull();
          var _io__raw_context = new KaitaiStream(this._raw_context);
          this.context = new XenPvVcpuContext_.XenPvVcpuContext(_io__raw_context, null, null, this.isBe, 8);
          break;
        default:
          this.context = this._io.readBytesFull();
          break;
        }
      }
      X86PvVcpuContext.prototype._readBE = function() {
        this.vcpuId = this._io.readU4be();
        this.reserved = this._io.readU4be();
        if (!(this.reserved == 0)) {
          throw new KaitaiStream.ValidationNotEqualError(0, this.reserved, this._io, "/types/stream_section/types/x86_pv_vcpu_context/seq/1");
        }
        switch ((this.isBasic ? this._io.size - 8 : 0)) {
        case 2800:
          this._raw_context = this._io.readBytesFull();
          var _io__raw_context = new KaitaiStream(this._raw_context);
          this.context = new XenPvVcpuContext_.XenPvVcpuContext(_io__raw_context, null, null, this.isBe, 4);
          break;
        case 5168:
          this._raw_context = this._io.readBytesFull();
          var _io__raw_context = new KaitaiStream(this._raw_context);
          this.context = new XenPvVcpuContext_.XenPvVcpuContext(_io__raw_context, null, null, this.isBe, 8);
          break;
        default:
          this.context = this._io.readBytesFull();
          break;
        }
      }

      /**
       * Index of the vCPU this state belongs to.
       */

      /**
       * Reserved, must be zero.
       */

      /**
       * The state itself, to the end of the body: a vcpu_guest_context
       * for BASIC, the extended context for EXTENDED, the xsave area for
       * XSAVE, a list of MSR entries for MSRS. The guest width of
       * X86_PV_INFO is out of reach here, so BASIC's layout is chosen by
       * its size (2800 octets x86_32, 5168 x86_64); a context of any
       * other size stays raw. XC-VCPU-003 ties the size to the width.
       */

      /**
       * Byte order of the stream, handed on to the decoded vcpu_guest_context.
       */

      /**
       * True for X86_PV_VCPU_BASIC, whose context is a vcpu_guest_context.
       */

      return X86PvVcpuContext;
    })();

    /**
     * How the guest's time stamp counter behaves and where it stood when saved.
     * @see spec/libxc-stream.md#x86_tsc_info
     */

    var X86TscInfo = StreamSection.X86TscInfo = (function() {
      function X86TscInfo(_io, _parent, _root, _is_le) {
        this._io = _io;
        this._parent = _parent;
        this._root = _root;
        this._is_le = _is_le;

        this._read();
      }
      X86TscInfo.prototype._read = function() {

        if (this._is_le === true) {
          this._readLE();
        } else if (this._is_le === false) {
          this._readBE();
        } else {
          throw new KaitaiStream.UndecidedEndiannessError();
        }
      }
      X86TscInfo.prototype._readLE = function() {
        this.mode = this._io.readU4le();
        if (!Object.prototype.hasOwnProperty.call(XenLibxcStream.TscMode, this.mode)) {
          throw new KaitaiStream.ValidationNotInEnumError(this.mode, this._io, "/types/stream_section/types/x86_tsc_info/seq/0");
        }
        this.khz = this._io.readU4le();
        this.nsec = this._io.readU8le();
        this.incarnation = this._io.readU4le();
        this.reserved = this._io.readU4le();
        if (!(this.reserved == 0)) {
          throw new KaitaiStream.ValidationNotEqualError(0, this.reserved, this._io, "/types/stream_section/types/x86_tsc_info/seq/4");
        }
      }
      X86TscInfo.prototype._readBE = function() {
        this.mode = this._io.readU4be();
        if (!Object.prototype.hasOwnProperty.call(XenLibxcStream.TscMode, this.mode)) {
          throw new KaitaiStream.ValidationNotInEnumError(this.mode, this._io, "/types/stream_section/types/x86_tsc_info/seq/0");
        }
        this.khz = this._io.readU4be();
        this.nsec = this._io.readU8be();
        this.incarnation = this._io.readU4be();
        this.reserved = this._io.readU4be();
        if (!(this.reserved == 0)) {
          throw new KaitaiStream.ValidationNotEqualError(0, this.reserved, this._io, "/types/stream_section/types/x86_tsc_info/seq/4");
        }
      }

      /**
       * The TSC mode.
       */

      /**
       * Guest TSC frequency in kHz.
       */

      /**
       * Elapsed guest time in nanoseconds.
       */

      /**
       * How many times the guest's TSC has been migrated or restored.
       */

      /**
       * Reserved, must be zero.
       */

      return X86TscInfo;
    })();

    /**
     * True when these records stopped at a CHECKPOINT rather than at END.
     */
    Object.defineProperty(StreamSection.prototype, 'endedAtCheckpoint', {
      get: function() {
        if (this._m_endedAtCheckpoint !== undefined)
          return this._m_endedAtCheckpoint;
        this._m_endedAtCheckpoint = this.records[this.records.length - 1].isCheckpoint;
        return this._m_endedAtCheckpoint;
      }
    });

    /**
     * Page size of the stream as a power of two.
     */
    Object.defineProperty(StreamSection.prototype, 'pageShift', {
      get: function() {
        if (this._m_pageShift !== undefined)
          return this._m_pageShift;
        this._m_pageShift = (this.hasDomainHeader ? this.domainHeader.pageShift : this.resumedPageShift);
        return this._m_pageShift;
      }
    });

    /**
     * Octets in one guest page, and so in each page of PAGE_DATA. (The
     * shift is at most 31; the largest case is spelled out so that no
     * target computes it with a signed 32-bit shift.)
     */
    Object.defineProperty(StreamSection.prototype, 'pageSize', {
      get: function() {
        if (this._m_pageSize !== undefined)
          return this._m_pageSize;
        this._m_pageSize = (this.pageShift == 31 ? 2147483648 : (1 << this.pageShift));
        return this._m_pageSize;
      }
    });

    /**
     * Guest type, page size and the saving Xen's version.
     */

    /**
     * The records, the last being END or, when `stop_at_checkpoint`,
     * possibly CHECKPOINT. A stream read on its own may also stop at
     * the end of the data right after a CHECKPOINT, the way Xen's
     * saver ends every checkpointed stream (XC-CKPT-003); the data
     * running out anywhere else is still an error.
     */

    /**
     * Byte order taken from the image header (true for big-endian).
     */

    /**
     * True for the first section of a stream, which opens with the
     * domain header; false for a section resumed after a libxl
     * CHECKPOINT_END, which carries records only.
     */

    /**
     * For a resumed section, the page shift the stream's domain header
     * set; ignored when `has_domain_header` is true.
     */

    /**
     * True inside a libxl stream, where a CHECKPOINT record hands the
     * stream back to the libxl layer; false for a stream read on its
     * own, whose records run to END.
     */

    return StreamSection;
  })();

  /**
   * Identifies the stream, its format version and its byte order.
   */

  /**
   * The domain header and the records up to END. A stream read on its
   * own does not stop at CHECKPOINT: with no upper layer to hand over to,
   * the records simply go on, unless the data ends right after the
   * CHECKPOINT, which closes a checkpointed stream (XC-CKPT-003).
   */

  return XenLibxcStream;
})();
XenLibxcStream_.XenLibxcStream = XenLibxcStream;
});
