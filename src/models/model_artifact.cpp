#include "models/model_artifact.h"

#include "multipliers/multiplier.h"

namespace axnn::models {

using mult::kMaxTableMagnitude;

const KindFields& model_fields() {
  static const KindFields fields{
      kModelKind, kModelSchemaVersion,
      {attr("architecture", FieldType::String, "zoo architecture"),
       attr("model_options", FieldType::Json, "input channels, image size, classes").json("object"),
       attr("history", FieldType::Json, "per-epoch training metrics").json("array"),
       attr("pruning", FieldType::Json, "a pruned model: MACs of the dense network and now, kept filters per layer, "
            "target, and the ranking (alpha, kappa) that chose them").json("object").optional(),
       attr("layer_names", FieldType::Json, "the approximate layers, in order").json("array"),
       dataset("params/*", FieldType::Numeric, {}, "every parameter and buffer (float tensors must be finite)"),
       attr("layers/*/kind", FieldType::String, "conv2d or linear"),
       attr("layers/*/fan_in", FieldType::Int, "products per output value").min(1),
       attr("layers/*/opcount", FieldType::Int, "multiplications per image").min(0),
       attr("layers/*/mode", FieldType::String, "baseline, quant, noise or approx"),
       attr("layers/*/act_scale", FieldType::Float, "activation scale s_a").min(0),
       attr("layers/*/sigma", FieldType::Float, "noise tolerance sigma_l"),
       attr("layers/*/mu", FieldType::Float, "noise mean mu_l"),
       attr("layers/*/multiplier", FieldType::String, "the deployed multiplier (exact: none)"),
       attr("layers/*/library_sha256", FieldType::String, "content hash of the library the table came from").optional(),
       dataset("layers/*/lut", FieldType::Int32, {256, 256}, "the deployed table lut[a + 128][w + 128]").min(-kMaxTableMagnitude).max(kMaxTableMagnitude).optional(),
       dataset("layers/*/error_offset", FieldType::Float32, {-1}, "bias compensation: the table's expected error per output channel (integer-product units)").optional()}};
  return fields;
}

}  // namespace axnn::models
