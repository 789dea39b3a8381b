#include "io/views.h"

#include <map>

namespace axnn {
namespace {

std::map<std::string, ArtifactView>& views() {
  static std::map<std::string, ArtifactView> v;
  return v;
}

}  // namespace

void register_view(const std::string& kind, ArtifactView view) { views()[kind] = std::move(view); }

const ArtifactView* find_view(const std::string& kind) {
  auto it = views().find(kind);
  return it == views().end() ? nullptr : &it->second;
}

}  // namespace axnn
