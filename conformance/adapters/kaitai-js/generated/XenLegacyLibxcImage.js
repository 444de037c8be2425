// This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild

(function (root, factory) {
  if (typeof define === 'function' && define.amd) {
    define(['exports', 'kaitai-struct/KaitaiStream', './XenHvmContext'], factory);
  } else if (typeof exports === 'object' && exports !== null && typeof exports.nodeType !== 'number') {
    factory(exports, require('kaitai-struct/KaitaiStream'), require('./XenHvmContext'));
  } else {
    factory(root.XenLegacyLibxcImage || (root.XenLegacyLibxcImage = {}), root.KaitaiStream, root.XenHvmContext || (root.XenHvmContext = {}));
  }
})(typeof self !== 'undefined' ? self : this, function (XenLegacyLibxcImage_, KaitaiStream, XenHvmContext_) {
/**
 * The domain state as libxc saved it before Xen 4.6: no magic, no version
 * and no record framing. The reader must be told the width of the
 * toolstack's `unsigned long` (called a word here: 4 octets from a 32-bit
 * toolstack, 8 from a 64-bit one) and whether the guest is PV or HVM;
 * xensave works both out by trying each. PV images also need the number of
 * online vCPUs for their tail, which is the population count of the
 * VCPU_INFO map (Kaitai has no such operator, so the caller passes it).
 * 
 * This description covers one checkpoint (a saved file), then any further
 * checkpoints of a Remus stream. Once a body has had ENABLE_COMPRESSION
 * (-13), the page batches of every later body carry pfn words only; their
 * pages come in COMPRESSED_DATA (-12) chunks, each page encoded against the
 * receiver's earlier copy of it as an empty page, a full page, or runs of
 * copied and skipped 4-octet words (`compressed_page`).
 * 
 * Specification: spec/legacy.md (rules LEG-*); the doc-ref of each type
 * names its section there.
 * @see spec/legacy.md#overall-shape
 * @see {@link https://xenbits.xen.org/gitweb/?p=xen.git;a=blob;f=tools/python/xen/migration/legacy.py;hb=HEAD|Source}
 */

var XenLegacyLibxcImage = (function() {
  function XenLegacyLibxcImage(_io, _parent, _root, toolstackWidth, isHvm, numVcpus) {
    this._io = _io;
    this._parent = _parent;
    this._root = _root || this;
    this.toolstackWidth = toolstackWidth;
    this.isHvm = isHvm;
    this.numVcpus = numVcpus;

    this._read();
  }
  XenLegacyLibxcImage.prototype._read = function() {
    this.p2mSize = new Word(this._io, this, this._root);
    if (!(this.isHvm)) {
      this.extInfo = new ExtInfoList(this._io, this, this._root);
    }
    if (!(this.isHvm)) {
      this.p2mFrames = [];
      for (var i = 0; i < Math.floor(((this.p2mSize.value + this.pfnsPerFrame) - 1) / this.pfnsPerFrame); i++) {
        this.p2mFrames.push(new Word(this._io, this, this._root));
      }
    }
    this.firstCheckpoint = new Checkpoint(this._io, this, this._root, false);
    this.furtherCheckpoints = [];
    var i = 0;
    while (!this._io.isEof()) {
      this.furtherCheckpoints.push(new Checkpoint(this._io, this, this._root, (i == 0 ? this.firstCheckpoint.compressesNext : this.furtherCheckpoints[i - 1].compressesNext)));
      i++;
    }
  }

  /**
   * One body and its tail.
   * @see spec/legacy.md#body
   */

  var Checkpoint = XenLegacyLibxcImage.Checkpoint = (function() {
    function Checkpoint(_io, _parent, _root, isCompressed) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this.isCompressed = isCompressed;

      this._read();
    }
    Checkpoint.prototype._read = function() {
      this.body = [];
      var i = 0;
      do {
        var _ = new Chunk(this._io, this, this._root, this.isCompressed, (i == 0 ? false : this.body[i - 1].enablesCompression));
        this.body.push(_);
        i++;
      } while (!(_.chunkType == 0));
      if (!(this._root.isHvm)) {
        this.pvTail = new PvTail(this._io, this, this._root);
      }
      if (this._root.isHvm) {
        this.hvmTail = new HvmTail(this._io, this, this._root);
      }
    }

    /**
     * True when the bodies after this one are compressed.
     */
    Object.defineProperty(Checkpoint.prototype, 'compressesNext', {
      get: function() {
        if (this._m_compressesNext !== undefined)
          return this._m_compressesNext;
        this._m_compressesNext =  ((this.isCompressed) || (this.body[this.body.length - 1].enablesCompression)) ;
        return this._m_compressesNext;
      }
    });

    /**
     * The chunks, up to and including the one of type 0.
     */

    /**
     * The PV tail.
     */

    /**
     * The HVM tail.
     */

    /**
     * True when page batches carry no page data (a compressed Remus body).
     */

    return Checkpoint;
  })();

  /**
   * One chunk of the body.
   * @see spec/legacy.md#body
   */

  var Chunk = XenLegacyLibxcImage.Chunk = (function() {
    function Chunk(_io, _parent, _root, isCompressed, enabledBefore) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this.isCompressed = isCompressed;
      this.enabledBefore = enabledBefore;

      this._read();
    }
    Chunk.prototype._read = function() {
      this.chunkType = this._io.readS4le();
      if (!(this.chunkType >= -20)) {
        throw new KaitaiStream.ValidationLessThanError(-20, this.chunkType, this._io, "/types/chunk/seq/0");
      }
      if (!(this.chunkType <= 1024)) {
        throw new KaitaiStream.ValidationGreaterThanError(1024, this.chunkType, this._io, "/types/chunk/seq/0");
      }
      if (this.chunkType < 0) {
        switch (this.chunkType) {
        case -10:
          this.payload = new HvmParam(this._io, this, this._root);
          break;
        case -11:
          this.payload = new HvmParam(this._io, this, this._root);
          break;
        case -12:
          this.payload = new CompressedData(this._io, this, this._root);
          break;
        case -14:
          this.payload = new HvmParam(this._io, this, this._root);
          break;
        case -15:
          this.payload = new HvmParam(this._io, this, this._root);
          break;
        case -16:
          this.payload = new HvmParam(this._io, this, this._root);
          break;
        case -17:
          this.payload = new HvmParam(this._io, this, this._root);
          break;
        case -18:
          this.payload = new Toolstack(this._io, this, this._root);
          break;
        case -19:
          this.payload = new HvmParam(this._io, this, this._root);
          break;
        case -2:
          this.payload = new VcpuInfo(this._io, this, this._root);
          break;
        case -20:
          this.payload = new HvmParam(this._io, this, this._root);
          break;
        case -3:
          this.payload = new HvmParam(this._io, this, this._root);
          break;
        case -4:
          this.payload = new HvmParam(this._io, this, this._root);
          break;
        case -7:
          this.payload = new TscInfo(this._io, this, this._root);
          break;
        case -8:
          this.payload = new HvmParam(this._io, this, this._root);
          break;
        }
      }
      if (this.chunkType > 0) {
        this.batch = new PageBatch(this._io, this, this._root, this.chunkType, this.isCompressed);
      }
    }

    /**
     * True when this chunk or an earlier one of its body is ENABLE_COMPRESSION.
     */
    Object.defineProperty(Chunk.prototype, 'enablesCompression', {
      get: function() {
        if (this._m_enablesCompression !== undefined)
          return this._m_enablesCompression;
        this._m_enablesCompression =  ((this.enabledBefore) || (this.chunkType == -13)) ;
        return this._m_enablesCompression;
      }
    });

    /**
     * A page count (1 to 1024), 0 for the end of the body, or a chunk type.
     */

    /**
     * The payload of a negative chunk; none for -1, -9 and -13 (tmem, -5 and -6, is not described).
     */

    /**
     * A page batch.
     */

    /**
     * True when a page batch carries no page data.
     */

    /**
     * True when an earlier chunk of the same body was ENABLE_COMPRESSION.
     */

    return Chunk;
  })();

  /**
   * COMPRESSED_DATA (-12), compressed pages of a Remus body.
   * @see spec/legacy.md#remus-compression
   */

  var CompressedData = XenLegacyLibxcImage.CompressedData = (function() {
    function CompressedData(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    CompressedData.prototype._read = function() {
      this.lenData = new Word(this._io, this, this._root);
      this._raw_data = this._io.readBytes(this.lenData.value);
      var _io__raw_data = new KaitaiStream(this._raw_data);
      this.data = new CompressedPages(_io__raw_data, this, this._root);
    }

    /**
     * Octets of compressed data.
     */

    /**
     * Whole compressed pages, for the next data-bearing pfns announced.
     */

    return CompressedData;
  })();

  /**
   * One page, encoded against the receiver's copy of it: runs that cover
   * exactly 4096 octets, or the single octet of an empty (unchanged) or
   * full page.
   * @see spec/legacy.md#remus-compression
   */

  var CompressedPage = XenLegacyLibxcImage.CompressedPage = (function() {
    function CompressedPage(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    CompressedPage.prototype._read = function() {
      this.runs = [];
      var i = 0;
      do {
        var _ = new CompressedRun(this._io, this, this._root, (i == 0 ? 0 : this.runs[i - 1].pageEnd));
        this.runs.push(_);
        i++;
      } while (!(_.pageEnd >= 4096));
    }

    /**
     * The runs, in page order.
     */

    return CompressedPage;
  })();

  /**
   * The compressed pages of one COMPRESSED_DATA chunk.
   * @see spec/legacy.md#remus-compression
   */

  var CompressedPages = XenLegacyLibxcImage.CompressedPages = (function() {
    function CompressedPages(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    CompressedPages.prototype._read = function() {
      this.items = [];
      var i = 0;
      while (!this._io.isEof()) {
        this.items.push(new CompressedPage(this._io, this, this._root));
        i++;
      }
    }

    /**
     * The pages in order.
     */

    return CompressedPages;
  })();

  /**
   * One run of a compressed page.
   * @see spec/legacy.md#remus-compression
   */

  var CompressedRun = XenLegacyLibxcImage.CompressedRun = (function() {
    function CompressedRun(_io, _parent, _root, pageStart) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this.pageStart = pageStart;

      this._read();
    }
    CompressedRun.prototype._read = function() {
      this.head = this._io.readU1();
      this.data = this._io.readBytes((this.isCopy ? this.lenRun : 0));
    }

    /**
     * True when new data follows the head.
     */
    Object.defineProperty(CompressedRun.prototype, 'isCopy', {
      get: function() {
        if (this._m_isCopy !== undefined)
          return this._m_isCopy;
        this._m_isCopy =  ((this.isFullPage) || ( (((this.head & 128) == 0) && (!(this.isUnchangedPage))) )) ;
        return this._m_isCopy;
      }
    });

    /**
     * True for a full page (4096 octets follow).
     */
    Object.defineProperty(CompressedRun.prototype, 'isFullPage', {
      get: function() {
        if (this._m_isFullPage !== undefined)
          return this._m_isFullPage;
        this._m_isFullPage =  ((this.pageStart == 0) && (this.head == 128)) ;
        return this._m_isFullPage;
      }
    });

    /**
     * True for the one-octet mark of a page that did not change.
     */
    Object.defineProperty(CompressedRun.prototype, 'isUnchangedPage', {
      get: function() {
        if (this._m_isUnchangedPage !== undefined)
          return this._m_isUnchangedPage;
        this._m_isUnchangedPage =  ((this.pageStart == 0) && (this.head == 0)) ;
        return this._m_isUnchangedPage;
      }
    });

    /**
     * Octets of the page the run covers.
     */
    Object.defineProperty(CompressedRun.prototype, 'lenRun', {
      get: function() {
        if (this._m_lenRun !== undefined)
          return this._m_lenRun;
        this._m_lenRun = (this.isFullPage ? 4096 : (this.head & 127) * 4);
        return this._m_lenRun;
      }
    });

    /**
     * Offset in the page where this run ends.
     */
    Object.defineProperty(CompressedRun.prototype, 'pageEnd', {
      get: function() {
        if (this._m_pageEnd !== undefined)
          return this._m_pageEnd;
        this._m_pageEnd = ( ((this.isUnchangedPage) || (this.isFullPage))  ? 4096 : this.pageStart + this.lenRun);
        return this._m_pageEnd;
      }
    });

    /**
     * Bit 7: skip (1) or copy (0); bits 0-6: the run's length in 4-octet
     * words (1 to 127). As a page's only octet, 0x00 marks an unchanged
     * page and 0x80 a full page.
     */

    /**
     * The new contents of a copy run (of a full page, the whole page).
     */

    /**
     * Offset in the page where this run starts.
     */

    return CompressedRun;
  })();

  /**
   * The device-model record of the HVM tail.
   * @see spec/legacy.md#hvm-tail
   */

  var DeviceModel = XenLegacyLibxcImage.DeviceModel = (function() {
    function DeviceModel(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    DeviceModel.prototype._read = function() {
      this.signature = KaitaiStream.bytesToStr(this._io.readBytes(21), "ASCII");
      if (!( ((this.signature == "QemuDeviceModelRecord") || (this.signature == "DeviceModelRecord0002") || (this.signature == "RemusDeviceModelState")) )) {
        throw new KaitaiStream.ValidationNotAnyOfError(this.signature, this._io, "/types/device_model/seq/0");
      }
      if (this.signature != "QemuDeviceModelRecord") {
        this.lenData = this._io.readU4le();
      }
      this.data = this._io.readBytes((this.signature == "QemuDeviceModelRecord" ? this._io.size - this._io.pos : this.lenData));
    }

    /**
     * Says how the state is framed.
     */

    /**
     * Octets of state.
     */

    /**
     * qemu's state; to the end of the input for QemuDeviceModelRecord.
     */

    return DeviceModel;
  })();

  /**
   * One extended-info block.
   * @see spec/legacy.md#extended-info-pv-only
   */

  var ExtBlock = XenLegacyLibxcImage.ExtBlock = (function() {
    function ExtBlock(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    ExtBlock.prototype._read = function() {
      this.blockId = KaitaiStream.bytesToStr(this._io.readBytes(4), "ASCII");
      this.lenBody = this._io.readU4le();
      if (this.blockId == "xcnt") {
        this.xsaveSize = this._io.readU4le();
      }
      this.body = this._io.readBytes((this.blockId == "xcnt" ? this.lenBody - 4 : this.lenBody));
    }

    /**
     * `vcpu`, `extv` or `xcnt`.
     */

    /**
     * Octets of data.
     */

    /**
     * The data of an `xcnt` block: octets of each vCPU's XSAVE state in
     * the tail, its 16-octet header included.
     */

    /**
     * The data of the other blocks (vCPU 0's context for `vcpu`, nothing
     * for `extv`); after an `xcnt` block's u32, nothing.
     */

    return ExtBlock;
  })();

  /**
   * The extended-info blocks; Xen writes `vcpu`, `extv`, then `xcnt` when present.
   * @see spec/legacy.md#extended-info-pv-only
   */

  var ExtBlocks = XenLegacyLibxcImage.ExtBlocks = (function() {
    function ExtBlocks(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    ExtBlocks.prototype._read = function() {
      this.items = [];
      var i = 0;
      while (!this._io.isEof()) {
        this.items.push(new ExtBlock(this._io, this, this._root));
        i++;
      }
    }

    /**
     * The blocks in order.
     */

    return ExtBlocks;
  })();

  /**
   * The PV extended-info list. (Held by the field `ext_info`; a type may
   * not share its name in C#.)
   * @see spec/legacy.md#extended-info-pv-only
   */

  var ExtInfoList = XenLegacyLibxcImage.ExtInfoList = (function() {
    function ExtInfoList(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    ExtInfoList.prototype._read = function() {
      this.signature = this._io.readBytes(this._root.wordSize);
      if (!( (((KaitaiStream.byteArrayCompare(this.signature, new Uint8Array([255, 255, 255, 255])) == 0)) || ((KaitaiStream.byteArrayCompare(this.signature, new Uint8Array([255, 255, 255, 255, 255, 255, 255, 255])) == 0))) )) {
        throw new KaitaiStream.ValidationNotAnyOfError(this.signature, this._io, "/types/ext_info_list/seq/0");
      }
      this.lenBlocks = this._io.readU4le();
      this._raw_blocks = this._io.readBytes(this.lenBlocks);
      var _io__raw_blocks = new KaitaiStream(this._raw_blocks);
      this.blocks = new ExtBlocks(_io__raw_blocks, this, this._root);
    }

    /**
     * A toolstack word with every bit set (4 or 8 octets).
     */

    /**
     * Octets of the blocks that follow.
     */

    /**
     * The blocks, as one substream.
     */

    return ExtInfoList;
  })();

  /**
   * A chunk that carries one HVM parameter.
   * @see spec/legacy.md#body
   */

  var HvmParam = XenLegacyLibxcImage.HvmParam = (function() {
    function HvmParam(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    HvmParam.prototype._read = function() {
      this.padding = this._io.readU4le();
      if (!(this.padding == 0)) {
        throw new KaitaiStream.ValidationNotEqualError(0, this.padding, this._io, "/types/hvm_param/seq/0");
      }
      this.value = this._io.readU8le();
    }

    /**
     * Zero.
     */

    /**
     * The parameter's value.
     */

    return HvmParam;
  })();

  /**
   * The HVM tail.
   * @see spec/legacy.md#hvm-tail
   */

  var HvmTail = XenLegacyLibxcImage.HvmTail = (function() {
    function HvmTail(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    HvmTail.prototype._read = function() {
      this.ioreqPfn = this._io.readU8le();
      this.bufioreqPfn = this._io.readU8le();
      this.storePfn = this._io.readU8le();
      this.lenContext = this._io.readU4le();
      this._raw_context = this._io.readBytes(this.lenContext);
      var _io__raw_context = new KaitaiStream(this._raw_context);
      this.context = new XenHvmContext_.XenHvmContext(_io__raw_context, null, null);
      this.deviceModel = new DeviceModel(this._io, this, this._root);
    }

    /**
     * HVM parameter 5.
     */

    /**
     * HVM parameter 6.
     */

    /**
     * HVM parameter 1.
     */

    /**
     * Octets of HVM context.
     */

    /**
     * The HVM context blob (xen_hvm_context.ksy).
     */

    /**
     * The device model's state.
     */

    return HvmTail;
  })();

  /**
   * Pfn words, then one page for each word whose type carries data.
   * @see spec/legacy.md#page-batches
   */

  var PageBatch = XenLegacyLibxcImage.PageBatch = (function() {
    function PageBatch(_io, _parent, _root, numPfnWords, isCompressed) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;
      this.numPfnWords = numPfnWords;
      this.isCompressed = isCompressed;

      this._read();
    }
    PageBatch.prototype._read = function() {
      this.pfnWords = [];
      for (var i = 0; i < this.numPfnWords; i++) {
        this.pfnWords.push(new Word(this._io, this, this._root));
      }
      this.pages = [];
      for (var i = 0; i < this.pfnWords.length; i++) {
        this.pages.push(new PageSlot(this._io, this, this._root, i));
      }
    }

    /**
     * The page data (if any) belonging to one pfn word.
     * @see spec/legacy.md#page-batches
     */

    var PageSlot = PageBatch.PageSlot = (function() {
      function PageSlot(_io, _parent, _root, i) {
        this._io = _io;
        this._parent = _parent;
        this._root = _root;
        this.i = i;

        this._read();
      }
      PageSlot.prototype._read = function() {
        this.contents = this._io.readBytes(( ((this.hasData) && (!(this._parent.isCompressed)))  ? 4096 : 0));
      }

      /**
       * True unless the type is 13 (broken), 14 (allocate only) or 15 (invalid).
       */
      Object.defineProperty(PageSlot.prototype, 'hasData', {
        get: function() {
          if (this._m_hasData !== undefined)
            return this._m_hasData;
          this._m_hasData = (this._parent.pfnWords[this.i].value >>> 28 & 15) < 13;
          return this._m_hasData;
        }
      });

      /**
       * The page contents, or nothing.
       */

      /**
       * Index of the pfn word.
       */

      return PageSlot;
    })();

    /**
     * Page type in bits 28-31, pfn in bits 0-27.
     */

    /**
     * One slot per pfn word, in order: 4096 octets of page contents for a
     * word whose type carries data, nothing for the others.
     */

    /**
     * Words in the batch.
     */

    /**
     * True when the pages come later, compressed.
     */

    return PageBatch;
  })();

  /**
   * The PV tail.
   * @see spec/legacy.md#pv-tail
   */

  var PvTail = XenLegacyLibxcImage.PvTail = (function() {
    function PvTail(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    PvTail.prototype._read = function() {
      this.numUnmapped = this._io.readU4le();
      this.unmapped = [];
      for (var i = 0; i < this.numUnmapped; i++) {
        this.unmapped.push(new Word(this._io, this, this._root));
      }
      this.vcpus = [];
      for (var i = 0; i < this._root.numVcpus; i++) {
        this.vcpus.push(new VcpuState(this._io, this, this._root));
      }
      this.sharedInfo = this._io.readBytes(4096);
    }

    /**
     * Pfns the guest gave back.
     */

    /**
     * Those pfns.
     */

    /**
     * The state of each online vCPU, in ascending id order.
     */

    /**
     * The shared info page.
     */

    return PvTail;
  })();

  /**
   * TOOLSTACK (-18), data for the toolstack.
   * @see spec/legacy.md#body
   */

  var Toolstack = XenLegacyLibxcImage.Toolstack = (function() {
    function Toolstack(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    Toolstack.prototype._read = function() {
      this.lenData = this._io.readU4le();
      this.data = this._io.readBytes(this.lenData);
    }

    /**
     * Octets of data.
     */

    /**
     * The data; libxl's is described by xen_legacy_libxl_toolstack.ksy.
     */

    return Toolstack;
  })();

  /**
   * TSC_INFO (-7).
   * @see spec/legacy.md#body
   */

  var TscInfo = XenLegacyLibxcImage.TscInfo = (function() {
    function TscInfo(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    TscInfo.prototype._read = function() {
      this.mode = this._io.readU4le();
      this.nsec = this._io.readU8le();
      this.khz = this._io.readU4le();
      this.incarnation = this._io.readU4le();
    }

    /**
     * The TSC mode (0 to 3).
     */

    /**
     * Elapsed nanoseconds.
     */

    /**
     * TSC frequency in kHz.
     */

    /**
     * Times the TSC has been migrated.
     */

    return TscInfo;
  })();

  /**
   * VCPU_INFO (-2), the online-vCPU map.
   * @see spec/legacy.md#body
   */

  var VcpuInfo = XenLegacyLibxcImage.VcpuInfo = (function() {
    function VcpuInfo(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    VcpuInfo.prototype._read = function() {
      this.maxVcpuId = this._io.readS4le();
      this.vcpuMap = [];
      for (var i = 0; i < Math.floor(this.maxVcpuId / 64) + 1; i++) {
        this.vcpuMap.push(this._io.readU8le());
      }
    }

    /**
     * The highest vCPU id.
     */

    /**
     * Bit v of word v / 64 is set when vCPU v is online.
     */

    return VcpuInfo;
  })();

  /**
   * One vCPU's state in the PV tail.
   * @see spec/legacy.md#pv-tail
   */

  var VcpuState = XenLegacyLibxcImage.VcpuState = (function() {
    function VcpuState(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    VcpuState.prototype._read = function() {
      this.context = this._io.readBytes(this._root.vcpuSize);
      if (this._root.hasExtv) {
        this.extended = this._io.readBytes(128);
      }
      if (this._root.xsaveSize != 0) {
        this.xsave = this._io.readBytes(this._root.xsaveSize);
      }
    }

    /**
     * The vcpu_guest_context.
     */

    /**
     * The extended context.
     */

    /**
     * u64 feature mask, u64 size, then the XSAVE area.
     */

    return VcpuState;
  })();

  /**
   * One toolstack `unsigned long`.
   * @see spec/legacy.md#header
   */

  var Word = XenLegacyLibxcImage.Word = (function() {
    function Word(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    Word.prototype._read = function() {
      switch (this._root.toolstackWidth) {
      case 32:
        this.value = this._io.readU4le();
        break;
      case 64:
        this.value = this._io.readU8le();
        break;
      }
    }

    /**
     * The word's value.
     */

    return Word;
  })();

  /**
   * Octets in one guest word, from the vCPU context size.
   */
  Object.defineProperty(XenLegacyLibxcImage.prototype, 'guestWidth', {
    get: function() {
      if (this._m_guestWidth !== undefined)
        return this._m_guestWidth;
      this._m_guestWidth = (this.vcpuSize == 5168 ? 8 : 4);
      return this._m_guestWidth;
    }
  });

  /**
   * True when each vCPU of the tail has a 128-octet extended context.
   */
  Object.defineProperty(XenLegacyLibxcImage.prototype, 'hasExtv', {
    get: function() {
      if (this._m_hasExtv !== undefined)
        return this._m_hasExtv;
      this._m_hasExtv =  ((!(this.isHvm)) && (this.extInfo.blocks.items.length > 1) && (this.extInfo.blocks.items[1].blockId == "extv")) ;
      return this._m_hasExtv;
    }
  });

  /**
   * p2m entries held by one page of the p2m table.
   */
  Object.defineProperty(XenLegacyLibxcImage.prototype, 'pfnsPerFrame', {
    get: function() {
      if (this._m_pfnsPerFrame !== undefined)
        return this._m_pfnsPerFrame;
      this._m_pfnsPerFrame = Math.floor(4096 / this.guestWidth);
      return this._m_pfnsPerFrame;
    }
  });

  /**
   * Octets of one vCPU context, from the `vcpu` block (Xen writes it first).
   */
  Object.defineProperty(XenLegacyLibxcImage.prototype, 'vcpuSize', {
    get: function() {
      if (this._m_vcpuSize !== undefined)
        return this._m_vcpuSize;
      this._m_vcpuSize = (this.isHvm ? 0 : this.extInfo.blocks.items[0].lenBody);
      return this._m_vcpuSize;
    }
  });

  /**
   * Octets in one toolstack word.
   */
  Object.defineProperty(XenLegacyLibxcImage.prototype, 'wordSize', {
    get: function() {
      if (this._m_wordSize !== undefined)
        return this._m_wordSize;
      this._m_wordSize = (this.toolstackWidth == 32 ? 4 : 8);
      return this._m_wordSize;
    }
  });

  /**
   * Octets of each vCPU's XSAVE state in the tail, 0 when none.
   */
  Object.defineProperty(XenLegacyLibxcImage.prototype, 'xsaveSize', {
    get: function() {
      if (this._m_xsaveSize !== undefined)
        return this._m_xsaveSize;
      this._m_xsaveSize = ( ((!(this.isHvm)) && (this.extInfo.blocks.items.length > 2) && (this.extInfo.blocks.items[2].blockId == "xcnt"))  ? this.extInfo.blocks.items[2].xsaveSize : 0);
      return this._m_xsaveSize;
    }
  });

  /**
   * Entries of the guest's pfn-to-machine table; every pfn in the image is below it.
   */

  /**
   * The extended-info block list (PV only).
   */

  /**
   * The pfn of each page of the guest's p2m table (PV only).
   */

  /**
   * The body and tail of the (only, for a saved file) checkpoint.
   */

  /**
   * Further checkpoints of a Remus stream; each is compressed when an
   * earlier body had ENABLE_COMPRESSION.
   */

  /**
   * 32 or 64, the bit width of the saving toolstack's words.
   */

  /**
   * True for an HVM guest, false for a PV guest.
   */

  /**
   * Online vCPUs of a PV guest (set bits of the VCPU_INFO map, 1 without
   * one); ignored for HVM.
   */

  return XenLegacyLibxcImage;
})();
XenLegacyLibxcImage_.XenLegacyLibxcImage = XenLegacyLibxcImage;
});
