// A stand-in for the Kaitai Struct C# runtime (NuGet: KaitaiStruct.Runtime.CSharp),
// written for this project: only the names and signatures the C# that
// kaitai-struct-compiler 0.11 generates from ksy/ calls, and no behaviour (every
// body throws). `node generators/ksc.js --all-targets --out DIR --compile-csharp`
// compiles DIR/csharp against it with mcs, so that a name clash, a type error or
// a missing cast in the generated C# fails the regen environment without
// fetching the runtime from NuGet. The signatures follow the runtime's public
// API; where the generated code needs one this file lacks, add it here.
using System;

namespace Kaitai
{
    public class KaitaiStream
    {
        public KaitaiStream(byte[] bytes) { throw Stub(); }
        public KaitaiStream(string fileName) { throw Stub(); }

        public bool IsEof { get { throw Stub(); } }
        public long Pos { get { throw Stub(); } }
        public long Size { get { throw Stub(); } }
        public void Seek(long position) { throw Stub(); }
        public void AlignToByte() { throw Stub(); }

        public sbyte ReadS1() { throw Stub(); }
        public short ReadS2be() { throw Stub(); }
        public int ReadS4be() { throw Stub(); }
        public long ReadS8be() { throw Stub(); }
        public short ReadS2le() { throw Stub(); }
        public int ReadS4le() { throw Stub(); }
        public long ReadS8le() { throw Stub(); }
        public byte ReadU1() { throw Stub(); }
        public ushort ReadU2be() { throw Stub(); }
        public uint ReadU4be() { throw Stub(); }
        public ulong ReadU8be() { throw Stub(); }
        public ushort ReadU2le() { throw Stub(); }
        public uint ReadU4le() { throw Stub(); }
        public ulong ReadU8le() { throw Stub(); }
        public ulong ReadBitsIntBe(int n) { throw Stub(); }
        public ulong ReadBitsIntLe(int n) { throw Stub(); }

        public byte[] ReadBytes(long count) { throw Stub(); }
        public byte[] ReadBytes(ulong count) { throw Stub(); }
        public byte[] ReadBytesFull() { throw Stub(); }
        public byte[] ReadBytesTerm(byte terminator, bool includeTerminator, bool consumeTerminator, bool eosError) { throw Stub(); }

        public static byte[] BytesTerminate(byte[] data, byte terminator, bool includeTerminator) { throw Stub(); }
        public static int Mod(int a, int b) { throw Stub(); }
        public static long Mod(long a, long b) { throw Stub(); }
        public static int ByteArrayCompare(byte[] a, byte[] b) { throw Stub(); }

        internal static Exception Stub() { return new NotSupportedException("compile-only stub of the Kaitai C# runtime"); }
    }

    public abstract class KaitaiStruct
    {
        protected KaitaiStream m_io;
        public KaitaiStream M_Io { get { return m_io; } }
        public KaitaiStruct(KaitaiStream io) { m_io = io; }
    }

    public class UndecidedEndiannessError : Exception
    {
        public UndecidedEndiannessError() { }
        public UndecidedEndiannessError(string message) : base(message) { }
    }

    public class ValidationFailedError : Exception
    {
        public ValidationFailedError(string message, KaitaiStream io, string srcPath) : base(message) { }
    }

    public class ValidationNotEqualError : ValidationFailedError
    {
        public ValidationNotEqualError(byte[] expected, byte[] actual, KaitaiStream io, string srcPath) : base("not equal", io, srcPath) { }
        public ValidationNotEqualError(object expected, object actual, KaitaiStream io, string srcPath) : base("not equal", io, srcPath) { }
    }

    public class ValidationLessThanError : ValidationFailedError
    {
        public ValidationLessThanError(object min, object actual, KaitaiStream io, string srcPath) : base("less than min", io, srcPath) { }
    }

    public class ValidationGreaterThanError : ValidationFailedError
    {
        public ValidationGreaterThanError(object max, object actual, KaitaiStream io, string srcPath) : base("greater than max", io, srcPath) { }
    }

    public class ValidationNotAnyOfError : ValidationFailedError
    {
        public ValidationNotAnyOfError(object actual, KaitaiStream io, string srcPath) : base("not any of", io, srcPath) { }
    }

    public class ValidationNotInEnumError : ValidationFailedError
    {
        public ValidationNotInEnumError(object actual, KaitaiStream io, string srcPath) : base("not in enum", io, srcPath) { }
    }
}
