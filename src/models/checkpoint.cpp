#include "models/checkpoint.h"

#include <set>

#include <fmt/format.h>

#include "core/error.h"
#include "io/h5.h"
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


void write_layer(H5::Group& root, const std::string& name, nn::ApproxLayer& layer) {
  H5::Group g = h5::ensure_group(root, "layers/" + name);
  h5::write_attr(g, "kind", dynamic_cast<nn::ApproxConv2dImpl*>(&layer) ? "conv2d" : "linear");
  h5::write_attr(g, "fan_in", layer.fan_in());
  h5::write_attr(g, "opcount", layer.opcount());
  h5::write_attr(g, "mode", nn::mode_name(layer.mode()));
  h5::write_attr(g, "act_scale", static_cast<double>(layer.act_max().item<float>() / nn::kQMax));
  h5::write_attr(g, "sigma", static_cast<double>(layer.sigma().item<float>()));
  h5::write_attr(g, "mu", static_cast<double>(layer.mu().item<float>()));
  h5::write_attr(g, "multiplier", layer.multiplier());
  if (!layer.library().empty()) h5::write_attr(g, "library_sha256", layer.library());
  if (layer.multiplier() != "exact")
    write_tensor(g, "lut", layer.lut());
  if (layer.error_offset().numel() > 0)
    write_tensor(g, "error_offset", layer.error_offset());
}

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
  ArtifactWriter w(path, model_fields(), provenance);
  H5::Group root = w.root();
  h5::write_attr(root, "architecture", c.arch);
  h5::write_json_attr(root, "model_options", to_json(c.options));
  h5::write_json_attr(root, "history", c.history);
  if (!c.pruning.is_null()) h5::write_json_attr(root, "pruning", c.pruning);
  json names = json::array();
  for (auto& [name, layer] : nn::approx_layers(m)) {
    names.push_back(name);
    write_layer(root, name, *layer);
  }
  h5::write_json_attr(root, "layer_names", names);
  for (const auto& [name, t] : state(m)) write_tensor(root, "params/" + name, t);
  w.commit();
}

namespace {

// Every parameter and buffer (shape checked) and each layer's table. Types, finiteness and the tables'
// shape and range were checked against model_fields() when the file was opened.
void load_content(H5::Group& root, Checkpoint& c) {
  std::set<std::string> expected;
  for (auto& [name, t] : state(*c.model)) {
    expected.insert(name);
    if (!h5::exists(root, "params/" + name))
      throw InputError(fmt::format("{} '{}' has no tensor params/{}", c.arch, name, name));
    torch::Tensor v = read_tensor(root, "params/" + name);
    if (v.sizes() != t.sizes())
      throw InputError(fmt::format("params/{} has shape {}, the {} model expects {}", name,
                                   fmt::join(v.sizes(), "x"), c.arch, fmt::join(t.sizes(), "x")));
    t.copy_(v);
  }
  std::vector<std::string> stored;
  H5::Group params = h5::open_group(root, "params");
  for (hsize_t i = 0; i < params.getNumObjs(); ++i) stored.push_back(params.getObjnameByIdx(i));
  for (const auto& s : stored)
    if (!expected.count(s)) throw InputError(fmt::format("params/{} does not belong to a {} model", s, c.arch));
  for (auto& [name, layer] : nn::approx_layers(*c.model)) {
    if (!h5::exists(root, "layers/" + name)) throw InputError(fmt::format("missing layers/{}", name));
    H5::Group g = h5::open_group(root, "layers/" + name);
    const std::string mult = h5::read_string_attr(g, "multiplier");
    const std::string library = h5::has_attr(g, "library_sha256") ? h5::read_string_attr(g, "library_sha256") : "";
    if (h5::exists(g, "error_offset")) {
      torch::Tensor offset = read_tensor(g, "error_offset");
      const int64_t channels = layer->named_parameters(false)["weight"].size(0);
      if (offset.dim() != 1 || offset.size(0) != channels)
        throw InputError(fmt::format("layers/{}/error_offset: expected {} values, one per output channel", name, channels));
      layer->set_error_offset(offset);
    }
    if (mult == "exact") continue;
    layer->set_lut(read_tensor(g, "lut"), mult, library);
  }
}

}  // namespace

Checkpoint load_checkpoint(const std::string& path) {
  Artifact a = Artifact::open(path, model_fields());
  H5::Group root = a.root();
  Checkpoint c;
  a.read([&] {
    c.arch = h5::read_string_attr(root, "architecture");
    c.options = options_from_json(h5::read_json_attr(root, "model_options"));
    c.history = h5::read_json_attr(root, "history");
    if (h5::has_attr(root, "pruning")) c.pruning = h5::read_json_attr(root, "pruning");
    c.model = build_model(c.arch, c.options);
  });
  torch::NoGradGuard no_grad;
  a.read([&] { load_content(root, c); });
  return c;
}


}  // namespace axnn::models
