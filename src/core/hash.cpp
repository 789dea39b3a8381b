#include "core/hash.h"

#include <openssl/evp.h>

#include <array>
#include <fstream>
#include <memory>

#include <fmt/format.h>

#include "core/error.h"

namespace axnn {
namespace {

class Digest {
 public:
  explicit Digest(const EVP_MD* md = EVP_sha256(), std::string prefix = "sha256:")
      : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free), prefix_(std::move(prefix)) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), md, nullptr) != 1) throw Error("cannot initialise OpenSSL digest");
  }
  void update(const void* data, size_t n) { EVP_DigestUpdate(ctx_.get(), data, n); }
  std::string hex() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_.get(), md.data(), &len);
    std::string out = prefix_;
    for (unsigned int i = 0; i < len; ++i) out += fmt::format("{:02x}", md[i]);
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
  std::string prefix_;
};

std::string hash_file(const std::string& path, Digest h) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot open file for hashing", path));
  std::array<char, 1 << 16> buf{};
  while (in) {
    in.read(buf.data(), buf.size());
    h.update(buf.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) throw InputError(fmt::format("{}: read error while hashing", path));
  return h.hex();
}

}  // namespace

std::string sha256_file(const std::string& path) { return hash_file(path, Digest()); }

std::string md5_file(const std::string& path) { return hash_file(path, Digest(EVP_md5(), "md5:")); }

std::string sha256_bytes(const std::string& bytes) {
  Digest h;
  h.update(bytes.data(), bytes.size());
  return h.hex();
}

}  // namespace axnn
