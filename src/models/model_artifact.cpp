#include "models/model_artifact.h"

#include "multipliers/multiplier.h"
#include "nn/modes.h"

namespace axnn::models {

using mult::kMaxTableMagnitude;

const Record<ModelRecord>& model_record() {
  using L = LayerRecord;
  static const Record<ModelRecord> record =
      Record<ModelRecord>()
          .attr(&ModelRecord::architecture, attr("architecture", FieldType::String, "zoo architecture"))
          .attr(&ModelRecord::options, attr("model_options", FieldType::Json, "input channels, image size, classes").json("object"))
          .attr(&ModelRecord::history, attr("history", FieldType::Json, "per-epoch training metrics").json("array"))
          .attr(&ModelRecord::pruning,
                attr("pruning", FieldType::Json,
                     "a pruned model: MACs of the dense network and now, kept filters per layer, target, and the ranking "
                     "(alpha, kappa) that chose them")
                    .json("object")
                    .optional(),
                [](const ModelRecord& m) { return !m.pruning.is_null(); })
          .each(kLayersGroup, "layer_names", "the approximate layers, in order", &ModelRecord::layers, &L::name,
                Record<L>()
                    .attr(&L::kind, attr("kind", FieldType::String, "conv2d or linear"))
                    .attr(&L::fan_in, attr("fan_in", FieldType::Int, "products per output value").min(1))
                    .attr(&L::opcount, attr("opcount", FieldType::Int, "multiplications per image").min(0))
                    .attr(&L::mode, attr("mode", FieldType::String, nn::modes().listed()))
                    .attr(&L::act_scale, attr("act_scale", FieldType::Float, "activation scale s_a").min(0))
                    .attr(&L::sigma, attr("sigma", FieldType::Float, "noise tolerance sigma_l"))
                    .attr(&L::mu, attr("mu", FieldType::Float, "noise mean mu_l"))
                    .attr(&L::multiplier, attr("multiplier", FieldType::String, "the deployed multiplier (exact: none)"))
                    .attr(&L::library,
                          attr("library_sha256", FieldType::String, "content hash of the library the table came from").optional(),
                          [](const L& l) { return !l.library.empty(); }));
  return record;
}

const KindFields& model_fields() {
  static const KindFields fields = [] {
    KindFields k{kModelKind, kModelSchemaVersion, model_record().fields()};
    const std::string layer = std::string(kLayersGroup) + "/*/";
    k.fields.push_back(dataset(std::string(kParamsGroup) + "/*", FieldType::Numeric, {},
                               "every parameter and buffer (float tensors must be finite)"));
    k.fields.push_back(dataset(layer + kLutDataset, FieldType::Int32, {256, 256}, "the deployed table lut[a + 128][w + 128]")
                           .min(-kMaxTableMagnitude)
                           .max(kMaxTableMagnitude)
                           .optional());
    k.fields.push_back(dataset(layer + kErrorOffsetDataset, FieldType::Float32, {-1},
                               "bias compensation: the table's expected error per output channel (integer-product units)")
                           .optional());
    return k;
  }();
  return fields;
}

}  // namespace axnn::models
