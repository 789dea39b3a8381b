// The refs artifact (axnn_kind = refs): per approximate layer, the integer operands the sampling
// step saw with exact products — a seeded subsample of activation rows (one receptive field each,
// padding as 0), the weights, operand histograms, and the std of the exact integer outputs.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "io/artifact.h"

namespace axnn::method {

constexpr const char* kRefsKind = "refs";
constexpr int kRefsSchemaVersion = 1;
// The kind's fields, declared once (io/fields.h): checked when written and when read.
const KindFields& refs_fields();

using Histogram = std::array<int64_t, 256>;  // counts of the values -128..127, index v + 128

struct LayerRefs {
  std::string name;
  std::string kind;  // conv2d | linear
  int64_t fan_in = 0, opcount = 0, out_channels = 0, groups = 1;
  double sigma = 0;       // |sigma_l| of the sampled model (the tolerance factor)
  double output_std = 0;  // std of the exact integer outputs over every sampled position and channel
  int64_t rows_seen = 0;  // rows the sample produced; `rows` keeps a seeded subsample
  std::vector<int8_t> rows;        // [kept, fan_in]
  std::vector<int32_t> row_group;  // [kept]: the group of each row (grouped convs; empty otherwise)
  std::vector<int8_t> weights;     // [out_channels, fan_in]
  Histogram weight_hist{}, act_hist{};  // act_hist over every row seen

  int64_t kept() const { return fan_in ? static_cast<int64_t>(rows.size()) / fan_in : 0; }
};

struct Refs {
  std::string model_hash;  // sha256 of the checkpoint sampled
  int64_t images = 0;
  std::vector<LayerRefs> layers;
};

void write_refs(const std::string& path, const Refs& refs, const Provenance& provenance);
// Throws InputError naming the file on a wrong kind/version or malformed content.
Refs read_refs(const std::string& path);

// Histogram of int8 values.
Histogram histogram(const int8_t* values, size_t n);

// axnn-inspect's per-layer table for refs artifacts.
void register_refs_view();

}  // namespace axnn::method
