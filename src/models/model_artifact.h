// The model artifact's kind, fields and attribute record (torch-free: axnn-inspect and the checks use
// them without loading LibTorch). models/checkpoint.h reads and writes models: it fills the record
// from the modules, and writes the tensors at the paths declared here.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/fields.h"
#include "io/record.h"

namespace axnn::models {

constexpr const char* kModelKind = "model";
constexpr int kModelSchemaVersion = 2;  // 2: layer_names (was approx_layers)

// The tensors' places: params/<LibTorch name> for every parameter and buffer, and per approximate
// layer layers/<name>/lut (a deployed table) and layers/<name>/error_offset (bias compensation).
constexpr const char* kParamsGroup = "params";
constexpr const char* kLayersGroup = "layers";
constexpr const char* kLutDataset = "lut";
constexpr const char* kErrorOffsetDataset = "error_offset";

// What the artifact says of one approximate layer besides its tensors.
struct LayerRecord {
  std::string name, kind, mode, multiplier = "exact", library;  // kind: conv2d | linear; library: "" until deployed
  int64_t fan_in = 0, opcount = 0;
  double act_scale = 0, sigma = 0, mu = 0;
};

// The artifact's attributes: the architecture and options it is rebuilt from, its history, and the
// record of each approximate layer.
struct ModelRecord {
  std::string architecture;
  nlohmann::json options = nlohmann::json::object(), history = nlohmann::json::array(), pruning;
  std::vector<LayerRecord> layers;
};

const Record<ModelRecord>& model_record();
// The kind's fields: the record's, and the tensors' (io/fields.h): checked when written and when read.
const KindFields& model_fields();

}  // namespace axnn::models
