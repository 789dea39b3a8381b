# Every dependency through find_package. Debian 12 packages (scripts/debian-packages.txt) or the conda
# environment (environment.yml) provide them; LibTorch comes from the torch wheel in .venv (see
# scripts/setup.sh, which passes its CMAKE_PREFIX_PATH).
find_package(HDF5 REQUIRED COMPONENTS C CXX)
find_package(TBB REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(nlohmann_json 3.9 REQUIRED)
find_package(OpenSSL REQUIRED COMPONENTS Crypto)
find_package(Threads REQUIRED)
find_package(ZLIB REQUIRED)

if(AXNN_BUILD_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
if(AXNN_BUILD_BENCHMARKS AND AXNN_TORCH)
  find_package(benchmark REQUIRED)
endif()

# HDF5 as one imported target (FindHDF5 of CMake 3.25 gives variables on Debian).
if(NOT TARGET axnn::hdf5)
  add_library(axnn::hdf5 INTERFACE IMPORTED)
  target_include_directories(axnn::hdf5 SYSTEM INTERFACE ${HDF5_INCLUDE_DIRS})
  target_link_libraries(axnn::hdf5 INTERFACE ${HDF5_CXX_LIBRARIES} ${HDF5_C_LIBRARIES})
  target_compile_definitions(axnn::hdf5 INTERFACE ${HDF5_DEFINITIONS})
endif()

if(AXNN_TORCH)
# LibTorch's config looks for CUDA itself when the wheel is CUDA-enabled and appends -gencode flags
# for every architecture it knows to CMAKE_CUDA_FLAGS (some of which a newer nvcc rejects). axnn's
# own kernels use CMAKE_CUDA_ARCHITECTURES instead, so keep the flags as they were.
if(NOT DEFINED TORCH_CUDA_ARCH_LIST AND NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST})
  set(TORCH_CUDA_ARCH_LIST "8.0;9.0")
endif()
set(_axnn_cuda_flags "${CMAKE_CUDA_FLAGS}")
find_package(Torch REQUIRED)
set(CMAKE_CUDA_FLAGS "${_axnn_cuda_flags}")
# Data-parallel training (src/parallel): MPI, Debian's OpenMPI (libopenmpi-dev); srun starts its ranks
# through PMIx.
find_package(MPI REQUIRED COMPONENTS C)


# The torch wheel bundles its own (newer) fmt in its include folder, which would shadow the fmt that
# spdlog was built against. <torch/torch.h> does not use fmt, so axnn sees torch's headers through a
# folder of links that leaves fmt out.
set(_axnn_torch_includes)
foreach(dir IN LISTS TORCH_INCLUDE_DIRS)
  if(EXISTS ${dir}/fmt)
    set(shim ${CMAKE_BINARY_DIR}/torch-include)
    file(MAKE_DIRECTORY ${shim})
    file(GLOB entries RELATIVE ${dir} ${dir}/*)
    foreach(entry IN LISTS entries)
      if(NOT entry STREQUAL "fmt" AND NOT EXISTS ${shim}/${entry})
        file(CREATE_LINK ${dir}/${entry} ${shim}/${entry} SYMBOLIC)
      endif()
    endforeach()
    list(APPEND _axnn_torch_includes ${shim})
  else()
    list(APPEND _axnn_torch_includes ${dir})
  endif()
endforeach()

# Torch's own imported targets carry the original folder too: point them at the links instead.
foreach(tgt IN ITEMS torch torch_cpu torch_cuda torch_library c10 c10_cuda)
  if(TARGET ${tgt})
    get_target_property(incs ${tgt} INTERFACE_INCLUDE_DIRECTORIES)
    if(incs)
      list(TRANSFORM incs REPLACE "^${TORCH_INSTALL_PREFIX}/include$" "${CMAKE_BINARY_DIR}/torch-include")
      set_target_properties(${tgt} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${incs}")
    endif()
  endif()
endforeach()

# LibTorch as one imported target; its headers are SYSTEM so our warnings stay ours.
if(NOT TARGET axnn::torch)
  add_library(axnn::torch INTERFACE IMPORTED)
  target_include_directories(axnn::torch SYSTEM INTERFACE ${_axnn_torch_includes})
  target_link_libraries(axnn::torch INTERFACE ${TORCH_LIBRARIES})
  # The wheel's CUDA libraries sit beside torch (site-packages/nvidia/*/lib), found at run time through
  # torch's $ORIGIN rpath; the linker needs to be told, or it takes older copies from the system.
  file(GLOB _axnn_nvidia_libs ${TORCH_INSTALL_PREFIX}/../nvidia/*/lib)
  foreach(dir IN LISTS _axnn_nvidia_libs)
    target_link_options(axnn::torch INTERFACE "LINKER:-rpath-link,${dir}")
  endforeach()
  separate_arguments(_axnn_torch_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
  target_compile_options(axnn::torch INTERFACE $<$<COMPILE_LANGUAGE:CXX>:${_axnn_torch_flags}>)
endif()
endif()
