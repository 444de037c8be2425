// This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild

(function (root, factory) {
  if (typeof define === 'function' && define.amd) {
    define(['exports', 'kaitai-struct/KaitaiStream'], factory);
  } else if (typeof exports === 'object' && exports !== null && typeof exports.nodeType !== 'number') {
    factory(exports, require('kaitai-struct/KaitaiStream'));
  } else {
    factory(root.XenLegacyLibxlToolstack || (root.XenLegacyLibxlToolstack = {}), root.KaitaiStream);
  }
})(typeof self !== 'undefined' ? self : this, function (XenLegacyLibxlToolstack_, KaitaiStream) {
/**
 * The data libxl stored in the TOOLSTACK chunk of a legacy HVM image: qemu's
 * physmap. A 64-bit toolstack leaves four stray octets after each name's NUL
 * (the C structure's tail padding); a 32-bit one does not.
 * 
 * Specification: spec/legacy.md, section "libxl's toolstack record".
 * @see spec/legacy.md#libxls-toolstack-record
 * @see {@link https://xenbits.xen.org/gitweb/?p=xen.git;a=blob;f=tools/python/xen/migration/legacy.py;hb=HEAD|Source}
 */

var XenLegacyLibxlToolstack = (function() {
  function XenLegacyLibxlToolstack(_io, _parent, _root, isWide) {
    this._io = _io;
    this._parent = _parent;
    this._root = _root || this;
    this.isWide = isWide;

    this._read();
  }
  XenLegacyLibxlToolstack.prototype._read = function() {
    this.version = this._io.readU4le();
    if (!(this.version == 1)) {
      throw new KaitaiStream.ValidationNotEqualError(1, this.version, this._io, "/seq/0");
    }
    this.numEntries = this._io.readU4le();
    this.entries = [];
    for (var i = 0; i < this.numEntries; i++) {
      this.entries.push(new Entry(this._io, this, this._root));
    }
  }

  /**
   * One physmap entry.
   * @see spec/legacy.md#libxls-toolstack-record
   */

  var Entry = XenLegacyLibxlToolstack.Entry = (function() {
    function Entry(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    Entry.prototype._read = function() {
      this.physOffset = this._io.readU8le();
      this.startAddr = this._io.readU8le();
      this.size = this._io.readU8le();
      this.lenName = this._io.readU4le();
      this.name = KaitaiStream.bytesToStr(KaitaiStream.bytesTerminate(this._io.readBytes(this.lenName), 0, false), "ASCII");
      if (this._root.isWide) {
        this.stray = this._io.readBytes(4);
      }
    }

    /**
     * Guest physical address the mapping is known by.
     */

    /**
     * Where the region starts.
     */

    /**
     * Octets in the region.
     */

    /**
     * Octets of the name, its NUL included.
     */

    /**
     * The region's name.
     */

    /**
     * Four octets of structure padding a 64-bit toolstack left after the name.
     */

    return Entry;
  })();

  /**
   * Record version; only 1 is defined.
   */

  /**
   * Physmap entries.
   */

  /**
   * The entries.
   */

  /**
   * True when a 64-bit toolstack wrote the record.
   */

  return XenLegacyLibxlToolstack;
})();
XenLegacyLibxlToolstack_.XenLegacyLibxlToolstack = XenLegacyLibxlToolstack;
});
