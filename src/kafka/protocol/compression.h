// Kafka's record compression codecs, with the framings Kafka clients put on the wire:
//   gzip   - a gzip stream (zlib-wrapped and concatenated gzip members are also accepted);
//   snappy - snappy-java's "xerial" framing (magic, version, then [int32 length][block]
//            chunks); a bare raw snappy block is accepted too, as some clients send one;
//   lz4    - the standard LZ4 frame format (LZ4F). Kafka's magic v0 messages carried a
//            wrong frame-header checksum (KAFKA-3160); Lz4Header::kIgnoreChecksum accepts it;
//   zstd   - standard zstd frames, content size optional, concatenated frames accepted.
//
// Pure functions, thread-safe. decompress() never writes more than `max_output` bytes:
// a batch that would inflate past it is rejected as a decompression bomb.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::kafka {

/// The codec ids of a batch's attributes (bits 0-2), as Kafka numbers them.
enum class Compression : int8_t { kNone = 0, kGzip = 1, kSnappy = 2, kLz4 = 3, kZstd = 4 };

/// The codec for an attributes value, or nullopt for 5..7 (UNSUPPORTED_COMPRESSION_TYPE).
std::optional<Compression> compression_from_id(int id);
/// "none", "gzip", "snappy", "lz4", "zstd".
std::string_view compression_name(Compression c);

/// Compresses `input` into one complete frame of the codec (kNone: a copy).
/// Gzip uses zlib's default level, zstd level 3, lz4 64 KiB independent blocks,
/// snappy xerial framing with 32 KiB chunks (snappy-java's defaults).
std::string compress(Compression c, std::string_view input);

/// How an LZ4 frame's header checksum (the HC byte) is checked.
enum class Lz4Header { kStrict, kIgnoreChecksum };

/// Decompresses one codec stream. Throws DecodeError (wire.h) when the input is corrupt,
/// truncated, followed by garbage, or when the output would exceed `max_output` bytes.
std::string decompress(Compression c, std::string_view input, size_t max_output,
                       Lz4Header lz4_header = Lz4Header::kStrict);

}  // namespace sluice::kafka
