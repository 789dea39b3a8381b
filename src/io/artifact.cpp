#include "io/artifact.h"

#include <unistd.h>

#include <atomic>
#include <ctime>
#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/build_info.h"
#include "core/environment.h"
#include "core/error.h"
#include "core/files.h"
#include "core/hash.h"
#include "io/h5.h"

namespace fs = std::filesystem;

namespace axnn {
namespace {

nlohmann::json created_by(const Provenance& p) {
  return {{"program", p.program},
          {"version", build_version()},
          {"git_revision", build_git_revision()},
          {"compiler", build_compiler()},
          {"date", now_iso8601()},
          {"command_line", p.command_line},
          {"threads", p.threads},
          {"world_size", p.world_size},
          {"environment", environment_record()}};
}

nlohmann::json inputs_json(const std::vector<InputRef>& inputs) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& in : inputs) out.push_back({{"path", in.path}, {"kind", in.kind}, {"hash", in.hash}});
  return out;
}

}  // namespace

std::string now_iso8601() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S%z", &tm);
  return buf;
}

InputRef input_ref(const std::string& path) {
  InputRef ref{path, "file", sha256_file(path)};
  h5::silence_hdf5_errors();
  if (H5Fis_hdf5(path.c_str()) > 0) {
    H5::H5File f(path, H5F_ACC_RDONLY);
    H5::Group root = f.openGroup("/");
    if (h5::has_attr(root, "axnn_kind")) ref.kind = h5::read_string_attr(root, "axnn_kind");
  }
  return ref;
}

ArtifactWriter::ArtifactWriter(std::string final_path, std::string kind, int schema_version,
                               const Provenance& provenance)
    : final_path_(require_output_folder(final_path)) {
  h5::silence_hdf5_errors();
  try {
    // The file is built in memory (HDF5's core driver) and written out by commit() through
    // write_file_atomic: a full disk is then one clean write error, never a half-flushed HDF5 file
    // (HDF5 1.10 can crash closing a file whose flush failed). Strong close: nothing stays open.
    // The in-memory file's name only has to be unique in this process.
    static std::atomic<unsigned> count{0};
    H5::FileAccPropList fapl;
    fapl.setFcloseDegree(H5F_CLOSE_STRONG);
    fapl.setCore(size_t{1} << 20, false);
    file_ = H5::H5File(fmt::format("{}.{}-{}.in-memory", final_path_, getpid(), count++), H5F_ACC_TRUNC,
                       H5::FileCreatPropList::DEFAULT, fapl);
  } catch (const H5::Exception& e) {
    throw Error(fmt::format("{}: cannot create the artifact in memory ({})", final_path_, e.getDetailMsg()));
  }
  H5::Group r = root();
  h5::write_attr(r, "axnn_kind", kind);
  h5::write_attr(r, "schema_version", static_cast<int64_t>(schema_version));
  h5::write_json_attr(r, "created_by", created_by(provenance));
  h5::write_json_attr(r, "config", provenance.config);
  h5::write_json_attr(r, "inputs", inputs_json(provenance.inputs));
  h5::write_attr(r, "seed", provenance.seed);
}

ArtifactWriter::ArtifactWriter(std::string final_path, const KindFields& fields, const Provenance& provenance)
    : ArtifactWriter(std::move(final_path), fields.kind, fields.schema_version, provenance) {
  fields_ = &fields;
}

ArtifactWriter::~ArtifactWriter() {
  if (committed_) return;
  try {
    file_.close();  // in memory: nothing was written to disk
  } catch (...) {
  }
}

void ArtifactWriter::commit() {
  if (fields_) {
    H5::Group r = root();
    describe_datasets(r, *fields_);
    try {
      check_fields(r, *fields_, final_path_);
    } catch (const InputError& e) {  // a writer that breaks its own kind's declaration: a bug
      throw Error(fmt::format("internal error, nothing written: {} (the {} declaration)", e.what(), fields_->kind));
    }
  }
  std::vector<char> image;
  try {
    file_.flush(H5F_SCOPE_GLOBAL);
    const ssize_t size = H5Fget_file_image(file_.getId(), nullptr, 0);
    if (size < 0) throw Error(fmt::format("{}: cannot take the HDF5 file image", final_path_));
    image.resize(static_cast<size_t>(size));
    if (H5Fget_file_image(file_.getId(), image.data(), image.size()) != size)
      throw Error(fmt::format("{}: cannot take the HDF5 file image", final_path_));
    file_.close();
  } catch (const H5::Exception& e) {
    throw Error(fmt::format("{}: cannot finish the artifact ({})", final_path_, e.getDetailMsg()));
  }
  write_file_atomic(final_path_, std::string_view(image.data(), image.size()));
  committed_ = true;
  spdlog::debug("wrote {}", final_path_);
}

ArtifactInfo probe_artifact(const std::string& path) {
  h5::silence_hdf5_errors();
  if (!fs::exists(path)) throw InputError(fmt::format("{}: no such file", path));
  if (fs::is_directory(path)) throw InputError(fmt::format("{}: is a folder, not an HDF5 file", path));
  if (H5Fis_hdf5(path.c_str()) <= 0) throw InputError(fmt::format("{}: not an HDF5 file", path));
  H5::H5File f;
  try {
    f = H5::H5File(path, H5F_ACC_RDONLY);
  } catch (const H5::Exception& e) {
    throw InputError(fmt::format("{}: cannot open HDF5 file ({})", path, e.getDetailMsg()));
  }
  ArtifactInfo info;
  info.path = path;
  try {
    H5::Group r = f.openGroup("/");
    if (!h5::has_attr(r, "axnn_kind"))
      throw InputError(fmt::format("{}: an HDF5 file, but not an axnn artifact (no root attribute 'axnn_kind')", path));
    info.kind = h5::read_string_attr(r, "axnn_kind");
    info.schema_version = static_cast<int>(h5::read_int_attr(r, "schema_version"));
    info.created_by = h5::read_json_attr(r, "created_by");
    info.config = h5::read_json_attr(r, "config");
    info.inputs = h5::read_json_attr(r, "inputs");
    info.seed = static_cast<uint64_t>(h5::read_int_attr(r, "seed"));
  } catch (const H5::Exception& e) {  // a damaged file: HDF5 fails inside its own structures
    throw InputError(fmt::format("{}: damaged HDF5 file ({} in {})", path, e.getDetailMsg(), e.getFuncName()));
  } catch (const InputError& e) {
    const std::string what = e.what();
    if (what.rfind(path, 0) == 0) throw;
    throw InputError(fmt::format("{}: malformed axnn artifact: {}", path, what));
  }
  return info;
}

Artifact Artifact::open(const std::string& path, const KindFields& fields) {
  Artifact a = open(path, fields.kind, fields.schema_version);
  check_fields(a.root(), fields, path);
  return a;
}

Artifact Artifact::open(const std::string& path, const std::string& expected_kind, int supported_version) {
  ArtifactInfo info = probe_artifact(path);
  if (info.kind != expected_kind)
    throw InputError(fmt::format("{}: expected an axnn artifact of kind '{}', found kind '{}'", path, expected_kind,
                                 info.kind));
  if (info.schema_version != supported_version)
    throw InputError(fmt::format("{}: kind '{}' has schema version {}, but this axnn ({}) reads version {}", path,
                                 info.kind, info.schema_version, build_version(), supported_version));
  try {
    return Artifact(std::move(info), H5::H5File(path, H5F_ACC_RDONLY));
  } catch (const H5::Exception& e) {
    throw InputError(fmt::format("{}: cannot open HDF5 file ({})", path, e.getDetailMsg()));
  }
}

}  // namespace axnn
