// Version and git revision recorded at build time (see cmake/write_build_info.cmake).
#pragma once

namespace axnn {

const char* build_version();
const char* build_git_revision();
const char* build_compiler();
const char* build_type();

}  // namespace axnn
