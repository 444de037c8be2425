// This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild

(function (root, factory) {
  if (typeof define === 'function' && define.amd) {
    define(['exports', 'kaitai-struct/KaitaiStream', './XenLibxcStream'], factory);
  } else if (typeof exports === 'object' && exports !== null && typeof exports.nodeType !== 'number') {
    factory(exports, require('kaitai-struct/KaitaiStream'), require('./XenLibxcStream'));
  } else {
    factory(root.XenLibxlStream || (root.XenLibxlStream = {}), root.KaitaiStream, root.XenLibxcStream || (root.XenLibxcStream = {}));
  }
})(typeof self !== 'undefined' ? self : this, function (XenLibxlStream_, KaitaiStream, XenLibxcStream_) {
/**
 * The toolstack layer of a Xen domain save image, written by libxenlight
 * (libxl). A 16-octet big-endian header is followed by records framed the
 * same way as libxc records (32-bit type, 32-bit body length, body, zero
 * padding to 8 octets), in the byte order bit 0 of the header's options
 * names.
 * 
 * The guest's own state is a libxc stream, and it is not inside any
 * record: the LIBXC_CONTEXT record has an empty body and the libxc stream
 * starts right after it, so this description attaches it to that record
 * as `libxc_stream`. In a checkpointed (Remus/COLO) stream the libxc
 * stream stops at each CHECKPOINT record; libxl records follow up to a
 * CHECKPOINT_END, after which the libxc stream resumes with records only
 * (attached to that CHECKPOINT_END as `libxc_resumed`). In COLO a
 * CHECKPOINT_STATE record comes between the CHECKPOINT_END and the
 * resumed libxc records (`colo_checkpoint_state`). Once the libxc stream
 * has reached its END, libxl records go on until the libxl END. Xen's
 * saver never ends a checkpointed stream that way: it stops right after
 * a complete checkpoint, so the data may end after a CHECKPOINT_END (or
 * the CHECKPOINT_STATE that follows it) that resumes nothing
 * (XC-CKPT-003).
 * 
 * Specification: spec/libxl-stream.md (rules XL-*); the doc-ref of each
 * type names its section there.
 * @see spec/libxl-stream.md#header
 * @see {@link https://xenbits.xen.org/docs/unstable/specs/libxl-migration-stream.html|Source}
 */

var XenLibxlStream = (function() {
  XenLibxlStream.CheckpointControl = Object.freeze({
    NEW: 0,
    SVM_SUSPENDED: 1,
    SVM_READY: 2,
    SVM_RESUMED: 3,

    0: "NEW",
    1: "SVM_SUSPENDED",
    2: "SVM_READY",
    3: "SVM_RESUMED",
  });

  XenLibxlStream.EmulatorId = Object.freeze({
    UNKNOWN: 0,
    QEMU_TRADITIONAL: 1,
    QEMU_UPSTREAM: 2,

    0: "UNKNOWN",
    1: "QEMU_TRADITIONAL",
    2: "QEMU_UPSTREAM",
  });

  XenLibxlStream.RecType = Object.freeze({
    END: 0,
    LIBXC_CONTEXT: 1,
    EMULATOR_XENSTORE_DATA: 2,
    EMULATOR_CONTEXT: 3,
    CHECKPOINT_END: 4,
    CHECKPOINT_STATE: 5,

    0: "END",
    1: "LIBXC_CONTEXT",
    2: "EMULATOR_XENSTORE_DATA",
    3: "EMULATOR_CONTEXT",
    4: "CHECKPOINT_END",
    5: "CHECKPOINT_STATE",
  });

  function XenLibxlStream(_io, _parent, _root) {
    this._io = _io;
    this._parent = _parent;
    this._root = _root || this;

    this._read();
  }
  XenLibxlStream.prototype._read = function() {
    this.magic = this._io.readBytes(8);
    if (!((KaitaiStream.byteArrayCompare(this.magic, new Uint8Array([76, 105, 98, 120, 108, 70, 109, 116])) == 0))) {
      throw new KaitaiStream.ValidationNotEqualError(new Uint8Array([76, 105, 98, 120, 108, 70, 109, 116]), this.magic, this._io, "/seq/0");
    }
    this.version = this._io.readU4be();
    if (!(this.version == 2)) {
      throw new KaitaiStream.ValidationNotEqualError(2, this.version, this._io, "/seq/1");
    }
    this.options = this._io.readU4be();
    if (!(this.options <= 3)) {
      throw new KaitaiStream.ValidationGreaterThanError(3, this.options, this._io, "/seq/2");
    }
    this.records = [];
    var i = 0;
    do {
      var _ = new Record(this._io, this, this._root, this.isBigEndian, (i == 0 ? false : this.records[i - 1].libxcOpenAfter), (i == 0 ? false : this.records[i - 1].libxcIsBeAfter), (i == 0 ? 0 : this.records[i - 1].libxcPageShiftAfter), (i == 0 ? false : this.records[i - 1].libxcIsPvAfter), this._io.pos);
      this.records.push(_);
      i++;
    } while (!( ((_.isEnd) || (_.endsAtCheckpoint)) ));
  }

  /**
   * One libxl record, and the libxc data that follows it inline when it
   * is LIBXC_CONTEXT or a CHECKPOINT_END that resumes the libxc stream.
   * @see spec/libxl-stream.md#records
   */

  var Record = XenLibxlStream.Record = (function() {
    function Record(_io, _parent, _root, isBe, libxcOpenBefore, libxcIsBeBefore, libxcPageShiftBefore, libxcIsPvBefore, ofsRecord) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this.isBe = isBe;
      this.libxcOpenBefore = libxcOpenBefore;
      this.libxcIsBeBefore = libxcIsBeBefore;
      this.libxcPageShiftBefore = libxcPageShiftBefore;
      this.libxcIsPvBefore = libxcIsPvBefore;
      this.ofsRecord = ofsRecord;

      this._read();
    }
    Record.prototype._read = function() {
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
    Record.prototype._readLE = function() {
      this.recType = this._io.readU4le();
      this.lenBody = this._io.readU4le();
      switch (this.recType) {
      case XenLibxlStream.RecType.CHECKPOINT_STATE:
        this._raw_body = this._io.readBytes(this.lenBody);
        var _io__raw_body = new KaitaiStream(this._raw_body);
        this.body = new CheckpointState(_io__raw_body, this, this._root, this._is_le);
        break;
      case XenLibxlStream.RecType.EMULATOR_CONTEXT:
        this._raw_body = this._io.readBytes(this.lenBody);
        var _io__raw_body = new KaitaiStream(this._raw_body);
        this.body = new EmulatorContext(_io__raw_body, this, this._root, this._is_le);
        break;
      case XenLibxlStream.RecType.EMULATOR_XENSTORE_DATA:
        this._raw_body = this._io.readBytes(this.lenBody);
        var _io__raw_body = new KaitaiStream(this._raw_body);
        this.body = new EmulatorXenstoreData(_io__raw_body, this, this._root, this._is_le);
        break;
      default:
        this.body = this._io.readBytes(this.lenBody);
        break;
      }
      this.padding = [];
      for (var i = 0; i < KaitaiStream.mod(8 - KaitaiStream.mod(this.lenBody, 8), 8); i++) {
        this.padding.push(this._io.readU1());
        if (!(this.padding[i] == 0)) {
          throw new KaitaiStream.ValidationNotEqualError(0, this.padding[i], this._io, "/types/record/seq/3");
        }
      }
      if (this.recType == XenLibxlStream.RecType.LIBXC_CONTEXT) {
        this.libxcStream = new XenLibxcStream_.XenLibxcStream.EmbeddedStream(this._io, null, null);
      }
      if (this.hasColoCheckpointState) {
        this.coloCheckpointState = new Record(this._io, this, this._root, this.isBe, false, this.libxcIsBeBefore, this.libxcPageShiftBefore, this.libxcIsPvBefore, this._io.pos);
      }
      if ( ((this.resumesLibxc) && (this.readsLibxcResumed)) ) {
        this.libxcResumed = new XenLibxcStream_.XenLibxcStream.StreamSection(this._io, null, null, this.libxcIsBeBefore, false, this.libxcPageShiftBefore, true);
      }
    }
    Record.prototype._readBE = function() {
      this.recType = this._io.readU4be();
      this.lenBody = this._io.readU4be();
      switch (this.recType) {
      case XenLibxlStream.RecType.CHECKPOINT_STATE:
        this._raw_body = this._io.readBytes(this.lenBody);
        var _io__raw_body = new KaitaiStream(this._raw_body);
        this.body = new CheckpointState(_io__raw_body, this, this._root, this._is_le);
        break;
      case XenLibxlStream.RecType.EMULATOR_CONTEXT:
        this._raw_body = this._io.readBytes(this.lenBody);
        var _io__raw_body = new KaitaiStream(this._raw_body);
        this.body = new EmulatorContext(_io__raw_body, this, this._root, this._is_le);
        break;
      case XenLibxlStream.RecType.EMULATOR_XENSTORE_DATA:
        this._raw_body = this._io.readBytes(this.lenBody);
        var _io__raw_body = new KaitaiStream(this._raw_body);
        this.body = new EmulatorXenstoreData(_io__raw_body, this, this._root, this._is_le);
        break;
      default:
        this.body = this._io.readBytes(this.lenBody);
        break;
      }
      this.padding = [];
      for (var i = 0; i < KaitaiStream.mod(8 - KaitaiStream.mod(this.lenBody, 8), 8); i++) {
        this.padding.push(this._io.readU1());
        if (!(this.padding[i] == 0)) {
          throw new KaitaiStream.ValidationNotEqualError(0, this.padding[i], this._io, "/types/record/seq/3");
        }
      }
      if (this.recType == XenLibxlStream.RecType.LIBXC_CONTEXT) {
        this.libxcStream = new XenLibxcStream_.XenLibxcStream.EmbeddedStream(this._io, null, null);
      }
      if (this.hasColoCheckpointState) {
        this.coloCheckpointState = new Record(this._io, this, this._root, this.isBe, false, this.libxcIsBeBefore, this.libxcPageShiftBefore, this.libxcIsPvBefore, this._io.pos);
      }
      if ( ((this.resumesLibxc) && (this.readsLibxcResumed)) ) {
        this.libxcResumed = new XenLibxcStream_.XenLibxcStream.StreamSection(this._io, null, null, this.libxcIsBeBefore, false, this.libxcPageShiftBefore, true);
      }
    }

    /**
     * A COLO control message. Xen writes a body of four octets (the
     * record padding then fills the rest of the 8); a body of eight
     * octets carries four reserved zero octets after the control id.
     * @see spec/libxl-stream.md#checkpoint_state
     */

    var CheckpointState = Record.CheckpointState = (function() {
      function CheckpointState(_io, _parent, _root, _is_le) {
        this._io = _io;
        this._parent = _parent;
        this._root = _root;
        this._is_le = _is_le;

        this._read();
      }
      CheckpointState.prototype._read = function() {

        if (this._is_le === true) {
          this._readLE();
        } else if (this._is_le === false) {
          this._readBE();
        } else {
          throw new KaitaiStream.UndecidedEndiannessError();
        }
      }
      CheckpointState.prototype._readLE = function() {
        this.controlId = this._io.readU4le();
        if (!Object.prototype.hasOwnProperty.call(XenLibxlStream.CheckpointControl, this.controlId)) {
          throw new KaitaiStream.ValidationNotInEnumError(this.controlId, this._io, "/types/record/types/checkpoint_state/seq/0");
        }
        this.reserved = [];
        var i = 0;
        while (!this._io.isEof()) {
          this.reserved.push(this._io.readU1());
          if (!(this.reserved[i] == 0)) {
            throw new KaitaiStream.ValidationNotEqualError(0, this.reserved[i], this._io, "/types/record/types/checkpoint_state/seq/1");
          }
          i++;
        }
      }
      CheckpointState.prototype._readBE = function() {
        this.controlId = this._io.readU4be();
        if (!Object.prototype.hasOwnProperty.call(XenLibxlStream.CheckpointControl, this.controlId)) {
          throw new KaitaiStream.ValidationNotInEnumError(this.controlId, this._io, "/types/record/types/checkpoint_state/seq/0");
        }
        this.reserved = [];
        var i = 0;
        while (!this._io.isEof()) {
          this.reserved.push(this._io.readU1());
          if (!(this.reserved[i] == 0)) {
            throw new KaitaiStream.ValidationNotEqualError(0, this.reserved[i], this._io, "/types/record/types/checkpoint_state/seq/1");
          }
          i++;
        }
      }

      /**
       * Which step of the COLO protocol this message reports.
       */

      /**
       * Reserved octets after the control id, if any; must be zero.
       */

      return CheckpointState;
    })();

    /**
     * The saved state of one device model, opaque to libxl.
     * @see spec/libxl-stream.md#emulator_context
     */

    var EmulatorContext = Record.EmulatorContext = (function() {
      function EmulatorContext(_io, _parent, _root, _is_le) {
        this._io = _io;
        this._parent = _parent;
        this._root = _root;
        this._is_le = _is_le;

        this._read();
      }
      EmulatorContext.prototype._read = function() {

        if (this._is_le === true) {
          this._readLE();
        } else if (this._is_le === false) {
          this._readBE();
        } else {
          throw new KaitaiStream.UndecidedEndiannessError();
        }
      }
      EmulatorContext.prototype._readLE = function() {
        this.emulatorId = this._io.readU4le();
        this.index = this._io.readU4le();
        this.context = this._io.readBytesFull();
      }
      EmulatorContext.prototype._readBE = function() {
        this.emulatorId = this._io.readU4be();
        this.index = this._io.readU4be();
        this.context = this._io.readBytesFull();
      }

      /**
       * Which device model the state belongs to.
       */

      /**
       * Which instance of that device model, for a domain with more than one.
       */

      /**
       * The device model's state, in a form only it understands.
       */

      return EmulatorContext;
    })();

    /**
     * Xenstore entries for one device model, as key/value pairs of
     * NUL-terminated strings packed one after another. Keys are
     * relative to the device model's own xenstore directory.
     * @see spec/libxl-stream.md#emulator_xenstore_data
     */

    var EmulatorXenstoreData = Record.EmulatorXenstoreData = (function() {
      function EmulatorXenstoreData(_io, _parent, _root, _is_le) {
        this._io = _io;
        this._parent = _parent;
        this._root = _root;
        this._is_le = _is_le;

        this._read();
      }
      EmulatorXenstoreData.prototype._read = function() {

        if (this._is_le === true) {
          this._readLE();
        } else if (this._is_le === false) {
          this._readBE();
        } else {
          throw new KaitaiStream.UndecidedEndiannessError();
        }
      }
      EmulatorXenstoreData.prototype._readLE = function() {
        this.emulatorId = this._io.readU4le();
        this.index = this._io.readU4le();
        this.entries = [];
        var i = 0;
        while (!this._io.isEof()) {
          this.entries.push(new XenstoreEntry(this._io, this, this._root, this._is_le));
          i++;
        }
      }
      EmulatorXenstoreData.prototype._readBE = function() {
        this.emulatorId = this._io.readU4be();
        this.index = this._io.readU4be();
        this.entries = [];
        var i = 0;
        while (!this._io.isEof()) {
          this.entries.push(new XenstoreEntry(this._io, this, this._root, this._is_le));
          i++;
        }
      }

      /**
       * Which device model the entries belong to.
       */

      /**
       * Which instance of that device model, for a domain with more than one.
       */

      /**
       * The key/value pairs, filling the rest of the body.
       */

      return EmulatorXenstoreData;
    })();

    /**
     * One xenstore key and its value.
     * @see spec/libxl-stream.md#emulator_xenstore_data
     */

    var XenstoreEntry = Record.XenstoreEntry = (function() {
      function XenstoreEntry(_io, _parent, _root, _is_le) {
        this._io = _io;
        this._parent = _parent;
        this._root = _root;
        this._is_le = _is_le;

        this._read();
      }
      XenstoreEntry.prototype._read = function() {

        if (this._is_le === true) {
          this._readLE();
        } else if (this._is_le === false) {
          this._readBE();
        } else {
          throw new KaitaiStream.UndecidedEndiannessError();
        }
      }
      XenstoreEntry.prototype._readLE = function() {
        this.key = this._io.readBytesTerm(0, false, true, true);
        this.value = this._io.readBytesTerm(0, false, true, true);
      }
      XenstoreEntry.prototype._readBE = function() {
        this.key = this._io.readBytesTerm(0, false, true, true);
        this.value = this._io.readBytesTerm(0, false, true, true);
      }

      /**
       * The key, without its terminating NUL.
       */

      /**
       * The value, without its terminating NUL.
       */

      return XenstoreEntry;
    })();

    /**
     * True when the stream stops here, after a complete checkpoint,
     * with no END (XC-CKPT-003): the last record is this
     * CHECKPOINT_END, or the CHECKPOINT_STATE attached to it.
     */
    Object.defineProperty(Record.prototype, 'endsAtCheckpoint', {
      get: function() {
        if (this._m_endsAtCheckpoint !== undefined)
          return this._m_endsAtCheckpoint;
        this._m_endsAtCheckpoint =  ((this.resumesLibxc) && (!(this.readsLibxcResumed))) ;
        return this._m_endsAtCheckpoint;
      }
    });

    /**
     * True when a libxl CHECKPOINT_STATE record follows this
     * CHECKPOINT_END. Nothing in the stream names the layer of the next
     * record, and libxc has a type 5 too (X86_PV_VCPU_EXTENDED): Xen
     * picks the layer by its mode (COLO or Remus), never from the
     * record. A type-5 record here is read as libxl's, whatever the
     * guest and the body length (XL-NEST-003 places CHECKPOINT_STATE
     * here; Xen's savers never resume a checkpoint's libxc records with
     * X86_PV_VCPU_EXTENDED).
     */
    Object.defineProperty(Record.prototype, 'hasColoCheckpointState', {
      get: function() {
        if (this._m_hasColoCheckpointState !== undefined)
          return this._m_hasColoCheckpointState;
        this._m_hasColoCheckpointState =  ((this.resumesLibxc) && (this._io.size - this.ofsNext >= 8) && (this.nextRecTypeRaw == XenLibxlStream.RecType.CHECKPOINT_STATE)) ;
        return this._m_hasColoCheckpointState;
      }
    });

    /**
     * True for the END record that closes the stream.
     */
    Object.defineProperty(Record.prototype, 'isEnd', {
      get: function() {
        if (this._m_isEnd !== undefined)
          return this._m_isEnd;
        this._m_isEnd = this.recType == XenLibxlStream.RecType.END;
        return this._m_isEnd;
      }
    });

    /**
     * True when bit 31 of the type is set, so a restorer may ignore the
     * record. (A shift rather than a comparison with 0x7fffffff: the Rust
     * target compares 32-bit values as signed.)
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
     * Byte order of the libxc stream as known after this record.
     */
    Object.defineProperty(Record.prototype, 'libxcIsBeAfter', {
      get: function() {
        if (this._m_libxcIsBeAfter !== undefined)
          return this._m_libxcIsBeAfter;
        this._m_libxcIsBeAfter = (this.recType == XenLibxlStream.RecType.LIBXC_CONTEXT ? this.libxcStream.imageHeader.isBigEndian : this.libxcIsBeBefore);
        return this._m_libxcIsBeAfter;
      }
    });

    /**
     * Whether the libxc stream is of an x86 PV guest, as known after this record.
     */
    Object.defineProperty(Record.prototype, 'libxcIsPvAfter', {
      get: function() {
        if (this._m_libxcIsPvAfter !== undefined)
          return this._m_libxcIsPvAfter;
        this._m_libxcIsPvAfter = (this.recType == XenLibxlStream.RecType.LIBXC_CONTEXT ? this.libxcStream.section.domainHeader.guestType == XenLibxcStream_.XenLibxcStream.DomainType.X86_PV : this.libxcIsPvBefore);
        return this._m_libxcIsPvAfter;
      }
    });

    /**
     * Whether the libxc stream waits at a CHECKPOINT after this record.
     */
    Object.defineProperty(Record.prototype, 'libxcOpenAfter', {
      get: function() {
        if (this._m_libxcOpenAfter !== undefined)
          return this._m_libxcOpenAfter;
        this._m_libxcOpenAfter = (this.recType == XenLibxlStream.RecType.LIBXC_CONTEXT ? this.libxcStream.section.endedAtCheckpoint : (this.readsLibxcResumed ? this.libxcResumed.endedAtCheckpoint : this.libxcOpenBefore));
        return this._m_libxcOpenAfter;
      }
    });

    /**
     * Page shift of the libxc stream as known after this record.
     */
    Object.defineProperty(Record.prototype, 'libxcPageShiftAfter', {
      get: function() {
        if (this._m_libxcPageShiftAfter !== undefined)
          return this._m_libxcPageShiftAfter;
        this._m_libxcPageShiftAfter = (this.recType == XenLibxlStream.RecType.LIBXC_CONTEXT ? this.libxcStream.section.pageShift : this.libxcPageShiftBefore);
        return this._m_libxcPageShiftAfter;
      }
    });

    /**
     * The body length of the record after this one, peeked at (only
     * read when `resumes_libxc` and eight octets follow).
     */
    Object.defineProperty(Record.prototype, 'nextLenBody', {
      get: function() {
        if (this._m_nextLenBody !== undefined)
          return this._m_nextLenBody;
        var _pos = this._io.pos;
        this._io.seek(this.ofsNext + 4);
        if (this._is_le) {
          this._m_nextLenBody = this._io.readU4le();
        } else {
          this._m_nextLenBody = this._io.readU4be();
        }
        this._io.seek(_pos);
        return this._m_nextLenBody;
      }
    });

    /**
     * The type word of the record after this one, peeked at (only
     * read when `resumes_libxc` and eight octets follow).
     */
    Object.defineProperty(Record.prototype, 'nextRecTypeRaw', {
      get: function() {
        if (this._m_nextRecTypeRaw !== undefined)
          return this._m_nextRecTypeRaw;
        var _pos = this._io.pos;
        this._io.seek(this.ofsNext);
        if (this._is_le) {
          this._m_nextRecTypeRaw = this._io.readU4le();
        } else {
          this._m_nextRecTypeRaw = this._io.readU4be();
        }
        this._io.seek(_pos);
        return this._m_nextRecTypeRaw;
      }
    });

    /**
     * Where the resumed libxc records start, after any CHECKPOINT_STATE.
     */
    Object.defineProperty(Record.prototype, 'ofsLibxcResumed', {
      get: function() {
        if (this._m_ofsLibxcResumed !== undefined)
          return this._m_ofsLibxcResumed;
        this._m_ofsLibxcResumed = (this.hasColoCheckpointState ? ((this.ofsNext + 8) + this.nextLenBody) + KaitaiStream.mod(8 - KaitaiStream.mod(this.nextLenBody, 8), 8) : this.ofsNext);
        return this._m_ofsLibxcResumed;
      }
    });

    /**
     * Where the octets after this record (padding included) start.
     */
    Object.defineProperty(Record.prototype, 'ofsNext', {
      get: function() {
        if (this._m_ofsNext !== undefined)
          return this._m_ofsNext;
        this._m_ofsNext = ((this.ofsRecord + 8) + this.lenBody) + KaitaiStream.mod(8 - KaitaiStream.mod(this.lenBody, 8), 8);
        return this._m_ofsNext;
      }
    });

    /**
     * True when data follows the checkpoint, so the libxc stream
     * resumes; false when the data ends there.
     */
    Object.defineProperty(Record.prototype, 'readsLibxcResumed', {
      get: function() {
        if (this._m_readsLibxcResumed !== undefined)
          return this._m_readsLibxcResumed;
        this._m_readsLibxcResumed =  ((this.resumesLibxc) && (this._io.size > this.ofsLibxcResumed)) ;
        return this._m_readsLibxcResumed;
      }
    });

    /**
     * The type word read again, as a plain unsigned number. `rec_type`
     * cannot give bit 31 in every target: an optional type is never in
     * the enum, and C++ and C# then hold it as a negative number, Java
     * not at all (null).
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
     * True for a CHECKPOINT_END that closes the libxl part of a
     * checkpoint, after which the libxc stream resumes (or the data
     * ends).
     */
    Object.defineProperty(Record.prototype, 'resumesLibxc', {
      get: function() {
        if (this._m_resumesLibxc !== undefined)
          return this._m_resumesLibxc;
        this._m_resumesLibxc =  ((this.recType == XenLibxlStream.RecType.CHECKPOINT_END) && (this.libxcOpenBefore)) ;
        return this._m_resumesLibxc;
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
     * The record's contents, decoded for the emulator and checkpoint
     * state records; raw octets for the empty signalling records and
     * every unknown type.
     */

    /**
     * Zero octets that bring the record to a multiple of 8 octets.
     */

    /**
     * The libxc stream that follows a LIBXC_CONTEXT record: its headers
     * and its records up to END or to the first CHECKPOINT.
     */

    /**
     * The libxl CHECKPOINT_STATE record that COLO's primary sends after
     * a CHECKPOINT_END, before the libxc records resume (see
     * `has_colo_checkpoint_state`).
     */

    /**
     * The next section of a checkpointed libxc stream, which follows a
     * CHECKPOINT_END when the libxc stream stopped at a CHECKPOINT:
     * records only, up to the next CHECKPOINT or to END. Absent when
     * the data ends there, after a complete checkpoint.
     */

    /**
     * Byte order of the libxl records.
     */

    /**
     * True when the libxc stream has stopped at a CHECKPOINT and waits
     * to be resumed after the next CHECKPOINT_END.
     */

    /**
     * Byte order of the libxc stream seen so far (meaningful once it has started).
     */

    /**
     * Page shift of the libxc stream seen so far (meaningful once it has started).
     */

    /**
     * True when the libxc stream seen so far is of an x86 PV guest
     * (meaningful once it has started); it decides what a type-5
     * record after CHECKPOINT_END is.
     */

    /**
     * Where the record starts in the stream (the top level passes
     * `_io.pos`), so that `rec_type_raw` can read the type again.
     */

    return Record;
  })();

  /**
   * True when the records are big-endian.
   */
  Object.defineProperty(XenLibxlStream.prototype, 'isBigEndian', {
    get: function() {
      if (this._m_isBigEndian !== undefined)
        return this._m_isBigEndian;
      this._m_isBigEndian = (this.options & 1) != 0;
      return this._m_isBigEndian;
    }
  });

  /**
   * True when the stream was produced from a legacy image by the conversion tool.
   */
  Object.defineProperty(XenLibxlStream.prototype, 'isLegacyConverted', {
    get: function() {
      if (this._m_isLegacyConverted !== undefined)
        return this._m_isLegacyConverted;
      this._m_isLegacyConverted = (this.options & 2) != 0;
      return this._m_isLegacyConverted;
    }
  });

  /**
   * The ASCII letters "LibxlFmt", which identify the stream.
   */

  /**
   * Revision of the libxl format the stream follows; only 2 exists.
   */

  /**
   * Bit 0 gives the byte order of the records (0 little-endian,
   * 1 big-endian); bit 1 is set when the stream was made by converting a
   * legacy image. Bits 2 to 31 are reserved and must be zero.
   */

  /**
   * The records up to and including END, each carrying along what the
   * records before it left open of the libxc stream. A checkpointed
   * stream may instead stop at the end of the data after a complete
   * checkpoint (see `ends_at_checkpoint`).
   */

  return XenLibxlStream;
})();
XenLibxlStream_.XenLibxlStream = XenLibxlStream;
});
