// This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild

(function (root, factory) {
  if (typeof define === 'function' && define.amd) {
    define(['exports', 'kaitai-struct/KaitaiStream', './XenLegacyLibxcImage', './XenXlSaveFile'], factory);
  } else if (typeof exports === 'object' && exports !== null && typeof exports.nodeType !== 'number') {
    factory(exports, require('kaitai-struct/KaitaiStream'), require('./XenLegacyLibxcImage'), require('./XenXlSaveFile'));
  } else {
    factory(root.XenLegacyXlSaveFile || (root.XenLegacyXlSaveFile = {}), root.KaitaiStream, root.XenLegacyLibxcImage || (root.XenLegacyLibxcImage = {}), root.XenXlSaveFile || (root.XenXlSaveFile = {}));
  }
})(typeof self !== 'undefined' ? self : this, function (XenLegacyXlSaveFile_, KaitaiStream, XenLegacyLibxcImage_, XenXlSaveFile_) {
/**
 * An xl save file whose STREAMv2 flag is clear: the xl header and the domain
 * configuration, then a legacy libxc image. The image's variant is not
 * recorded, so it comes in as parameters.
 * 
 * Specification: spec/legacy.md (the image) and spec/xl-file.md (the xl
 * header, rules XLF-*).
 * @see spec/legacy.md#overall-shape
 * @see {@link https://xenbits.xen.org/gitweb/?p=xen.git;a=blob;f=tools/xl/xl_saverestore.c;hb=HEAD|Source}
 */

var XenLegacyXlSaveFile = (function() {
  function XenLegacyXlSaveFile(_io, _parent, _root, toolstackWidth, isHvm, numVcpus) {
    this._io = _io;
    this._parent = _parent;
    this._root = _root || this;
    this.toolstackWidth = toolstackWidth;
    this.isHvm = isHvm;
    this.numVcpus = numVcpus;

    this._read();
  }
  XenLegacyXlSaveFile.prototype._read = function() {
    this.magic = this._io.readBytes(32);
    if (!((KaitaiStream.byteArrayCompare(this.magic, new Uint8Array([88, 101, 110, 32, 115, 97, 118, 101, 100, 32, 100, 111, 109, 97, 105, 110, 44, 32, 120, 108, 32, 102, 111, 114, 109, 97, 116, 10, 32, 0, 32, 13])) == 0))) {
      throw new KaitaiStream.ValidationNotEqualError(new Uint8Array([88, 101, 110, 32, 115, 97, 118, 101, 100, 32, 100, 111, 109, 97, 105, 110, 44, 32, 120, 108, 32, 102, 111, 114, 109, 97, 116, 10, 32, 0, 32, 13]), this.magic, this._io, "/seq/0");
    }
    this.header = new XenXlSaveFile_.XenXlSaveFile.SaveFileHeader(this._io, null, null, true);
    if (!(this.header.hasStreamV2)) {
      this.image = new XenLegacyLibxcImage_.XenLegacyLibxcImage(this._io, null, null, this.toolstackWidth, this.isHvm, this.numVcpus);
    }
  }

  /**
   * The xl magic, as in a v2 xl save file.
   */

  /**
   * The header words (little-endian) and the optional data.
   */

  /**
   * The legacy image.
   */

  /**
   * 32 or 64, the bit width of the saving toolstack's words.
   */

  /**
   * True for an HVM guest.
   */

  /**
   * Online vCPUs of a PV guest (see xen_legacy_libxc_image).
   */

  return XenLegacyXlSaveFile;
})();
XenLegacyXlSaveFile_.XenLegacyXlSaveFile = XenLegacyXlSaveFile;
});
