#include "multipliers/table_import.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include <fmt/format.h>

#include "core/error.h"
#include "core/files.h"
#include "core/hash.h"

namespace axnn::mult {
namespace {

template <typename T>
std::vector<int32_t> widen(const std::string& bytes, size_t offset) {
  std::vector<int32_t> out(kTableSize);
  for (size_t i = 0; i < kTableSize; ++i) {
    T v;
    std::memcpy(&v, bytes.data() + offset + i * sizeof(T), sizeof(T));
    out[i] = static_cast<int32_t>(v);
  }
  return out;
}

}  // namespace

// NPY format 1.0-3.0: magic "\x93NUMPY", version, header length, a Python dict literal header.
std::vector<int32_t> read_npy_table(const std::string& path) {
  std::string bytes = read_file(path, 16u << 20);  // a 256x256 table of 8-byte values is 512 KiB
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
    throw InputError(fmt::format("{}: not a .npy file (bad magic)", path));
  int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len = 0, start = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw InputError(fmt::format("{}: truncated .npy header", path));
    for (int i = 0; i < 4; ++i) header_len |= static_cast<size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    start = 12;
  } else {
    throw InputError(fmt::format("{}: unsupported .npy version {}", path, major));
  }
  // numpy writes a table's header in ~128 bytes; a long one is not a table (and libstdc++'s recursive
  // std::regex would overflow the stack on a very long one: found by fuzz_table).
  if (header_len > 1024)
    throw InputError(fmt::format("{}: .npy header of {} bytes; a 256x256 table's is under 1024", path, header_len));
  if (bytes.size() < start + header_len) throw InputError(fmt::format("{}: truncated .npy header", path));
  std::string header = bytes.substr(start, header_len);
  std::smatch m;
  static const std::regex descr_re(R"('descr'\s*:\s*'([<>|=]?)([iu])([1248])')");
  static const std::regex order_re(R"('fortran_order'\s*:\s*(True|False))");
  static const std::regex shape_re(R"('shape'\s*:\s*\(([^)]*)\))");
  if (!std::regex_search(header, m, descr_re))
    throw InputError(fmt::format("{}: .npy dtype is not an integer type (header: {})", path, header));
  std::string endian = m[1], kind = m[2];
  int size = std::stoi(m[3]);
  if (endian == ">") throw InputError(fmt::format("{}: big-endian .npy tables are not supported", path));
  if (!((kind == "i" && (size == 2 || size == 4)) || (kind == "u" && size == 2)))
    throw InputError(fmt::format("{}: .npy dtype {}{} not supported (expected int16, uint16 or int32)", path, kind, size));
  if (std::regex_search(header, m, order_re) && m[1] == "True")
    throw InputError(fmt::format("{}: Fortran-ordered .npy tables are not supported", path));
  if (!std::regex_search(header, m, shape_re)) throw InputError(fmt::format("{}: .npy header has no shape", path));
  std::string shape = std::regex_replace(m[1].str(), std::regex(R"(\s)"), "");
  if (shape != "256,256")
    throw InputError(fmt::format("{}: table has shape ({}), expected (256, 256)", path, shape));
  size_t offset = start + header_len;
  if (bytes.size() < offset + kTableSize * static_cast<size_t>(size))
    throw InputError(fmt::format("{}: .npy data is truncated", path));
  if (kind == "u") return widen<uint16_t>(bytes, offset);
  return size == 2 ? widen<int16_t>(bytes, offset) : widen<int32_t>(bytes, offset);
}

std::vector<int32_t> read_csv_table(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(fmt::format("{}: cannot read file", path));
  std::vector<int32_t> out;
  std::string line;
  int row = 0;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    ++row;
    std::stringstream ss(line);
    std::string cell;
    int cols = 0;
    while (std::getline(ss, cell, ',')) {
      try {
        size_t used = 0;
        long long v = std::stoll(cell, &used);
        if (cell.find_first_not_of(" \t\r", used) != std::string::npos) throw std::invalid_argument(cell);
        if (v < -kMaxTableMagnitude || v > kMaxTableMagnitude) throw std::out_of_range(cell);
        out.push_back(static_cast<int32_t>(v));
      } catch (const std::out_of_range&) {
        throw InputError(fmt::format("{}: row {}, column {}: {} is outside the table range [-{}, {}]", path, row,
                                     cols + 1, cell, kMaxTableMagnitude, kMaxTableMagnitude));
      } catch (const std::exception&) {
        throw InputError(fmt::format("{}: row {}, column {}: '{}' is not an integer", path, row, cols + 1, cell));
      }
      ++cols;
    }
    if (cols != 256) throw InputError(fmt::format("{}: row {} has {} values, expected 256", path, row, cols));
  }
  if (row != 256) throw InputError(fmt::format("{}: table has {} rows, expected 256", path, row));
  return out;
}

const config::Spec& sidecar_spec() {
  using namespace config;
  static const Spec spec = object("What a table file does not say about its multiplier",
                                  {{"name", string("Multiplier name (default: the file stem)").def("")},
                                   {"power", number("Power, in power_unit").min(0)},
                                   {"power_unit", string("Unit of power; must match the library's").def("relative")},
                                   {"signed", boolean("true: table indexed [a+128][w+128]; false: unsigned table "
                                                      "[x][y], used sign-magnitude")
                                                  .def(true)},
                                   {"area", number("Area, in um2").min(0)},
                                   {"delay", number("Delay, in ns").min(0)},
                                   {"description", string("Free text").def("")}});
  return spec;
}

void apply_sidecar(const std::string& path, TableInfo& info) {
  nlohmann::json j = config::resolve(sidecar_spec(), config::load_yaml_file(path), path);
  if (!j["name"].get<std::string>().empty()) info.name = j["name"];
  if (j.contains("power")) info.power = j["power"].get<double>();
  info.power_unit = j["power_unit"];
  info.is_signed = j["signed"];
  if (j.contains("area")) info.area = j["area"].get<double>();
  if (j.contains("delay")) info.delay = j["delay"].get<double>();
  if (!j["description"].get<std::string>().empty()) info.description = j["description"];
}

Multiplier import_table(const std::string& path, const TableInfo& info) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::vector<int32_t> raw;
  if (ext == ".npy") raw = read_npy_table(path);
  else if (ext == ".csv") raw = read_csv_table(path);
  else throw UsageError(fmt::format("{}: expected a .npy or .csv table", path));
  if (!info.power) throw UsageError(fmt::format("{}: no power given (use --power or a sidecar with 'power:')", path));
  if (!std::isfinite(*info.power) || *info.power < 0)
    throw UsageError(fmt::format("{}: power {} is not a finite number >= 0", path, *info.power));
  check_table_range(raw, path, "table");
  Multiplier m;
  m.name = info.name.empty() ? std::filesystem::path(path).stem().string() : info.name;
  m.is_signed = info.is_signed;
  m.lut = info.is_signed ? raw : sign_magnitude(raw);
  m.power = *info.power;
  m.power_unit = info.power_unit;
  m.power_source = "given at import";
  if (info.area) m.area = info.area, m.area_unit = "um2";
  if (info.delay) m.delay = info.delay, m.delay_unit = "ns";
  m.source = {{"family", "table"}, {"file", std::filesystem::path(path).filename().string()}, {"hash", sha256_file(path)}};
  m.description = info.description.empty() ? fmt::format("table imported from {}", m.source["file"].get<std::string>())
                                           : info.description;
  m.metrics = compute_metrics(m.lut);
  return m;
}

Library merge_libraries(std::vector<LabelledLibrary> libraries, const std::string& name) {
  if (libraries.empty()) throw UsageError("merge: no libraries given");
  Library out;
  out.name = name.empty() ? libraries.front().library.name : name;
  std::map<std::string, std::string> origin;  // multiplier name -> label of the library it came from
  for (auto& [label, lib] : libraries) {
    for (auto& m : lib.multipliers) {
      if (const Multiplier* seen = out.find(m.name)) {
        if (seen->lut != m.lut)
          throw InputError(fmt::format("{}: multiplier '{}' has a different table than the one from {}", label, m.name,
                                       origin[m.name]));
        continue;  // e.g. 'exact' from every library, or one circuit from two folders
      }
      origin[m.name] = label;
      out.multipliers.push_back(std::move(m));
    }
  }
  return out;
}

}  // namespace axnn::mult
