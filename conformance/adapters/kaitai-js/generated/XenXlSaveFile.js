// This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild

(function (root, factory) {
  if (typeof define === 'function' && define.amd) {
    define(['exports', 'kaitai-struct/KaitaiStream', './XenLibxlStream'], factory);
  } else if (typeof exports === 'object' && exports !== null && typeof exports.nodeType !== 'number') {
    factory(exports, require('kaitai-struct/KaitaiStream'), require('./XenLibxlStream'));
  } else {
    factory(root.XenXlSaveFile || (root.XenXlSaveFile = {}), root.KaitaiStream, root.XenLibxlStream || (root.XenLibxlStream = {}));
  }
})(typeof self !== 'undefined' ? self : this, function (XenXlSaveFile_, KaitaiStream, XenLibxlStream_) {
/**
 * The file `xl save` writes and `xl restore` reads; `xl migrate` sends the
 * same bytes over its connection. A fixed 32-octet text magic is followed
 * by four 32-bit words in the byte order of the host that saved the
 * domain (the first word, 0x01020304, shows which), then optional data
 * holding the domain's configuration, then the domain's state.
 * 
 * With the STREAMv2 mandatory flag set the state is a libxl stream (and
 * inside it a libxc stream). Without it the state is a legacy (Xen 4.5
 * and older) stream, which has no header to recognise it by; it is kept
 * here as raw octets.
 * 
 * Xen defines no file name extension for these files; `xl` is this
 * project's convention.
 * 
 * Specification: spec/xl-file.md (rules XLF-*); the doc-ref of each type
 * names its section there.
 * @see spec/xl-file.md#layout
 * @see {@link https://xenbits.xen.org/gitweb/?p=xen.git;a=blob;f=tools/xl/xl.h;hb=HEAD|Source}
 */

var XenXlSaveFile = (function() {
  function XenXlSaveFile(_io, _parent, _root) {
    this._io = _io;
    this._parent = _parent;
    this._root = _root || this;

    this._read();
  }
  XenXlSaveFile.prototype._read = function() {
    this.magic = this._io.readBytes(32);
    if (!((KaitaiStream.byteArrayCompare(this.magic, new Uint8Array([88, 101, 110, 32, 115, 97, 118, 101, 100, 32, 100, 111, 109, 97, 105, 110, 44, 32, 120, 108, 32, 102, 111, 114, 109, 97, 116, 10, 32, 0, 32, 13])) == 0))) {
      throw new KaitaiStream.ValidationNotEqualError(new Uint8Array([88, 101, 110, 32, 115, 97, 118, 101, 100, 32, 100, 111, 109, 97, 105, 110, 44, 32, 120, 108, 32, 102, 111, 114, 109, 97, 116, 10, 32, 0, 32, 13]), this.magic, this._io, "/seq/0");
    }
    this.header = new SaveFileHeader(this._io, this, this._root, this.byteorderProbe == 16909060);
    if (this.header.hasStreamV2) {
      this.stream = new XenLibxlStream_.XenLibxlStream(this._io, null, null);
    }
    if (!(this.header.hasStreamV2)) {
      this.legacyStream = this._io.readBytesFull();
    }
  }

  /**
   * What xl calls the save file header (struct save_file_header), less
   * its magic, and the optional data it announces. All four words are in
   * the saving host's byte order. (The type is named after Xen's
   * structure rather than `header`, the field that holds it: a type
   * named like a field of the same type clashes in C#.)
   * @see spec/xl-file.md#header
   */

  var SaveFileHeader = XenXlSaveFile.SaveFileHeader = (function() {
    function SaveFileHeader(_io, _parent, _root, isLe) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this.isLe = isLe;

      this._read();
    }
    SaveFileHeader.prototype._read = function() {
      switch (this.isLe) {
      case true:
        this._is_le = true;
        break;
      case false:
        this._is_le = false;
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
    SaveFileHeader.prototype._readLE = function() {
      this.byteorder = this._io.readU4le();
      if (!(this.byteorder == 16909060)) {
        throw new KaitaiStream.ValidationNotEqualError(16909060, this.byteorder, this._io, "/types/save_file_header/seq/0");
      }
      this.mandatoryFlags = this._io.readU4le();
      if (!(this.mandatoryFlags <= 3)) {
        throw new KaitaiStream.ValidationGreaterThanError(3, this.mandatoryFlags, this._io, "/types/save_file_header/seq/1");
      }
      this.optionalFlags = this._io.readU4le();
      if (!(this.optionalFlags == 0)) {
        throw new KaitaiStream.ValidationNotEqualError(0, this.optionalFlags, this._io, "/types/save_file_header/seq/2");
      }
      this.lenOptionalData = this._io.readU4le();
      this._raw_optionalData = this._io.readBytes(this.lenOptionalData);
      var _io__raw_optionalData = new KaitaiStream(this._raw_optionalData);
      this.optionalData = new OptionalDataBlock(_io__raw_optionalData, this, this._root, this._is_le);
    }
    SaveFileHeader.prototype._readBE = function() {
      this.byteorder = this._io.readU4be();
      if (!(this.byteorder == 16909060)) {
        throw new KaitaiStream.ValidationNotEqualError(16909060, this.byteorder, this._io, "/types/save_file_header/seq/0");
      }
      this.mandatoryFlags = this._io.readU4be();
      if (!(this.mandatoryFlags <= 3)) {
        throw new KaitaiStream.ValidationGreaterThanError(3, this.mandatoryFlags, this._io, "/types/save_file_header/seq/1");
      }
      this.optionalFlags = this._io.readU4be();
      if (!(this.optionalFlags == 0)) {
        throw new KaitaiStream.ValidationNotEqualError(0, this.optionalFlags, this._io, "/types/save_file_header/seq/2");
      }
      this.lenOptionalData = this._io.readU4be();
      this._raw_optionalData = this._io.readBytes(this.lenOptionalData);
      var _io__raw_optionalData = new KaitaiStream(this._raw_optionalData);
      this.optionalData = new OptionalDataBlock(_io__raw_optionalData, this, this._root, this._is_le);
    }

    /**
     * The optional data. When not empty it opens with the domain
     * configuration, length first; whatever follows the configuration
     * is for future use and may be skipped. (Held by the field
     * `optional_data`; a type may not share its name in C#.)
     * @see spec/xl-file.md#optional-data
     */

    var OptionalDataBlock = SaveFileHeader.OptionalDataBlock = (function() {
      function OptionalDataBlock(_io, _parent, _root, _is_le) {
        this._io = _io;
        this._parent = _parent;
        this._root = _root;
        this._is_le = _is_le;

        this._read();
      }
      OptionalDataBlock.prototype._read = function() {

        if (this._is_le === true) {
          this._readLE();
        } else if (this._is_le === false) {
          this._readBE();
        } else {
          throw new KaitaiStream.UndecidedEndiannessError();
        }
      }
      OptionalDataBlock.prototype._readLE = function() {
        if (this._io.size != 0) {
          this.lenConfig = this._io.readU4le();
        }
        if (this._io.size != 0) {
          this.config = this._io.readBytes(this.lenConfig);
        }
        this.rest = this._io.readBytesFull();
      }
      OptionalDataBlock.prototype._readBE = function() {
        if (this._io.size != 0) {
          this.lenConfig = this._io.readU4be();
        }
        if (this._io.size != 0) {
          this.config = this._io.readBytes(this.lenConfig);
        }
        this.rest = this._io.readBytesFull();
      }

      /**
       * Octets in the configuration.
       */

      /**
       * The domain configuration: JSON followed by a NUL when
       * `has_json_config`, otherwise xl's own configuration syntax.
       */

      /**
       * Optional data after the configuration, which a reader may skip.
       */

      return OptionalDataBlock;
    })();

    /**
     * True when the stored configuration is JSON (with a trailing NUL).
     */
    Object.defineProperty(SaveFileHeader.prototype, 'hasJsonConfig', {
      get: function() {
        if (this._m_hasJsonConfig !== undefined)
          return this._m_hasJsonConfig;
        this._m_hasJsonConfig = (this.mandatoryFlags & 1) != 0;
        return this._m_hasJsonConfig;
      }
    });

    /**
     * True when a libxl stream follows; false when a legacy stream does.
     */
    Object.defineProperty(SaveFileHeader.prototype, 'hasStreamV2', {
      get: function() {
        if (this._m_hasStreamV2 !== undefined)
          return this._m_hasStreamV2;
        this._m_hasStreamV2 = (this.mandatoryFlags & 2) != 0;
        return this._m_hasStreamV2;
      }
    });

    /**
     * The value 0x01020304, stored in the saving host's byte order.
     */

    /**
     * Features a reader must understand to restore the file. Bit 0:
     * the stored configuration is JSON. Bit 1: the state is a libxl
     * (migration v2) stream. Any other bit makes the file unreadable.
     */

    /**
     * Features a reader may ignore. None is defined, and the header's
     * definition asks readers to refuse bits they do not know, so this
     * must be zero.
     */

    /**
     * Octets of optional data after these four words.
     */

    /**
     * The optional data, normally the domain configuration.
     */

    /**
     * True when the byte-order word reads as 0x01020304 in little-endian order.
     */

    return SaveFileHeader;
  })();

  /**
   * The first header word read as little-endian: 0x01020304 for a file
   * saved on a little-endian host, 0x04030201 for a big-endian one.
   */
  Object.defineProperty(XenXlSaveFile.prototype, 'byteorderProbe', {
    get: function() {
      if (this._m_byteorderProbe !== undefined)
        return this._m_byteorderProbe;
      var _pos = this._io.pos;
      this._io.seek(32);
      this._m_byteorderProbe = this._io.readU4le();
      this._io.seek(_pos);
      return this._m_byteorderProbe;
    }
  });

  /**
   * The 32 octets "Xen saved domain, xl format", a newline, a space, a
   * NUL, a space and a carriage return.
   */

  /**
   * The four header words and the optional data, in the saving host's byte order.
   */

  /**
   * The domain's state as a libxl stream, when the STREAMv2 flag is set.
   */

  /**
   * The domain's state in the legacy format, when the STREAMv2 flag is
   * clear; kept as raw octets to the end of the file.
   */

  return XenXlSaveFile;
})();
XenXlSaveFile_.XenXlSaveFile = XenXlSaveFile;
});
