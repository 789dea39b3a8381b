#include "models/checkpoint.h"

#include <map>
#include <set>

#include <fmt/format.h>

#include "core/error.h"
#include "io/h5.h"
#include "models/model_artifact.h"
#include "multipliers/multiplier.h"
#include "nn/approx_layer.h"
#include "tensor/tensor_io.h"

namespace axnn::models {
namespace {

using nlohmann::json;

bool ends_with(const std::string& name, const std::string& leaf) {
  return name == leaf || (name.size() > leaf.size() && name.compare(name.size() - leaf.size() - 1, leaf.size() + 1, "." + leaf) == 0);
}

// Tables live under /layers/<name>/lut once deployed (the exact table is not stored), and a bias
// compensation under /layers/<name>/error_offset when there is one: neither is a plain parameter.
bool is_layer_buffer(const std::string& name) { return ends_with(name, "lut") || ends_with(name, "error_offset"); }

std::map<std::string, torch::Tensor> state(torch::nn::Module& m) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : m.named_parameters()) out[p.key()] = p.value();
  for (const auto& b : m.named_buffers())
    if (!is_layer_buffer(b.key())) out[b.key()] = b.value();
  return out;
}


LayerRecord layer_record(const std::string& name, nn::ApproxLayer& layer) {
  LayerRecord r;
  r.name = name;
  r.kind = dynamic_cast<nn::ApproxConv2dImpl*>(&layer) ? "conv2d" : "linear";
  r.fan_in = layer.fan_in();
  r.opcount = layer.opcount();
  r.mode = nn::mode_name(layer.mode());
  r.act_scale = static_cast<double>(layer.act_max().item<float>() / nn::kQMax);
  r.sigma = static_cast<double>(layer.sigma().item<float>());
  r.mu = static_cast<double>(layer.mu().item<float>());
  r.multiplier = layer.multiplier();
  r.library = layer.library();
  return r;
}

// A layer's tensors at the places models/model_artifact.h declares: its table once deployed (the exact
// one is not stored) and its bias compensation when there is one.
void write_layer_tensors(H5::Group& root, const std::string& name, nn::ApproxLayer& layer) {
  H5::Group g = h5::open_group(root, std::string(kLayersGroup) + "/" + name);
  if (layer.multiplier() != "exact") write_tensor(g, kLutDataset, layer.lut());
  if (layer.error_offset().numel() > 0) write_tensor(g, kErrorOffsetDataset, layer.error_offset());
}

std::string param_path(const std::string& name) { return std::string(kParamsGroup) + "/" + name; }

}  // namespace

void measure_opcounts(Model& m, const ModelOptions& o) {
  torch::NoGradGuard no_grad;
  const bool was_training = m.is_training();
  m.eval();
  m.forward(torch::zeros({1, o.in_channels, o.image_size, o.image_size}, m.parameters().front().device()));
  m.train(was_training);
}

void save_checkpoint(const std::string& path, const Checkpoint& c, const Provenance& provenance) {
  Model& m = *c.model;
  measure_opcounts(m, c.options);
  ModelRecord record{c.arch, to_json(c.options), c.history, c.pruning, {}};
  for (auto& [name, layer] : nn::approx_layers(m)) record.layers.push_back(layer_record(name, *layer));
  ArtifactWriter w(path, model_fields(), provenance);
  H5::Group root = w.root();
  model_record().write(root, record);
  for (auto& [name, layer] : nn::approx_layers(m)) write_layer_tensors(root, name, *layer);
  for (const auto& [name, t] : state(m)) write_tensor(root, param_path(name), t);
  w.commit();
}

namespace {

// Every parameter and buffer (shape checked) and each layer's table. Types, finiteness and the tables'
// shape and range were checked against model_fields() when the file was opened.
void load_content(H5::Group& root, const ModelRecord& record, Checkpoint& c) {
  std::set<std::string> expected;
  for (auto& [name, t] : state(*c.model)) {
    expected.insert(name);
    if (!h5::exists(root, param_path(name)))
      throw InputError(fmt::format("{} '{}' has no tensor {}", c.arch, name, param_path(name)));
    torch::Tensor v = read_tensor(root, param_path(name));
    if (v.sizes() != t.sizes())
      throw InputError(fmt::format("{} has shape {}, the {} model expects {}", param_path(name),
                                   fmt::join(v.sizes(), "x"), c.arch, fmt::join(t.sizes(), "x")));
    t.copy_(v);
  }
  H5::Group params = h5::open_group(root, kParamsGroup);
  for (hsize_t i = 0; i < params.getNumObjs(); ++i)
    if (!expected.count(params.getObjnameByIdx(i)))
      throw InputError(fmt::format("{} does not belong to a {} model", param_path(params.getObjnameByIdx(i)), c.arch));
  std::map<std::string, const LayerRecord*> records;
  for (const LayerRecord& l : record.layers) records[l.name] = &l;
  for (auto& [name, layer] : nn::approx_layers(*c.model)) {
    const std::string where = std::string(kLayersGroup) + "/" + name;
    if (!records.count(name) || !h5::exists(root, where)) throw InputError(fmt::format("missing {}", where));
    H5::Group g = h5::open_group(root, where);
    if (h5::exists(g, kErrorOffsetDataset)) {
      torch::Tensor offset = read_tensor(g, kErrorOffsetDataset);
      const int64_t channels = layer->named_parameters(false)["weight"].size(0);
      if (offset.dim() != 1 || offset.size(0) != channels)
        throw InputError(fmt::format("{}/{}: expected {} values, one per output channel", where, kErrorOffsetDataset, channels));
      layer->set_error_offset(offset);
    }
    const LayerRecord& r = *records[name];
    if (r.multiplier == "exact") continue;
    layer->set_lut(read_tensor(g, kLutDataset), r.multiplier, r.library);
  }
}

}  // namespace

Checkpoint load_checkpoint(const std::string& path) {
  Artifact a = Artifact::open(path, model_fields());
  H5::Group root = a.root();
  Checkpoint c;
  ModelRecord record;
  a.read([&] {
    model_record().read(root, record);
    c.arch = record.architecture;
    c.options = options_from_json(record.options);
    c.history = record.history;
    c.pruning = record.pruning;
    c.model = build_model(c.arch, c.options);
  });
  torch::NoGradGuard no_grad;
  a.read([&] { load_content(root, record, c); });
  return c;
}


}  // namespace axnn::models
