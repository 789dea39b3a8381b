// Content comparison of two axnn artifacts, apart from provenance and timings: did a rerun reproduce?
#pragma once

#include <string>
#include <vector>

namespace axnn::inspect {

struct DiffOptions {
  double rtol = 0;  // 0: floating-point datasets must be bit-identical; else |a - b| <= rtol * max(|a|, |b|)
  // Root attributes that describe how, when and from which files an artifact was made.
  std::vector<std::string> ignored_root_attributes = {"created_by", "inputs"};
  // Keys dropped anywhere inside JSON attributes (per-epoch wall times, dates).
  std::vector<std::string> ignored_keys = {"time_s", "date", "seconds", "elapsed_s"};
  // Attributes ending so, on any object, are content hashes of input files (model_sha256,
  // library_sha256): links to inputs whose bytes include their own dates, i.e. provenance.
  std::string ignored_attribute_suffix = "_sha256";
};

// Every difference between the artifacts `a` and `b` (groups, datasets' types, shapes and values,
// attributes), one line each, at most `limit`. Empty: they agree. Throws InputError naming a file
// that is not an axnn artifact.
std::vector<std::string> diff_artifacts(const std::string& a, const std::string& b, const DiffOptions& options,
                                        size_t limit = 50);

// How the environments that made `a` and `b` differ (created_by.environment and the axnn build: version,
// git revision, compiler), one line per key; empty when they agree. A content difference with an
// environment difference beside it may be the environment's doing.
std::vector<std::string> environment_differences(const std::string& a, const std::string& b);

}  // namespace axnn::inspect
