// Message digests used by the engine (definition content hashes) and by the
// States.Hash intrinsic. Pure functions over bytes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace stepflow {

// Lower-case hex digest of `data` with `algorithm`, one of "MD5", "SHA-1",
// "SHA-256", "SHA-384", "SHA-512". nullopt for any other algorithm name.
std::optional<std::string> HexDigest(std::string_view algorithm, std::string_view data);

inline std::string Sha256Hex(std::string_view data) { return *HexDigest("SHA-256", data); }

// Lower-case hex HMAC-SHA256 of `data` under `key` (webhook signatures).
std::string HmacSha256Hex(std::string_view key, std::string_view data);
// Whether two secrets are equal, in a time that does not depend on where
// they differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Standard (MIME alphabet, '=' padded, no line breaks) base64.
std::string Base64Encode(std::string_view bytes);
// nullopt when `text` is not valid padded base64.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace stepflow
