// axnn artifacts: self-describing HDF5 files. Every artifact carries root attributes
//   axnn_kind, schema_version, created_by (JSON: program, version, git revision, date, command line),
//   config (JSON), inputs (JSON: path, kind, content hash), seed
// and is written atomically: into a temporary file beside the final path, fsync'ed, then renamed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <H5Cpp.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/fields.h"

namespace axnn {

// One input an artifact was made from.
struct InputRef {
  std::string path;
  std::string kind;  // axnn_kind of the input, or "file" for a non-artifact
  std::string hash;  // "sha256:<hex>" of the file's bytes
};

// Hashes `path` and reads its kind (if it is an axnn artifact). Throws InputError if unreadable.
InputRef input_ref(const std::string& path);

// What made an artifact. `program` and `command_line` usually come from the program skeleton.
struct Provenance {
  std::string program;
  std::string command_line;
  nlohmann::json config = nlohmann::json::object();
  std::vector<InputRef> inputs;
  uint64_t seed = 0;
  int threads = 0;  // worker threads it ran with (training results depend on it)
  int world_size = 1;  // processes that trained it together (data-parallel ranks)
};

// Writes an artifact. The file is built in memory; commit() writes it with write_file_atomic, so until
// then nothing exists at the final path, and a writer destroyed without commit() (an exception, an
// early return) leaves no file and leaves a file already at the final path untouched.
class ArtifactWriter {
 public:
  ArtifactWriter(std::string final_path, std::string kind, int schema_version, const Provenance& provenance);
  // A writer of a declared kind: commit() gives each declared dataset its description and unit from
  // the declaration, then checks the written content against it.
  ArtifactWriter(std::string final_path, const KindFields& fields, const Provenance& provenance);
  ~ArtifactWriter();
  ArtifactWriter(const ArtifactWriter&) = delete;
  ArtifactWriter& operator=(const ArtifactWriter&) = delete;

  H5::H5File& file() { return file_; }
  H5::Group root() { return file_.openGroup("/"); }
  const std::string& final_path() const { return final_path_; }

  // Checks the content against the kind's declaration, then writes the file atomically.
  void commit();

 private:
  std::string final_path_;
  H5::H5File file_;
  const KindFields* fields_ = nullptr;
  bool committed_ = false;
};

// The root attributes of an artifact, as read back.
struct ArtifactInfo {
  std::string path;
  std::string kind;
  int schema_version = 0;
  nlohmann::json created_by;
  nlohmann::json config;
  nlohmann::json inputs;
  uint64_t seed = 0;
};

// Reads the root attributes of `path`. Throws InputError, naming the file, when it is missing,
// not HDF5, or an HDF5 file that axnn did not make.
ArtifactInfo probe_artifact(const std::string& path);

// An artifact opened for reading after its kind and schema version were checked.
class Artifact {
 public:
  // Throws InputError naming the file, the expected and the found kind/version on a mismatch.
  static Artifact open(const std::string& path, const std::string& expected_kind, int supported_version);
  // Also checks every declared field (type, shape, range, finiteness), naming the file and the field.
  static Artifact open(const std::string& path, const KindFields& fields);

  const ArtifactInfo& info() const { return info_; }
  H5::H5File& file() { return file_; }
  H5::Group root() { return file_.openGroup("/"); }
  const std::string& path() const { return info_.path; }

  // Runs `body`, which reads this artifact's content: a missing or malformed item (a UserError, or an
  // HDF5 error) becomes an InputError that names the file.
  template <typename Body>
  void read(Body&& body) const {
    try {
      body();
    } catch (const UserError& e) {
      throw InputError(path() + ": " + e.what());
    } catch (const H5::Exception& e) {
      throw InputError(path() + ": malformed " + info_.kind + " artifact (" + e.getDetailMsg() + ")");
    } catch (const nlohmann::json::exception& e) {  // a JSON attribute of another shape than its reader's
      throw InputError(path() + ": malformed " + info_.kind + " artifact (" + e.what() + ")");
    }
  }

 private:
  Artifact(ArtifactInfo info, H5::H5File file) : info_(std::move(info)), file_(std::move(file)) {}
  ArtifactInfo info_;
  H5::H5File file_;
};

// ISO 8601 local time with UTC offset, e.g. 2026-11-22T11:40:02+0000.
std::string now_iso8601();

}  // namespace axnn
