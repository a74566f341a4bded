#!/usr/bin/python3
"""Write the seed corpora for fuzz/fuzz_dicom_parse.c and
fuzz/fuzz_dicom_pixels.c: small synthetic Part 10 files covering every
transfer syntax and structure the parser handles. Standard library only.

Usage: gen_dicom_fuzz_seeds.py [fuzz/corpus]
"""
import os
import struct
import sys
import zlib

IMPLICIT = "1.2.840.10008.1.2"
EXPLICIT = "1.2.840.10008.1.2.1"
DEFLATED = "1.2.840.10008.1.2.1.99"
BIG = "1.2.840.10008.1.2.2"
RLE = "1.2.840.10008.1.2.5"
JPEG = "1.2.840.10008.1.2.4.50"
RT_DOSE = "1.2.840.10008.5.1.4.1.1.481.2"
LONG_VRS = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR",
            "UT", "UV"}
UNDEFINED = 0xFFFFFFFF


class Enc:
    def __init__(self, explicit=True, big=False):
        self.explicit, self.big, self.out = explicit, big, bytearray()

    def u16(self, v):
        self.out += struct.pack(">H" if self.big else "<H", v)

    def u32(self, v):
        self.out += struct.pack(">I" if self.big else "<I", v)

    def header(self, group, element, vr, length):
        self.u16(group)
        self.u16(element)
        if not self.explicit or group == 0xFFFE:
            self.u32(length)
        elif vr in LONG_VRS:
            self.out += vr.encode() + b"\0\0"
            self.u32(length)
        else:
            self.out += vr.encode()
            self.u16(length)

    def text(self, group, element, vr, s):
        b = s.encode()
        if len(b) % 2:
            b += b"\0" if vr == "UI" else b" "
        self.header(group, element, vr, len(b))
        self.out += b

    def binary(self, group, element, vr, fmt, values):
        b = struct.pack((">" if self.big else "<") + fmt * len(values), *values)
        self.header(group, element, vr, len(b))
        self.out += b

    def item(self, element, length=0):
        self.u16(0xFFFE)
        self.u16(element)
        self.u32(length)


def part10(ts, body):
    meta = Enc()
    meta.text(0x0002, 0x0002, "UI", RT_DOSE)
    meta.text(0x0002, 0x0003, "UI", "1.2.3.4")
    meta.text(0x0002, 0x0010, "UI", ts)
    head = Enc()
    head.binary(0x0002, 0x0000, "UL", "I", [len(meta.out)])
    return bytes(128) + b"DICM" + bytes(head.out) + bytes(meta.out) + body


def image(e, rows, cols, frames, samples, bits):
    e.text(0x0008, 0x0016, "UI", RT_DOSE)
    e.text(0x0008, 0x0018, "UI", "1.2.3.4")
    e.binary(0x0028, 0x0002, "US", "H", [samples])
    e.text(0x0028, 0x0004, "CS", "RGB" if samples == 3 else "MONOCHROME2")
    if samples > 1:
        e.binary(0x0028, 0x0006, "US", "H", [0])
    e.text(0x0028, 0x0008, "IS", str(frames))
    e.binary(0x0028, 0x0009, "AT", "H", [0x3004, 0x000C])
    e.binary(0x0028, 0x0010, "US", "H", [rows])
    e.binary(0x0028, 0x0011, "US", "H", [cols])
    e.binary(0x0028, 0x0100, "US", "H", [bits])
    e.binary(0x0028, 0x0101, "US", "H", [bits])
    e.binary(0x0028, 0x0102, "US", "H", [bits - 1])
    e.binary(0x0028, 0x0103, "US", "H", [0])
    e.text(0x3004, 0x000C, "DS", "\\".join(str(2.5 * i) for i in range(frames)))
    e.text(0x3004, 0x000E, "DS", "1.5e-5")


def plan_body(e):
    e.text(0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.481.5")
    e.text(0x0010, 0x0010, "PN", "Doe^Jane")
    e.binary(0x0020, 0x0032, "FD", "d", [1.5, -2.0, 3.25])
    e.header(0x300A, 0x00B0, "SQ", UNDEFINED)
    e.item(0xE000, UNDEFINED)
    e.text(0x300A, 0x00B2, "SH", "Beam 1")
    e.header(0x300A, 0x0111, "SQ", 18)
    e.item(0xE000, 10)
    e.text(0x300A, 0x0112, "IS", "0")
    e.item(0xE00D)
    e.item(0xE000, 10)
    e.text(0x300A, 0x00B2, "SH", "B2")
    e.item(0xE0DD)
    return bytes(e.out)


def native(rows, cols, frames, samples, bits, big=False, explicit=True):
    e = Enc(explicit, big)
    image(e, rows, cols, frames, samples, bits)
    n = rows * cols * frames * samples
    fmt = {8: "B", 16: "H", 32: "I"}[bits]
    values = [(i * 2654435761) % (1 << bits) for i in range(n)]
    data = struct.pack((">" if big else "<") + fmt * n, *values)
    if len(data) % 2:
        data += b"\0"
    e.header(0x7FE0, 0x0010, "OW" if bits > 8 else "OB", len(data))
    e.out += data
    return bytes(e.out)


def packbits(plane):
    out, i = bytearray(), 0
    while i < len(plane):
        run = 1
        while i + run < len(plane) and run < 128 and plane[i + run] == plane[i]:
            run += 1
        if run >= 3:
            out += bytes([257 - run, plane[i]])
            i += run
            continue
        lit = min(128, len(plane) - i)
        out += bytes([lit - 1]) + bytes(plane[i:i + lit])
        i += lit
    return out


def rle_frame(values, samples, nbytes):
    segments = []
    for s in range(samples):
        for b in range(nbytes - 1, -1, -1):
            seg = packbits([(v[s] >> (8 * b)) & 0xFF for v in values])
            if len(seg) % 2:
                seg += b"\x80"
            segments.append(seg)
    offsets, at = [], 64
    for seg in segments:
        offsets.append(at)
        at += len(seg)
    header = struct.pack("<16I", len(segments), *(offsets + [0] * (15 - len(offsets))))
    return header + b"".join(segments)


def rle(rows, cols, frames, samples, bits):
    e = Enc()
    image(e, rows, cols, frames, samples, bits)
    e.header(0x7FE0, 0x0010, "OB", UNDEFINED)
    e.item(0xE000, 0)
    n = rows * cols
    for f in range(frames):
        values = [[(f * 977 + i * 31 + s * 7) % (1 << bits) if i % 5 else 0
                   for s in range(samples)] for i in range(n)]
        frame = rle_frame(values, samples, bits // 8)
        e.item(0xE000, len(frame))
        e.out += frame
    e.item(0xE0DD)
    return bytes(e.out)


def seeds():
    parse = {
        "explicit_le_sequences.dcm": part10(EXPLICIT, plan_body(Enc())),
        "implicit_le_no_meta.dcm": plan_body(Enc(explicit=False)),
        "implicit_le_meta.dcm": part10(IMPLICIT, plan_body(Enc(explicit=False))),
        "explicit_be.dcm": part10(BIG, plan_body(Enc(big=True))),
        "deflated.dcm": part10(DEFLATED, zlib.compress(plan_body(Enc()), 9)[2:-4]),
        "explicit_no_preamble.dcm": plan_body(Enc()),
    }
    jpeg = Enc()
    image(jpeg, 2, 2, 1, 1, 8)
    jpeg.header(0x7FE0, 0x0010, "OB", UNDEFINED)
    jpeg.item(0xE000, 0)
    jpeg.item(0xE000, 4)
    jpeg.out += b"\xff\xd8\xff\xd9"
    jpeg.item(0xE0DD)
    parse["jpeg_encapsulated.dcm"] = part10(JPEG, bytes(jpeg.out))
    un = Enc()
    un.text(0x0008, 0x0016, "UI", RT_DOSE)
    un.text(0x0009, 0x0010, "LO", "ACME")
    un.header(0x0009, 0x1001, "UN", UNDEFINED)
    un.item(0xE000, UNDEFINED)
    inner = Enc(explicit=False)
    inner.text(0x0009, 0x1002, "UN", "XY")
    un.out += inner.out
    un.item(0xE00D)
    un.item(0xE0DD)
    un.header(0x3004, 0x000E, "UN", 4)
    un.out += b"0.5 "
    parse["un_sequences.dcm"] = part10(EXPLICIT, bytes(un.out))
    pixels = {
        "native_16bit_2frames.dcm": part10(EXPLICIT, native(3, 4, 2, 1, 16)),
        "native_32bit_be.dcm": part10(BIG, native(2, 3, 2, 1, 32, big=True)),
        "native_8bit_rgb_implicit.dcm":
            part10(IMPLICIT, native(3, 3, 1, 3, 8, explicit=False)),
        "rle_16bit_2frames.dcm": part10(RLE, rle(4, 5, 2, 1, 16)),
        "rle_32bit.dcm": part10(RLE, rle(3, 4, 1, 1, 32)),
        "rle_8bit_rgb.dcm": part10(RLE, rle(4, 4, 1, 3, 8)),
    }
    parse["rle_16bit_2frames.dcm"] = pixels["rle_16bit_2frames.dcm"]
    return {"dicom_parse": parse, "dicom_pixels": pixels}


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "fuzz", "corpus")
    for target, files in seeds().items():
        folder = os.path.join(root, target)
        os.makedirs(folder, exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
