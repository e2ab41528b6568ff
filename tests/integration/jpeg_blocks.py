"""A tiny baseline JPEG encoder for test images whose 8x8 blocks are each one grey level,
written from the JPEG standard (ITU T.81) so that tests do not trust the code under test:
one component, a quantisation table of ones, DC coefficients only. A decoder reproduces such
an image exactly (the IDCT of a DC-only block is flat), so the mean luma of the decoded
image is known exactly: mean_level(). Levels must be 0..255."""

# The standard's example luminance DC Huffman table (K.3): code lengths 1..16 and symbols.
DC_BITS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
DC_VALS = list(range(12))
# An AC table with the one symbol used: EOB (0x00), one bit long.
AC_BITS = [1] + [0] * 15
AC_VALS = [0x00]


def huffman_codes(bits, vals):
    codes, code, k = {}, 0, 0
    for length in range(1, 17):
        for _ in range(bits[length - 1]):
            codes[vals[k]] = (code, length)
            code += 1
            k += 1
        code <<= 1
    return codes


class BitWriter:
    def __init__(self):
        self.out = bytearray()
        self.acc = 0
        self.n = 0

    def write(self, value, length):
        for i in range(length - 1, -1, -1):
            self.acc = (self.acc << 1) | ((value >> i) & 1)
            self.n += 1
            if self.n == 8:
                self.out.append(self.acc)
                if self.acc == 0xFF:
                    self.out.append(0x00)  # byte stuffing
                self.acc, self.n = 0, 0

    def finish(self):
        if self.n:
            self.write((1 << (8 - self.n)) - 1, 8 - self.n)  # pad with ones
        return bytes(self.out)


def segment(marker, payload):
    return bytes([0xFF, marker]) + (len(payload) + 2).to_bytes(2, "big") + payload


def encode(width, height, level_of_block):
    """A greyscale baseline JPEG; level_of_block(bx, by) gives the grey level of the 8x8 block
    at block column bx and block row by."""
    dc_codes = huffman_codes(DC_BITS, DC_VALS)
    ac_codes = huffman_codes(AC_BITS, AC_VALS)
    out = bytearray(b"\xFF\xD8")
    out += segment(0xDB, bytes([0x00]) + bytes([1] * 64))
    out += segment(0xC0, bytes([8]) + height.to_bytes(2, "big") + width.to_bytes(2, "big")
                   + bytes([1, 1, 0x11, 0]))
    out += segment(0xC4, bytes([0x00]) + bytes(DC_BITS) + bytes(DC_VALS))
    out += segment(0xC4, bytes([0x10]) + bytes(AC_BITS) + bytes(AC_VALS))
    out += segment(0xDA, bytes([1, 1, 0x00, 0, 63, 0]))
    bw = BitWriter()
    previous = 0
    for by in range((height + 7) // 8):
        for bx in range((width + 7) // 8):
            dc = (level_of_block(bx, by) - 128) * 8  # the DCT's DC term of a flat block
            diff = dc - previous
            previous = dc
            size = abs(diff).bit_length()
            code, length = dc_codes[size]
            bw.write(code, length)
            if size:
                bw.write(diff if diff > 0 else diff + (1 << size) - 1, size)
            code, length = ac_codes[0x00]
            bw.write(code, length)
    out += bw.finish()
    out += b"\xFF\xD9"
    return bytes(out)


def mean_level(width, height, level_of_block):
    total = 0
    for y in range(height):
        for bx in range((width + 7) // 8):
            n = min(8, width - bx * 8)
            total += n * level_of_block(bx, y // 8)
    return total / (width * height)
