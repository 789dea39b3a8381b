# Provenance: version and git revision, regenerated on every build (only rewritten when they change,
# so an unchanged revision triggers no rebuild).
set(AXNN_BUILD_INFO_CPP ${CMAKE_BINARY_DIR}/generated/build_info.cpp)
add_custom_target(axnn_build_info_gen
  COMMAND ${CMAKE_COMMAND}
    -DOUT=${AXNN_BUILD_INFO_CPP}
    -DSRC_DIR=${CMAKE_SOURCE_DIR}
    -DVERSION=${PROJECT_VERSION}
    -DCOMPILER=${CMAKE_CXX_COMPILER_ID}-${CMAKE_CXX_COMPILER_VERSION}
    -DBUILD_TYPE=${CMAKE_BUILD_TYPE}
    -P ${CMAKE_SOURCE_DIR}/cmake/write_build_info.cmake
  BYPRODUCTS ${AXNN_BUILD_INFO_CPP}
  COMMENT "Recording axnn version and git revision")
