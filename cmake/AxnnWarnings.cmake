# Warnings for axnn's own targets (not for third-party headers, which are SYSTEM includes).
add_library(axnn_warnings INTERFACE)
target_compile_options(axnn_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wnon-virtual-dtor>
  $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<CXX_COMPILER_ID:GNU>>:-Wshadow=local>)
