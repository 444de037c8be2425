// This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild

(function (root, factory) {
  if (typeof define === 'function' && define.amd) {
    define(['exports', 'kaitai-struct/KaitaiStream', './XenLegacyLibxcImage'], factory);
  } else if (typeof exports === 'object' && exports !== null && typeof exports.nodeType !== 'number') {
    factory(exports, require('kaitai-struct/KaitaiStream'), require('./XenLegacyLibxcImage'));
  } else {
    factory(root.XenXendSaveFile || (root.XenXendSaveFile = {}), root.KaitaiStream, root.XenLegacyLibxcImage || (root.XenLegacyLibxcImage = {}));
  }
})(typeof self !== 'undefined' ? self : this, function (XenXendSaveFile_, KaitaiStream, XenLegacyLibxcImage_) {
/**
 * What xend's `xm save` wrote: a 16-octet signature, the length of the
 * domain configuration as a big-endian signed 32-bit integer, the
 * configuration as an S-expression (text, no terminator), then the legacy
 * libxc image exactly as xc_save wrote it. For an HVM guest that image ends
 * with the device-model record, which xend writes with the signature
 * QemuDeviceModelRecord and qemu's state running to the end of the file.
 * 
 * The legacy image does not say its variant; as for a bare legacy image,
 * the toolstack width, guest type and PV vCPU count come in as parameters.
 * The configuration's `(image (hvm ...))` or `(image (linux ...))` child
 * names the guest type, as xend itself decided it.
 * 
 * Specification: spec/xend.md (rules XEND-*) and spec/legacy.md (the image).
 * @see spec/xend.md#layout
 * @see {@link https://xenbits.xen.org/gitweb/?p=xen.git;a=blob;f=tools/python/xen/xend/XendCheckpoint.py;hb=RELEASE-4.4.0|Source}
 */

var XenXendSaveFile = (function() {
  function XenXendSaveFile(_io, _parent, _root, toolstackWidth, isHvm, numVcpus) {
    this._io = _io;
    this._parent = _parent;
    this._root = _root || this;
    this.toolstackWidth = toolstackWidth;
    this.isHvm = isHvm;
    this.numVcpus = numVcpus;

    this._read();
  }
  XenXendSaveFile.prototype._read = function() {
    this.signature = this._io.readBytes(16);
    if (!((KaitaiStream.byteArrayCompare(this.signature, new Uint8Array([76, 105, 110, 117, 120, 71, 117, 101, 115, 116, 82, 101, 99, 111, 114, 100])) == 0))) {
      throw new KaitaiStream.ValidationNotEqualError(new Uint8Array([76, 105, 110, 117, 120, 71, 117, 101, 115, 116, 82, 101, 99, 111, 114, 100]), this.signature, this._io, "/seq/0");
    }
    this.lenConfig = this._io.readS4be();
    if (!(this.lenConfig >= 1)) {
      throw new KaitaiStream.ValidationLessThanError(1, this.lenConfig, this._io, "/seq/1");
    }
    this.config = KaitaiStream.bytesToStr(this._io.readBytes(this.lenConfig), "ASCII");
    this.image = new XenLegacyLibxcImage_.XenLegacyLibxcImage(this._io, null, null, this.toolstackWidth, this.isHvm, this.numVcpus);
  }

  /**
   * The xend signature (XEND-HDR-001).
   */

  /**
   * Octets of configuration text that follow (XEND-CFG-001); big-endian
   * whatever the host, as Python's struct "!i" packs it.
   */

  /**
   * The domain configuration, an S-expression `(domain ...)` in xend's
   * syntax (XEND-CFG-002 to XEND-CFG-004).
   */

  /**
   * The legacy libxc image, to the end of the file.
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

  return XenXendSaveFile;
})();
XenXendSaveFile_.XenXendSaveFile = XenXendSaveFile;
});
