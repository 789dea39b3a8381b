// Content hashes of input files, recorded in every artifact's provenance.
#pragma once

#include <string>

namespace axnn {

// "sha256:<hex>" of the file's bytes. Throws InputError if it cannot be read.
std::string sha256_file(const std::string& path);

// "md5:<hex>" of the file's bytes (only to compare with checksums published as MD5).
std::string md5_file(const std::string& path);

// "sha256:<hex>" of a byte string.
std::string sha256_bytes(const std::string& bytes);

}  // namespace axnn
