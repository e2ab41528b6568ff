#include "kafka/protocol/compression.h"

#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>

#include "common/byte_order.h"
#include "kafka/protocol/wire.h"

namespace sluice::kafka {
namespace {

constexpr size_t kChunk = 64 * 1024;

[[noreturn]] void fail(std::string_view codec, std::string_view what) {
  throw DecodeError(std::string(codec) + ": " + std::string(what));
}

/// Output buffer that grows by chunks and refuses to hold more than max + 1 bytes, so that
/// "the codec produced one byte too many" is detectable without trusting any header.
class BoundedOutput {
 public:
  BoundedOutput(std::string_view codec, size_t max) : codec_(codec), max_(max) {}

  /// Makes room for the codec's next write; returns where and how much.
  std::pair<char*, size_t> reserve() {
    check();
    // Room for up to one byte past the limit (max_ may be SIZE_MAX: no overflow here).
    size_t left = max_ - used_;
    size_t room = left >= kChunk ? kChunk : left + 1;
    if (buf_.size() < used_ + room) buf_.resize(std::max(used_ + room, buf_.size() * 2));
    return {buf_.data() + used_, room};
  }
  void commit(size_t n) {
    used_ += n;
    check();
  }
  /// Appends `n` bytes written by `write(dst)`, after checking that they fit.
  template <class Fn>
  void append_exact(size_t n, Fn&& write) {
    if (n > max_ - used_) bomb();
    if (buf_.size() < used_ + n) buf_.resize(std::max(used_ + n, buf_.size() * 2));
    write(buf_.data() + used_);
    used_ += n;
  }
  size_t size() const { return used_; }
  std::string take() {
    buf_.resize(used_);
    return std::move(buf_);
  }

 private:
  void check() const {
    if (used_ > max_) bomb();
  }
  [[noreturn]] void bomb() const {
    fail(codec_, "decompressed size exceeds the limit of " + std::to_string(max_) + " bytes");
  }
  std::string_view codec_;
  size_t max_;
  size_t used_ = 0;
  std::string buf_;
};

// ---- gzip -------------------------------------------------------------------------------

bool is_gzip_magic(const uint8_t* p, size_t n) { return n >= 2 && p[0] == 0x1f && p[1] == 0x8b; }

std::string gzip_compress(std::string_view in) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::bad_alloc();
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, deflateEnd);
  std::string out;
  out.resize(deflateBound(&zs, uLong(in.size())) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  size_t in_left = in.size();
  size_t out_pos = 0;
  for (;;) {
    uInt in_step = uInt(std::min<size_t>(in_left, UINT_MAX / 2));
    zs.avail_in = in_step;
    if (out.size() - out_pos < 64) out.resize(out.size() * 2 + 64);
    uInt out_step = uInt(std::min<size_t>(out.size() - out_pos, UINT_MAX / 2));
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + out_pos);
    zs.avail_out = out_step;
    int flush = in_step == in_left ? Z_FINISH : Z_NO_FLUSH;
    int rc = deflate(&zs, flush);
    in_left -= in_step - zs.avail_in;
    out_pos += out_step - zs.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) throw std::runtime_error("gzip: deflate failed");
  }
  out.resize(out_pos);
  return out;
}

std::string gzip_decompress(std::string_view in, size_t max) {
  z_stream zs{};
  // 15 + 32: accept a gzip or a zlib header.
  if (inflateInit2(&zs, 15 + 32) != Z_OK) throw std::bad_alloc();
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, inflateEnd);
  BoundedOutput out("gzip", max);
  auto* next = reinterpret_cast<const uint8_t*>(in.data());
  size_t in_left = in.size();
  for (;;) {
    auto [dst, room] = out.reserve();
    uInt in_step = uInt(std::min<size_t>(in_left, UINT_MAX / 2));
    zs.next_in = const_cast<Bytef*>(next);
    zs.avail_in = in_step;
    zs.next_out = reinterpret_cast<Bytef*>(dst);
    zs.avail_out = uInt(room);
    int rc = inflate(&zs, Z_NO_FLUSH);
    size_t consumed = in_step - zs.avail_in;
    next += consumed;
    in_left -= consumed;
    out.commit(room - zs.avail_out);
    if (rc == Z_STREAM_END) {
      if (in_left == 0) break;
      // Java's GZIPInputStream reads concatenated members; so do we. Anything else is junk.
      if (!is_gzip_magic(next, in_left)) fail("gzip", "trailing bytes after the stream");
      if (inflateReset(&zs) != Z_OK) fail("gzip", "reset failed");
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR) {
      if (zs.avail_out == 0) continue;  // output full; reserve() decides if that is too much
      fail("gzip", "truncated stream");
    }
    fail("gzip", zs.msg ? zs.msg : "corrupt stream");
  }
  return out.take();
}

// ---- snappy (xerial framing, or one raw block) ------------------------------------------

constexpr char kXerialMagic[8] = {'\x82', 'S', 'N', 'A', 'P', 'P', 'Y', '\0'};
constexpr size_t kXerialHeaderSize = 16;  // magic, int32 version, int32 compatible version
constexpr size_t kXerialChunk = 32 * 1024;

void snappy_block(std::string_view block, BoundedOutput& out) {
  size_t n = 0;
  if (!snappy::GetUncompressedLength(block.data(), block.size(), &n))
    fail("snappy", "corrupt block length");
  out.append_exact(n, [&](char* dst) {
    if (!snappy::RawUncompress(block.data(), block.size(), dst)) fail("snappy", "corrupt block");
  });
}

std::string snappy_compress(std::string_view in) {
  std::string out(kXerialMagic, sizeof kXerialMagic);
  char ver[8];
  store_be<int32_t>(ver, 1);
  store_be<int32_t>(ver + 4, 1);
  out.append(ver, sizeof ver);
  for (size_t pos = 0; pos < in.size(); pos += kXerialChunk) {
    size_t n = std::min(kXerialChunk, in.size() - pos);
    size_t at = out.size();
    out.resize(at + 4 + snappy::MaxCompressedLength(n));
    size_t written = 0;
    snappy::RawCompress(in.data() + pos, n, out.data() + at + 4, &written);
    store_be<int32_t>(out.data() + at, int32_t(written));
    out.resize(at + 4 + written);
  }
  return out;
}

std::string snappy_decompress(std::string_view in, size_t max) {
  BoundedOutput out("snappy", max);
  if (in.size() >= kXerialHeaderSize && std::memcmp(in.data(), kXerialMagic, 8) == 0) {
    size_t pos = kXerialHeaderSize;
    while (pos < in.size()) {
      if (in.size() - pos < 4) fail("snappy", "truncated chunk length");
      int32_t len = load_be<int32_t>(in.data() + pos);
      pos += 4;
      if (len < 0 || size_t(len) > in.size() - pos) fail("snappy", "chunk length out of bounds");
      snappy_block(in.substr(pos, size_t(len)), out);
      pos += size_t(len);
    }
  } else {
    snappy_block(in, out);
  }
  return out.take();
}

// ---- lz4 frame --------------------------------------------------------------------------

uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

/// XXH32, which the LZ4 frame header checksum uses (liblz4 does not export it).
uint32_t xxh32(const uint8_t* p, size_t len, uint32_t seed) {
  constexpr uint32_t P1 = 2654435761U, P2 = 2246822519U, P3 = 3266489917U, P4 = 668265263U,
                     P5 = 374761393U;
  auto le32 = [](const uint8_t* q) {
    return uint32_t(q[0]) | uint32_t(q[1]) << 8 | uint32_t(q[2]) << 16 | uint32_t(q[3]) << 24;
  };
  auto round = [&](uint32_t acc, uint32_t input) { return rotl32(acc + input * P2, 13) * P1; };
  const uint8_t* end = p + len;
  uint32_t h;
  if (len >= 16) {
    uint32_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
    while (end - p >= 16) {
      v1 = round(v1, le32(p));
      v2 = round(v2, le32(p + 4));
      v3 = round(v3, le32(p + 8));
      v4 = round(v4, le32(p + 12));
      p += 16;
    }
    h = rotl32(v1, 1) + rotl32(v2, 7) + rotl32(v3, 12) + rotl32(v4, 18);
  } else {
    h = seed + P5;
  }
  h += uint32_t(len);
  for (; end - p >= 4; p += 4) h = rotl32(h + le32(p) * P3, 17) * P4;
  for (; p < end; ++p) h = rotl32(h + *p * P5, 11) * P1;
  h ^= h >> 15;
  h *= P2;
  h ^= h >> 13;
  h *= P3;
  h ^= h >> 16;
  return h;
}

constexpr uint32_t kLz4Magic = 0x184D2204;

/// Copies the frame header with a correct HC byte, for frames written by Kafka's v0 code
/// (which hashed the magic too). Returns the header size, or 0 if it is not a frame header
/// we can fix (LZ4F will then report the error itself).
size_t fix_lz4_header_checksum(std::string_view in, uint8_t (&hdr)[LZ4F_HEADER_SIZE_MAX]) {
  if (in.size() < 7) return 0;
  auto* p = reinterpret_cast<const uint8_t*>(in.data());
  uint32_t magic = uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
  if (magic != kLz4Magic) return 0;
  uint8_t flg = p[4];
  size_t desc = 2 + ((flg & 0x08) ? 8 : 0) + ((flg & 0x01) ? 4 : 0);
  size_t total = 4 + desc + 1;
  if (in.size() < total || total > sizeof hdr) return 0;
  std::memcpy(hdr, p, total);
  hdr[total - 1] = uint8_t(xxh32(p + 4, desc, 0) >> 8);
  return total;
}

std::string lz4_compress(std::string_view in) {
  LZ4F_preferences_t prefs;
  std::memset(&prefs, 0, sizeof prefs);
  // What Kafka's Java client writes: 64 KiB independent blocks, no content size/checksum.
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  std::string out;
  out.resize(LZ4F_compressFrameBound(in.size(), &prefs));
  size_t n = LZ4F_compressFrame(out.data(), out.size(), in.data(), in.size(), &prefs);
  if (LZ4F_isError(n)) throw std::runtime_error(std::string("lz4: ") + LZ4F_getErrorName(n));
  out.resize(n);
  return out;
}

std::string lz4_decompress(std::string_view in, size_t max, Lz4Header header) {
  LZ4F_dctx* raw = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&raw, LZ4F_VERSION))) throw std::bad_alloc();
  std::unique_ptr<LZ4F_dctx, LZ4F_errorCode_t (*)(LZ4F_dctx*)> ctx(raw, LZ4F_freeDecompressionContext);
  BoundedOutput out("lz4", max);

  // With kIgnoreChecksum the header is fed from a patched copy, then the rest of `in`.
  uint8_t fixed[LZ4F_HEADER_SIZE_MAX];
  size_t fixed_size = header == Lz4Header::kIgnoreChecksum ? fix_lz4_header_checksum(in, fixed) : 0;
  std::string_view segs[2] = {in, {}};
  size_t nseg = 1;
  if (fixed_size) {
    segs[0] = std::string_view(reinterpret_cast<char*>(fixed), fixed_size);
    segs[1] = in.substr(fixed_size);
    nseg = 2;
  }
  size_t seg = 0, pos = 0;
  for (;;) {
    if (pos == segs[seg].size() && seg + 1 < nseg) {
      ++seg;
      pos = 0;
    }
    auto [dst, room] = out.reserve();
    size_t src_n = segs[seg].size() - pos;
    size_t dst_n = room;
    size_t hint = LZ4F_decompress(ctx.get(), dst, &dst_n, segs[seg].data() + pos, &src_n, nullptr);
    if (LZ4F_isError(hint)) fail("lz4", LZ4F_getErrorName(hint));
    pos += src_n;
    out.commit(dst_n);
    bool input_done = seg + 1 == nseg && pos == segs[seg].size();
    if (hint == 0) {
      if (!input_done) fail("lz4", "trailing bytes after the frame");
      break;
    }
    if (input_done && src_n == 0 && dst_n == 0) fail("lz4", "truncated frame");
  }
  return out.take();
}

// ---- zstd -------------------------------------------------------------------------------

std::string zstd_compress(std::string_view in) {
  std::string out;
  out.resize(ZSTD_compressBound(in.size()));
  size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
  if (ZSTD_isError(n)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

std::string zstd_decompress(std::string_view in, size_t max) {
  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> ctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (!ctx) throw std::bad_alloc();
  // Kafka's (zstd-jni's) default window limit: 2^27 bytes.
  ZSTD_DCtx_setParameter(ctx.get(), ZSTD_d_windowLogMax, 27);
  BoundedOutput out("zstd", max);
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  for (;;) {
    auto [dst, room] = out.reserve();
    ZSTD_outBuffer ob{dst, room, 0};
    size_t before = src.pos;
    size_t r = ZSTD_decompressStream(ctx.get(), &ob, &src);
    if (ZSTD_isError(r)) fail("zstd", ZSTD_getErrorName(r));
    out.commit(ob.pos);
    if (src.pos == src.size) {
      if (r == 0) break;  // the last frame is complete and flushed
      if (ob.pos == 0 && src.pos == before) fail("zstd", "truncated frame");
    }
  }
  return out.take();
}

}  // namespace

std::optional<Compression> compression_from_id(int id) {
  if (id < 0 || id > 4) return std::nullopt;
  return Compression(id);
}

std::string_view compression_name(Compression c) {
  switch (c) {
    case Compression::kNone: return "none";
    case Compression::kGzip: return "gzip";
    case Compression::kSnappy: return "snappy";
    case Compression::kLz4: return "lz4";
    case Compression::kZstd: return "zstd";
  }
  return "unknown";
}

std::string compress(Compression c, std::string_view input) {
  switch (c) {
    case Compression::kNone: return std::string(input);
    case Compression::kGzip: return gzip_compress(input);
    case Compression::kSnappy: return snappy_compress(input);
    case Compression::kLz4: return lz4_compress(input);
    case Compression::kZstd: return zstd_compress(input);
  }
  throw std::invalid_argument("compress: unknown codec");
}

std::string decompress(Compression c, std::string_view input, size_t max_output,
                       Lz4Header lz4_header) {
  switch (c) {
    case Compression::kNone:
      if (input.size() > max_output) fail("none", "size exceeds the limit");
      return std::string(input);
    case Compression::kGzip: return gzip_decompress(input, max_output);
    case Compression::kSnappy: return snappy_decompress(input, max_output);
    case Compression::kLz4: return lz4_decompress(input, max_output, lz4_header);
    case Compression::kZstd: return zstd_decompress(input, max_output);
  }
  throw DecodeError("decompress: unknown codec");
}

}  // namespace sluice::kafka
